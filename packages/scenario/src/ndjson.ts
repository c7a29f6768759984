import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { RunFileError } from './errors.js';
import { validators, type AsyncFinal, type EnvironmentTotals, type FaultRecord, type HistoryOp, type QueueMessageRecord, type RunInfo, type Validator, type ZoneTransition } from './run-files.js';

/** Counters of one NDJSON read. */
export interface NdjsonReadStats {
  records: number;
  /** A last line without its newline that did not parse (a crash mid-write): skipped. */
  truncatedLines: number;
}

/** Settings of an NDJSON read. */
export interface NdjsonReadOptions {
  signal?: AbortSignal;
  /** A longer line is a corrupt file. @default 1 MiB */
  maxLineBytes?: number;
  /** Filled in as the read goes. */
  stats?: NdjsonReadStats;
}

/** @default 1 MiB */
export const DEFAULT_NDJSON_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Streams the records of an NDJSON file, validated, one line at a time (a file is never loaded
 * whole). A bad line throws a {@link RunFileError} naming the file, line and field; a last line cut
 * short by a crash mid-write is skipped and counted, as @zonesim/ledger's reader does.
 */
export async function* readNdjson<T>(file: string, validate: Validator, options: NdjsonReadOptions = {}): AsyncGenerator<T> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_NDJSON_MAX_LINE_BYTES;
  const stats = options.stats ?? { records: 0, truncatedLines: 0 };
  const stream = createReadStream(file, { highWaterMark: 64 * 1024, ...(options.signal && { signal: options.signal }) });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const parse = (text: string, lineNo: number): T => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new RunFileError(file, lineNo, '', `not JSON: ${(err as Error).message}`, { cause: err });
    }
    const problem = validate(value);
    if (problem) throw new RunFileError(file, lineNo, problem.field, problem.message);
    return value as T;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        const part = chunk.subarray(from, nl);
        if (pendingBytes + part.length > maxLineBytes) throw new RunFileError(file, line + 1, '', `line longer than ${maxLineBytes} bytes`);
        const text = (pendingBytes > 0 ? Buffer.concat([...pending, part]) : part).toString('utf8');
        pending = [];
        pendingBytes = 0;
        from = nl + 1;
        line++;
        if (text.trim() === '') continue;
        stats.records++;
        yield parse(text, line);
      }
      if (from < chunk.length) {
        pending.push(chunk.subarray(from));
        pendingBytes += chunk.length - from;
        if (pendingBytes > maxLineBytes) throw new RunFileError(file, line + 1, '', `line longer than ${maxLineBytes} bytes`);
      }
    }
  } finally {
    stream.destroy();
  }
  if (pendingBytes > 0) {
    line++;
    const text = Buffer.concat(pending).toString('utf8');
    if (text.trim() === '') return;
    let record: T | undefined;
    try {
      record = parse(text, line);
    } catch {
      stats.truncatedLines++;
      return;
    }
    stats.records++;
    yield record;
  }
}

/** Streams `history.ndjson`. */
export function readHistory(file: string, options: NdjsonReadOptions = {}): AsyncGenerator<HistoryOp> {
  return readNdjson<HistoryOp>(file, validators.historyOp, options);
}

/** Streams `faults.ndjson`. */
export function readFaultRecords(file: string, options: NdjsonReadOptions = {}): AsyncGenerator<FaultRecord> {
  return readNdjson<FaultRecord>(file, validators.faultRecord, options);
}

/** Streams `queue-messages.ndjson`. */
export function readQueueMessages(file: string, options: NdjsonReadOptions = {}): AsyncGenerator<QueueMessageRecord> {
  return readNdjson<QueueMessageRecord>(file, validators.queueMessage, options);
}

/** Streams `zones.ndjson`. */
export function readZoneTransitions(file: string, options: NdjsonReadOptions = {}): AsyncGenerator<ZoneTransition> {
  return readNdjson<ZoneTransition>(file, validators.zoneTransition, options);
}

async function readJson<T>(file: string, validate: Validator): Promise<T> {
  const text = await readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunFileError(file, 0, '', `not JSON: ${(err as Error).message}`, { cause: err });
  }
  const problem = validate(value);
  if (problem) throw new RunFileError(file, 0, problem.field, problem.message);
  return value as T;
}

/** Reads `async-final.json`. */
export function readAsyncFinal(file: string): Promise<AsyncFinal> {
  return readJson<AsyncFinal>(file, validators.asyncFinal);
}

/** Reads `run.json`. */
export function readRunInfo(file: string): Promise<RunInfo> {
  return readJson<RunInfo>(file, validators.runInfo);
}

/** Reads `environments.json` (the zone nodes' idle memory and pre-warms, issue 18). */
export function readEnvironmentTotals(file: string): Promise<EnvironmentTotals> {
  return readJson<EnvironmentTotals>(file, validators.environmentTotals);
}

/**
 * Appends records to an NDJSON file, one line each, written whole in one call so that a crash
 * leaves at most one cut last line (which readers skip). Backpressure is visible: `write`
 * returns false past the stream's high-water mark; await `drain()` before writing more.
 */
export class NdjsonWriter<T> {
  readonly #stream: WriteStream;
  #closed = false;
  #lines = 0;

  constructor(readonly file: string, options: { append?: boolean; highWaterMark?: number } = {}) {
    this.#stream = createWriteStream(file, { flags: options.append ? 'a' : 'w', highWaterMark: options.highWaterMark ?? 256 * 1024 });
  }

  /** Lines written so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Writes one record; false = above the high-water mark (await {@link drain}). */
  write(record: T): boolean {
    if (this.#closed) throw new Error(`${this.file} is closed`);
    this.#lines++;
    return this.#stream.write(`${JSON.stringify(record)}\n`);
  }

  /** Resolves when the buffered lines are below the high-water mark again. */
  async drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#stream.writableNeedDrain) return;
    await once(this.#stream, 'drain', options.signal ? { signal: options.signal } : {});
  }

  /** Flushes and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve, reject) => this.#stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Writer of `history.ndjson`. */
export type HistoryWriter = NdjsonWriter<HistoryOp>;
