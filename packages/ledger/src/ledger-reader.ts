import { createReadStream } from 'node:fs';
import { LedgerErrorCode, LedgerRecordError, LedgerOptionsError } from './errors.js';
import { listLedgerFiles } from './ledger-files.js';
import { parseLedgerRecord, type LedgerRecord } from './record.js';

/** @default 1 MiB: far above any record (strings in a record are capped at a few KB). */
export const DEFAULT_LEDGER_MAX_LINE_BYTES = 1024 * 1024;

/** A last line without its newline that was skipped. */
export interface TruncatedLine {
  file: string;
  /** 1-based line number. */
  line: number;
  bytes: number;
}

/** Settings of {@link readLedger}. */
export interface ReadLedgerOptions {
  signal?: AbortSignal;
  /** A longer line is a corrupt file and throws `LEDGER_LINE_TOO_LONG`. @default 1 MiB */
  maxLineBytes?: number;
  /** Called for each truncated last line that was skipped. */
  onTruncated?: (info: TruncatedLine) => void;
}

/** Counters of a read, filled in as it goes. */
export interface LedgerReadStats {
  files: number;
  records: number;
  /** Last lines cut short by a crash mid-write, skipped. */
  truncatedLines: number;
}

/** An async iterable of the records of a ledger directory, with counters. */
export class LedgerReader implements AsyncIterable<LedgerRecord> {
  readonly stats: LedgerReadStats = { files: 0, records: 0, truncatedLines: 0 };
  readonly #dir: string;
  readonly #options: ReadLedgerOptions;
  readonly #maxLineBytes: number;

  constructor(dir: string, options: ReadLedgerOptions = {}) {
    this.#dir = dir;
    this.#options = options;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_LEDGER_MAX_LINE_BYTES;
    if (!Number.isInteger(this.#maxLineBytes) || this.#maxLineBytes < 1) {
      throw new LedgerOptionsError('maxLineBytes', `must be an integer >= 1, got ${String(options.maxLineBytes)}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LedgerRecord> {
    for (const file of await listLedgerFiles(this.#dir)) {
      this.#options.signal?.throwIfAborted();
      this.stats.files++;
      yield* this.#readFile(file);
    }
  }

  // Splits on '\n' bytes (not characters: a chunk boundary may fall inside a UTF-8 sequence, but
  // never inside the byte 0x0A), keeping only the current partial line in memory.
  async *#readFile(file: string): AsyncGenerator<LedgerRecord> {
    const stream = createReadStream(file, { highWaterMark: 64 * 1024, ...(this.#options.signal && { signal: this.#options.signal }) });
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let line = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        let from = 0;
        for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
          const part = chunk.subarray(from, nl);
          this.#checkLength(pendingBytes + part.length, file, line + 1);
          const text = (pendingBytes > 0 ? Buffer.concat([...pending, part]) : part).toString('utf8');
          pending = [];
          pendingBytes = 0;
          from = nl + 1;
          line++;
          if (text.trim().length === 0) continue;
          this.stats.records++;
          yield parseLedgerRecord(text, { file, line });
        }
        if (from < chunk.length) {
          pending.push(chunk.subarray(from));
          pendingBytes += chunk.length - from;
          this.#checkLength(pendingBytes, file, line + 1);
        }
      }
    } finally {
      stream.destroy();
    }
    if (pendingBytes > 0) {
      // The writer ends every record with '\n' in the same write, so a last line without one was
      // cut by a crash mid-write. If the cut fell exactly before the newline the record is whole:
      // keep it; otherwise skip and count it (the issue: report it, don't fail the whole read).
      line++;
      const text = Buffer.concat(pending).toString('utf8');
      let record: LedgerRecord | undefined;
      try {
        record = parseLedgerRecord(text, { file, line });
      } catch {
        record = undefined;
      }
      if (record) {
        this.stats.records++;
        yield record;
      } else {
        this.stats.truncatedLines++;
        this.#options.onTruncated?.({ file, line, bytes: pendingBytes });
      }
    }
  }

  #checkLength(bytes: number, file: string, line: number): void {
    if (bytes > this.#maxLineBytes) {
      throw new LedgerRecordError(LedgerErrorCode.LineTooLong, `ledger line longer than maxLineBytes (${this.#maxLineBytes})`, { file, line });
    }
  }
}

/**
 * Streams the records of every ledger file in `dir`, in write order, line by line (a file is never
 * loaded whole). A truncated last line of a file (a crash mid-write) is skipped and counted in
 * `stats.truncatedLines`; a bad line anywhere else throws a {@link LedgerRecordError} naming the
 * file and line.
 *
 * @example
 * const reader = readLedger(dir);
 * for await (const record of reader) billing.add(record);
 * if (reader.stats.truncatedLines > 0) console.warn('ledger ends with a cut line');
 */
export function readLedger(dir: string, options: ReadLedgerOptions = {}): LedgerReader {
  return new LedgerReader(dir, options);
}
