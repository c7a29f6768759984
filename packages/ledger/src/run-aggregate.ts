import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerStateError, inStateFile } from './errors.js';
import { resolveLedgerDetail, type LedgerDetail } from './ledger-detail.js';
import { parsePriceTable, type PriceTable } from './prices.js';
import type { RunCollectorState } from './run-collector.js';
import { stateArray, stateNumber, stateNumberOrNull, stateObject, stateString } from './state-codec.js';

/** `<ledger dir>/detail.json`: the level the records were written at ({@link LedgerDetailFile}). */
export const LEDGER_DETAIL_FILE = 'detail.json';
/** `<ledger dir>/aggregate.json`: the run's exact aggregate, kept at levels `sampled` and `aggregate` ({@link RunAggregateFile}). */
export const RUN_AGGREGATE_FILE = 'aggregate.json';
/** `<ledger dir>/seconds.ndjson`: the aggregate's per-second rows (`encodeSecondRow`), the first `seconds` of them. */
export const RUN_SECONDS_FILE = 'seconds.ndjson';
/** Format version of `detail.json` and `aggregate.json`; bumped on an incompatible change. */
export const RUN_AGGREGATE_FORMAT_VERSION = 1;

/** How long a second stays open for records out of order, in the aggregate as in the report. @default 5000 ms */
export const DEFAULT_RUN_LATE_GRACE_MS = 5000;
/** Zones with a throughput column of their own, in the aggregate as in the report. @default 64 */
export const DEFAULT_RUN_MAX_ZONE_COLUMNS = 64;
/** Longest span over which in-flight attempts are counted (4 bytes a second). @default 31 days */
export const DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS = 31 * 24 * 3600;

/**
 * `detail.json`, written when a ledger starts and again when it stops cleanly: how the records in
 * this directory were written, so that a report knows whether they are all the attempts.
 */
export interface LedgerDetailFile {
  formatVersion: typeof RUN_AGGREGATE_FORMAT_VERSION;
  /** The level of the run that last started on this directory. */
  detail: LedgerDetail;
  /** `running` from start until a clean stop: a directory left `running` is in use, or its coordinator died. */
  state: 'running' | 'stopped';
  /** `aggregate.json` is kept for this directory (this run's level, or an earlier run's, is not `full`). */
  aggregate: boolean;
}

/** Where the aggregate misses attempts (a run that did not stop cleanly). */
export interface AggregateGap {
  /** When it was noticed (the latest `respondedAt` the aggregate held then), or null. */
  at: number | null;
  reason: string;
}

/**
 * `aggregate.json`: everything a report needs from a ledger directory whose records are a sample
 * (or absent), exactly: the saved {@link RunCollectorState} (counts, HDR histograms, the bill in
 * integer units, in-flight deltas) and the price table the bill was computed with; the per-second
 * rows are the first `seconds` lines of `seconds.ndjson`. Saved when the ledger stops cleanly.
 */
export interface RunAggregateFile {
  formatVersion: typeof RUN_AGGREGATE_FORMAT_VERSION;
  /** The level of the run that saved it. */
  detail: LedgerDetail;
  /** Attempts in the totals. */
  records: number;
  /** Of those, the records handed to the ledger files (a sink may still have dropped some: see its stats). */
  written: number;
  /** False when attempts of this directory are missing from the totals; `gaps` says where. */
  complete: boolean;
  gaps: AggregateGap[];
  /** Rows of `seconds.ndjson` that belong to this aggregate, and their bytes. */
  seconds: number;
  secondsBytes: number;
  prices: PriceTable;
  collector: RunCollectorState;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readTextAsync(file: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  try {
    return await readFile(file, { encoding: 'utf8', ...(signal && { signal }) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LedgerStateError('is not JSON', { file, cause: err });
  }
}

function checkVersion(s: Record<string, unknown>, file: string): void {
  if (s.formatVersion !== RUN_AGGREGATE_FORMAT_VERSION) {
    throw new LedgerStateError(`format version ${JSON.stringify(s.formatVersion)} is not ${RUN_AGGREGATE_FORMAT_VERSION}`, { field: '/formatVersion', file });
  }
}

function detailAt(value: unknown, file: string): LedgerDetail {
  try {
    return resolveLedgerDetail(stateObject(value, '/detail') as LedgerDetail);
  } catch (err) {
    throw new LedgerStateError((err as Error).message, { field: '/detail', file, cause: err });
  }
}

/** Checks a parsed `detail.json`; throws a {@link LedgerStateError} naming the field and file. */
export function parseLedgerDetailFile(value: unknown, file = LEDGER_DETAIL_FILE): LedgerDetailFile {
  return inStateFile(file, () => {
    const s = stateObject(value, '/');
    checkVersion(s, file);
    if (s.state !== 'running' && s.state !== 'stopped') throw new LedgerStateError(`must be 'running' or 'stopped'`, { field: '/state' });
    if (typeof s.aggregate !== 'boolean') throw new LedgerStateError('must be a boolean', { field: '/aggregate' });
    return { formatVersion: RUN_AGGREGATE_FORMAT_VERSION, detail: detailAt(s.detail, file), state: s.state, aggregate: s.aggregate };
  });
}

/**
 * Checks a parsed `aggregate.json` down to its price table; the collector state is checked when a
 * `RunCollector` is built from it. Throws a {@link LedgerStateError} naming the field and file.
 */
export function parseRunAggregateFile(value: unknown, file = RUN_AGGREGATE_FILE): RunAggregateFile {
  return inStateFile(file, () => {
    const s = stateObject(value, '/');
    checkVersion(s, file);
    const int = (v: unknown, p: string) => stateNumber(v, p, { integer: true, min: 0 });
    if (typeof s.complete !== 'boolean') throw new LedgerStateError('must be a boolean', { field: '/complete' });
    let prices: PriceTable;
    try {
      prices = parsePriceTable(s.prices);
    } catch (err) {
      throw new LedgerStateError(`is not a price table: ${(err as Error).message}`, { field: '/prices', cause: err });
    }
    return {
      formatVersion: RUN_AGGREGATE_FORMAT_VERSION,
      detail: detailAt(s.detail, file),
      records: int(s.records, '/records'),
      written: int(s.written, '/written'),
      complete: s.complete,
      gaps: stateArray(s.gaps, '/gaps').map((g, i) => {
        const o = stateObject(g, `/gaps/${i}`);
        return { at: stateNumberOrNull(o.at, `/gaps/${i}/at`), reason: stateString(o.reason, `/gaps/${i}/reason`) };
      }),
      seconds: int(s.seconds, '/seconds'),
      secondsBytes: int(s.secondsBytes, '/secondsBytes'),
      prices,
      collector: stateObject(s.collector, '/collector') as unknown as RunCollectorState,
    };
  });
}

/** `<dir>/detail.json`, or undefined when there is none (a ledger from before detail levels: `full`). */
export function readLedgerDetailFileSync(dir: string): LedgerDetailFile | undefined {
  const file = join(dir, LEDGER_DETAIL_FILE);
  const text = readText(file);
  return text === undefined ? undefined : parseLedgerDetailFile(parseJson(text, file), file);
}

/** `<dir>/aggregate.json`, or undefined when there is none. */
export function readRunAggregateSync(dir: string): RunAggregateFile | undefined {
  const file = join(dir, RUN_AGGREGATE_FILE);
  const text = readText(file);
  return text === undefined ? undefined : parseRunAggregateFile(parseJson(text, file), file);
}

/** `<dir>/detail.json`, or undefined when there is none (a ledger from before detail levels: `full`). */
export async function readLedgerDetailFile(dir: string, options: { signal?: AbortSignal } = {}): Promise<LedgerDetailFile | undefined> {
  const file = join(dir, LEDGER_DETAIL_FILE);
  const text = await readTextAsync(file, options.signal);
  return text === undefined ? undefined : parseLedgerDetailFile(parseJson(text, file), file);
}

/** `<dir>/aggregate.json`, or undefined when there is none. */
export async function readRunAggregate(dir: string, options: { signal?: AbortSignal } = {}): Promise<RunAggregateFile | undefined> {
  const file = join(dir, RUN_AGGREGATE_FILE);
  const text = await readTextAsync(file, options.signal);
  return text === undefined ? undefined : parseRunAggregateFile(parseJson(text, file), file);
}

/** True when two price tables are the same (a bill kept in one cannot be re-read in another). */
export function samePriceTable(a: PriceTable, b: PriceTable): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
