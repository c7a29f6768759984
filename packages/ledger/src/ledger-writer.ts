import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '@zonesim/common';
import { LedgerOptionsError } from './errors.js';
import { ledgerFileIndex, ledgerFileName, planSegments, type FileSegment } from './ledger-files.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import { LedgerWriterState, type LedgerSink, type LedgerWriterStats } from './ledger-sink.js';
import type { LedgerRecord } from './record.js';

/** @default 64 MiB */
export const DEFAULT_LEDGER_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** @default 200 ms */
export const DEFAULT_LEDGER_FLUSH_INTERVAL_MS = 200;
/** @default 1 MiB */
export const DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES = 1024 * 1024;
/** @default 8 MiB */
export const DEFAULT_LEDGER_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Settings of a {@link LedgerWriter}. */
export interface LedgerWriterOptions {
  /** Directory of the ledger files (created if missing). Required. */
  dir: string;
  /** A file is rotated before it would pass this size; a single larger record gets a file of its own. @default 64 MiB */
  maxFileBytes?: number;
  /** Buffered records are written at this interval. @default 200 */
  flushIntervalMs?: number;
  /** ...or as soon as this many bytes are buffered. @default 1 MiB */
  flushThresholdBytes?: number;
  /** Bound on bytes held in memory (buffered plus being written); past it records are dropped and counted. @default 8 MiB */
  maxBufferedBytes?: number;
}

/** {@link LedgerWriterOptions} with every default filled in. */
export type ResolvedLedgerWriterOptions = Required<LedgerWriterOptions>;

/** `value` when it is an integer >= 1; else a {@link LedgerOptionsError} naming `field`. */
export function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LedgerOptionsError(field, `must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

/** Fills defaults and validates once; throws a {@link LedgerOptionsError} naming the field. */
export function resolveLedgerWriterOptions(options: LedgerWriterOptions): ResolvedLedgerWriterOptions {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) throw new LedgerOptionsError('dir', 'must be a non-empty path');
  const resolved: ResolvedLedgerWriterOptions = {
    dir: options.dir,
    maxFileBytes: positiveInteger(options.maxFileBytes ?? DEFAULT_LEDGER_MAX_FILE_BYTES, 'maxFileBytes'),
    flushIntervalMs: positiveInteger(options.flushIntervalMs ?? DEFAULT_LEDGER_FLUSH_INTERVAL_MS, 'flushIntervalMs'),
    flushThresholdBytes: positiveInteger(options.flushThresholdBytes ?? DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES, 'flushThresholdBytes'),
    maxBufferedBytes: positiveInteger(options.maxBufferedBytes ?? DEFAULT_LEDGER_MAX_BUFFERED_BYTES, 'maxBufferedBytes'),
  };
  if (resolved.flushThresholdBytes > resolved.maxBufferedBytes) {
    throw new LedgerOptionsError('flushThresholdBytes', `must not exceed maxBufferedBytes (${resolved.maxBufferedBytes})`);
  }
  return resolved;
}

/** Components a {@link LedgerWriter} uses, apart from its settings (tests pass fakes). */
export interface LedgerWriterComponents {
  /** Drives the flush interval. @default systemClock */
  clock?: Clock;
  /** Receives drop and write-error warnings. @default a logger that drops everything */
  logger?: LedgerLogger;
}

// The state and stats types are the sink's (ledger-sink.ts); re-exported here for existing imports.
export { LedgerWriterState, type LedgerWriterStats } from './ledger-sink.js';

/**
 * Appends ledger records to `<dir>/ledger-NNNNNN.ndjson`, one JSON object per line.
 *
 * `append` is synchronous and never blocks the caller: records are buffered and written by one
 * write at a time, every `flushIntervalMs` or once `flushThresholdBytes` are buffered. Memory is
 * bounded by `maxBufferedBytes`: when the disk cannot keep up, new records are dropped, counted and
 * reported (the issue: "never held in memory without bound") rather than queued. Files rotate by
 * size; a writer always starts a new file past the highest existing number, so a line a crash cut
 * short stays the last line of its file, where `readLedger` expects it.
 *
 * Because a slow disk makes it drop records, what it writes depends on disk speed: virtual-time
 * runs use {@link SyncLedgerWriter} instead (same files, never drops).
 */
export class LedgerWriter implements LedgerSink {
  readonly options: ResolvedLedgerWriterOptions;
  readonly #clock: Clock;
  readonly #logger: LedgerLogger;
  #state: LedgerWriterState = LedgerWriterState.Idle;
  #handle: FileHandle | undefined;
  #fileIndex = 0;
  #fileBytes = 0;
  #timer: TimerHandle | undefined;
  #buffer: string[] = [];
  #bufferBytes = 0;
  #inflightBytes = 0;
  #writing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #droppedInEpisode = 0;
  #stats = { appended: 0, written: 0, dropped: 0, bytesWritten: 0, files: 0, writeErrors: 0 };

  constructor(options: LedgerWriterOptions, components: LedgerWriterComponents = {}) {
    this.options = resolveLedgerWriterOptions(options);
    this.#clock = components.clock ?? systemClock;
    this.#logger = components.logger ?? noopLogger;
  }

  get state(): LedgerWriterState {
    return this.#state;
  }

  get stats(): LedgerWriterStats {
    return {
      ...this.#stats,
      bufferedBytes: this.#bufferBytes + this.#inflightBytes,
      currentFile: this.#handle ? join(this.options.dir, ledgerFileName(this.#fileIndex)) : undefined,
    };
  }

  /** Creates the directory, opens the next file and starts the flush timer. Records appended before are kept. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LedgerWriterState.Idle) throw new Error(`LedgerWriter.start: state is ${this.#state}`);
    options.signal?.throwIfAborted();
    await mkdir(this.options.dir, { recursive: true });
    options.signal?.throwIfAborted();
    let highest = 0;
    for (const name of await readdir(this.options.dir)) highest = Math.max(highest, ledgerFileIndex(name) ?? 0);
    options.signal?.throwIfAborted();
    if (this.#state !== LedgerWriterState.Idle) return; // destroyed meanwhile
    await this.#openFile(highest + 1);
    if (this.#state !== LedgerWriterState.Idle) {
      await this.#closeHandle(false);
      return;
    }
    this.#state = LedgerWriterState.Open;
    this.#timer = this.#clock.setInterval(() => void this.#kick(), this.options.flushIntervalMs);
    if (this.#buffer.length > 0) void this.#kick();
  }

  /**
   * Buffers one record. Returns false when it was dropped (buffer full, or the writer is closing):
   * the record is counted in `stats.dropped` and the first drop of a run of drops is logged.
   */
  append(record: LedgerRecord): boolean {
    if (this.#state === LedgerWriterState.Closing || this.#state === LedgerWriterState.Closed) {
      this.#drop(1, 'closed');
      return false;
    }
    const line = JSON.stringify(record) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.#bufferBytes + this.#inflightBytes + bytes > this.options.maxBufferedBytes) {
      this.#drop(1, 'buffer-full');
      return false;
    }
    this.#buffer.push(line);
    this.#bufferBytes += bytes;
    this.#stats.appended++;
    if (this.#bufferBytes >= this.options.flushThresholdBytes && this.#state === LedgerWriterState.Open) void this.#kick();
    return true;
  }

  /** Writes everything buffered now; resolves when it is in the file (not fsynced: see {@link close}). */
  async flush(): Promise<void> {
    while (this.#handle && (this.#buffer.length > 0 || this.#writing)) await this.#kick();
  }

  /**
   * Resolves once every record appended before the call is in the file (in the OS's page cache: it
   * survives a crash of this process, not a power loss). Unlike {@link flush} it does not wait for
   * records appended later, so it returns under continuous load. Writes are still batched: many
   * callers waiting at once share one write.
   */
  async flushThrough(): Promise<void> {
    const target = this.#stats.appended;
    while (this.#handle && this.#stats.written < target && (this.#buffer.length > 0 || this.#writing)) await this.#kick();
  }

  /** Resolves when no write is in progress (does not start one): lets tests wait on the timer's flush. */
  async whenIdle(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Stops taking records, writes what is buffered, fsyncs and closes the file. Safe to call twice. */
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state === LedgerWriterState.Closed) return Promise.resolve();
    const onAbort = () => this.destroy();
    if (options.signal?.aborted) {
      this.destroy();
      return Promise.resolve();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.#state = LedgerWriterState.Closing;
    this.#stopTimer();
    this.#closing = (async () => {
      try {
        await this.flush();
        // Never started (or the file was lost): what is still buffered cannot be written.
        if (this.#buffer.length > 0) this.#drop(this.#buffer.length, 'not-open');
        this.#buffer = [];
        this.#bufferBytes = 0;
        await this.#closeHandle(true);
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        this.#state = LedgerWriterState.Closed;
      }
    })();
    return this.#closing;
  }

  /** Stops at once: discards (and counts as dropped) what is buffered, closes the file without fsync. */
  destroy(): void {
    if (this.#state === LedgerWriterState.Closed && !this.#handle) return;
    this.#state = LedgerWriterState.Closed;
    this.#stopTimer();
    if (this.#buffer.length > 0) this.#drop(this.#buffer.length, 'destroyed');
    this.#buffer = [];
    this.#bufferBytes = 0;
    void this.#closeHandle(false);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #drop(count: number, reason: string): void {
    this.#stats.dropped += count;
    if (this.#droppedInEpisode === 0) {
      this.#logger.warn(
        { reason, maxBufferedBytes: this.options.maxBufferedBytes, droppedTotal: this.#stats.dropped },
        'ledger: dropping records (counted in stats.dropped)',
      );
    }
    this.#droppedInEpisode += count;
  }

  // One drain at a time; a call while one runs joins it (it loops until the buffer is empty).
  #kick(): Promise<void> {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0 && this.#handle) {
      const lines = this.#buffer;
      this.#inflightBytes = this.#bufferBytes;
      this.#buffer = [];
      this.#bufferBytes = 0;
      try {
        await this.#writeLines(lines);
      } catch (err) {
        // Never reject: the timer calls this with `void`. Whatever was not written is counted.
        this.#stats.writeErrors++;
        this.#logger.error({ err, dir: this.options.dir }, 'ledger: write failed');
      } finally {
        this.#inflightBytes = 0;
      }
    }
    if (this.#droppedInEpisode > 0 && this.#buffer.length === 0) {
      this.#logger.warn({ dropped: this.#droppedInEpisode, droppedTotal: this.#stats.dropped }, 'ledger: caught up after dropping records');
      this.#droppedInEpisode = 0;
    }
  }

  async #writeLines(lines: string[]): Promise<void> {
    let segment: FileSegment | undefined;
    try {
      for (segment of planSegments(lines.map((l) => Buffer.byteLength(l)), this.#fileBytes, this.options.maxFileBytes)) {
        if (segment.rotateBefore) await this.#rotate();
        await this.#writeSegment(lines.slice(segment.start, segment.end), segment.bytes);
      }
    } catch (err) {
      // Lines from this segment on were not written (a segment is written whole or counted lost whole).
      this.#drop(lines.length - (segment?.start ?? 0), 'write-error');
      throw err;
    }
  }

  async #writeSegment(lines: string[], bytes: number): Promise<void> {
    const handle = this.#handle;
    if (!handle) throw new Error('ledger file is not open');
    const data = Buffer.from(lines.join(''));
    let offset = 0;
    try {
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      // Part of a line may be in the file: continue in a new file so that the cut line stays last
      // in its file, where readLedger skips it (it rejects a bad line in the middle of a file).
      if (offset > 0) await this.#rotate().catch(() => {});
      throw err;
    }
    this.#fileBytes += bytes;
    this.#stats.written += lines.length;
    this.#stats.bytesWritten += bytes;
  }

  async #rotate(): Promise<void> {
    // fsync at rotation: a finished file is durable before the next one starts.
    await this.#closeHandle(true);
    await this.#openFile(this.#fileIndex + 1);
  }

  async #openFile(index: number): Promise<void> {
    // 'wx': never append to or clobber a file that exists (another writer, or a crashed run).
    for (let i = index; ; i++) {
      try {
        this.#handle = await open(join(this.options.dir, ledgerFileName(i)), 'wx');
        this.#fileIndex = i;
        this.#fileBytes = 0;
        this.#stats.files++;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  async #closeHandle(sync: boolean): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) return;
    try {
      if (sync) await handle.sync();
    } finally {
      await handle.close().catch(() => {});
    }
  }
}
