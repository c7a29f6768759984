import { createReadStream } from 'node:fs';
import type { Architecture } from '@zonesim/ledger';
import { ReportErrorCode, ReportInputError } from './errors.js';

/**
 * One provisioned-concurrency configuration of the run, a line of `<dataDir>/ledger/provisioned.ndjson`
 * written by the coordinator. Epoch ms.
 */
export interface ProvisionedEntry {
  functionName: string;
  /** The alias or version it was configured on. */
  qualifier?: string;
  memoryMb: number;
  architecture: Architecture;
  /** Number of provisioned environments. */
  count: number;
  enabledAt: number;
  /** Absent: still enabled when the run ended (billed to the run's end). */
  disabledAt?: number;
}

/** One fault window of the run, a line of `<dataDir>/faults.ndjson` written by the scenario runner. Epoch ms. */
export interface FaultWindow {
  /** The id that ledger records carry in `faultIds`. */
  id: string;
  /** What was done, e.g. `kill-zone`, `partition`. */
  action: string;
  /** What it was done to (a zone, a node, a link), as written; objects are kept as they are. */
  target: unknown;
  startAt: number;
  /** Absent: still active when the run ended. */
  endAt?: number;
}

/** What a side file held; `present: false` when the file does not exist (not an error: older runs have none). */
export interface SideFile<T> {
  present: boolean;
  entries: T[];
  /** A last line without its newline that did not parse (a crash mid-write), skipped. */
  truncatedLines: number;
}

type Check<T> = (value: Record<string, unknown>, fail: (field: string, message: string) => never) => T;

/** Lines of a text file, streamed; `complete: false` on a last line without its newline. */
async function* fileLines(file: string, signal: AbortSignal | undefined): AsyncGenerator<{ text: string; line: number; complete: boolean }> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024, ...(signal && { signal }) });
  let rest = '';
  let line = 0;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) yield { text, line: ++line, complete: true };
    }
    rest += decoder.decode();
    if (rest.length > 0) yield { text: rest, line: ++line, complete: false };
  } finally {
    stream.destroy();
  }
}

/**
 * Reads an NDJSON file line by line and checks each line. A missing file is `present: false`; a
 * bad line throws a {@link ReportInputError} naming the file, line and field, except a last line
 * cut short by a crash (no newline), which is skipped and counted, as `readLedger` does.
 */
async function readNdjson<T>(file: string, check: Check<T>, options: { signal?: AbortSignal; maxEntries: number }): Promise<SideFile<T>> {
  const entries: T[] = [];
  let truncatedLines = 0;
  try {
    for await (const { text, line, complete } of fileLines(file, options.signal)) {
      if (text.trim().length === 0) continue;
      if (entries.length >= options.maxEntries) {
        throw new ReportInputError(ReportErrorCode.InvalidInput, `more than ${options.maxEntries} entries`, { file, line });
      }
      try {
        entries.push(parseLine(text, file, line, check));
      } catch (err) {
        if (complete) throw err;
        truncatedLines++;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { present: false, entries: [], truncatedLines: 0 };
    throw err;
  }
  return { present: true, entries, truncatedLines };
}

function parseLine<T>(text: string, file: string, line: number, check: Check<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportInputError(ReportErrorCode.InvalidInput, `not JSON: ${(err as Error).message}`, { file, line, cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReportInputError(ReportErrorCode.InvalidInput, 'not a JSON object', { file, line });
  }
  return check(value as Record<string, unknown>, (field, message) => {
    throw new ReportInputError(ReportErrorCode.InvalidInput, message, { file, line, field });
  });
}

function text(v: Record<string, unknown>, field: string, fail: (f: string, m: string) => never): string {
  const x = v[field];
  if (typeof x !== 'string' || x.length === 0) fail(field, 'must be a non-empty string');
  return x;
}

function epochMs(v: Record<string, unknown>, field: string, fail: (f: string, m: string) => never): number {
  const x = v[field];
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail(field, 'must be epoch milliseconds (a number >= 0)');
  return x;
}

const checkProvisioned: Check<ProvisionedEntry> = (v, fail) => {
  const { memoryMb, architecture, count } = v;
  if (typeof memoryMb !== 'number' || !Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240) return fail('memoryMb', 'must be an integer from 128 to 10240');
  if (architecture !== 'x86_64' && architecture !== 'arm64') return fail('architecture', "must be 'x86_64' or 'arm64'");
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return fail('count', 'must be an integer >= 0');
  const entry: ProvisionedEntry = { functionName: text(v, 'functionName', fail), memoryMb, architecture, count, enabledAt: epochMs(v, 'enabledAt', fail) };
  if (v.qualifier !== undefined) entry.qualifier = text(v, 'qualifier', fail);
  if (v.disabledAt !== undefined) {
    entry.disabledAt = epochMs(v, 'disabledAt', fail);
    if (entry.disabledAt < entry.enabledAt) fail('disabledAt', 'is before enabledAt');
  }
  return entry;
};

const checkFault: Check<FaultWindow> = (v, fail) => {
  const fault: FaultWindow = {
    id: text(v, 'id', fail),
    action: text(v, 'action', fail),
    target: v.target ?? null,
    startAt: epochMs(v, 'startAt', fail),
  };
  if (v.endAt !== undefined) {
    fault.endAt = epochMs(v, 'endAt', fail);
    if (fault.endAt < fault.startAt) fail('endAt', 'is before startAt');
  }
  return fault;
};

/** Reads `provisioned.ndjson` (see {@link ProvisionedEntry}); a missing file is no allocation. */
export function readProvisionedFile(file: string, options: { signal?: AbortSignal; maxEntries: number }): Promise<SideFile<ProvisionedEntry>> {
  return readNdjson(file, checkProvisioned, options);
}

/**
 * Reads `faults.ndjson` (see {@link FaultWindow}); a missing file is a run without faults. A fault
 * may have two lines (the scenario runner writes one when it applies it and one when it heals it):
 * the last line of an id wins, so each fault is one window.
 */
export async function readFaultsFile(file: string, options: { signal?: AbortSignal; maxEntries: number }): Promise<SideFile<FaultWindow>> {
  const read = await readNdjson(file, checkFault, options);
  const byId = new Map<string, FaultWindow>();
  for (const f of read.entries) {
    byId.delete(f.id);
    byId.set(f.id, f);
  }
  return { ...read, entries: [...byId.values()] };
}
