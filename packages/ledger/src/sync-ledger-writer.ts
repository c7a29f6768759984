import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '@zonesim/common';
import { LedgerOptionsError } from './errors.js';
import { ledgerFileIndex, ledgerFileName, planSegments, type FileSegment } from './ledger-files.js';
import { LedgerWriterState, type LedgerSink, type LedgerWriterStats } from './ledger-sink.js';
import { DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES, DEFAULT_LEDGER_MAX_FILE_BYTES, positiveInteger } from './ledger-writer.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import type { LedgerRecord } from './record.js';

/** Settings of a {@link SyncLedgerWriter}. */
export interface SyncLedgerWriterOptions {
  /** Directory of the ledger files (created if missing). Required. */
  dir: string;
  /** A file is rotated before it would pass this size; a single larger record gets a file of its own. @default 64 MiB */
  maxFileBytes?: number;
  /** Buffered records are written (synchronously, inside `append`) once this many bytes are buffered. @default 1 MiB */
  flushThresholdBytes?: number;
  /**
   * Also write what is buffered at this interval of the clock. Off by default: in virtual time the
   * threshold, `flushThrough` and `close` are the only writes, so they happen at the same records
   * in every replay. @default undefined (no timer)
   */
  flushIntervalMs?: number;
}

/** {@link SyncLedgerWriterOptions} with every default filled in. */
export interface ResolvedSyncLedgerWriterOptions {
  dir: string;
  maxFileBytes: number;
  flushThresholdBytes: number;
  flushIntervalMs: number | undefined;
}

/** Fills defaults and validates once; throws a {@link LedgerOptionsError} naming the field. */
export function resolveSyncLedgerWriterOptions(options: SyncLedgerWriterOptions): ResolvedSyncLedgerWriterOptions {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) throw new LedgerOptionsError('dir', 'must be a non-empty path');
  return {
    dir: options.dir,
    maxFileBytes: positiveInteger(options.maxFileBytes ?? DEFAULT_LEDGER_MAX_FILE_BYTES, 'maxFileBytes'),
    flushThresholdBytes: positiveInteger(options.flushThresholdBytes ?? DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES, 'flushThresholdBytes'),
    flushIntervalMs: options.flushIntervalMs === undefined ? undefined : positiveInteger(options.flushIntervalMs, 'flushIntervalMs'),
  };
}

/** Components of a {@link SyncLedgerWriter}, apart from its settings. */
export interface SyncLedgerWriterComponents {
  /** Drives the optional flush interval. @default systemClock */
  clock?: Clock;
  /** Receives write-error warnings. @default a logger that drops everything */
  logger?: LedgerLogger;
}

/**
 * The ledger sink of deterministic (virtual-time) runs: the same files, rotation and stats as
 * {@link LedgerWriter}, but every write is a `writeSync` made inside the call that needs it
 * (`append` at the flush threshold, `flush`, `flushThrough`, `close`). So it never drops a record
 * for a slow disk, holds at most `flushThresholdBytes` plus one record once open, and
 * `flushThrough()` resolves after a synchronous write with no real asynchronous I/O in between:
 * what it writes, and when, depends only on the sequence of records (design: virtual-time-plan
 * section 2.5). The cost is that a write blocks the event loop; at the default 1 MiB threshold that
 * is one write per few thousand records. A record is lost only to a failed write (`writeErrors`),
 * to `destroy`, or when appended after `close`. Before `start` records are buffered without bound.
 */
export class SyncLedgerWriter implements LedgerSink {
  readonly options: ResolvedSyncLedgerWriterOptions;
  readonly #clock: Clock;
  readonly #logger: LedgerLogger;
  #state: LedgerWriterState = LedgerWriterState.Idle;
  #fd: number | undefined;
  #fileIndex = 0;
  #fileBytes = 0;
  #timer: TimerHandle | undefined;
  #buffer: string[] = [];
  #bufferBytes = 0;
  #stats = { appended: 0, written: 0, dropped: 0, bytesWritten: 0, files: 0, writeErrors: 0 };
  readonly #warned = new Set<string>();

  constructor(options: SyncLedgerWriterOptions, components: SyncLedgerWriterComponents = {}) {
    this.options = resolveSyncLedgerWriterOptions(options);
    this.#clock = components.clock ?? systemClock;
    this.#logger = components.logger ?? noopLogger;
  }

  get state(): LedgerWriterState {
    return this.#state;
  }

  get stats(): LedgerWriterStats {
    return {
      ...this.#stats,
      bufferedBytes: this.#bufferBytes,
      currentFile: this.#fd !== undefined ? join(this.options.dir, ledgerFileName(this.#fileIndex)) : undefined,
    };
  }

  /** Creates the directory and opens the next file, synchronously; writes what was appended before. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LedgerWriterState.Idle) throw new Error(`SyncLedgerWriter.start: state is ${this.#state}`);
    options.signal?.throwIfAborted();
    mkdirSync(this.options.dir, { recursive: true });
    let highest = 0;
    for (const name of readdirSync(this.options.dir)) highest = Math.max(highest, ledgerFileIndex(name) ?? 0);
    this.#openFile(highest + 1);
    this.#state = LedgerWriterState.Open;
    if (this.options.flushIntervalMs !== undefined) this.#timer = this.#clock.setInterval(() => this.#writeBuffered(), this.options.flushIntervalMs);
    if (this.#buffer.length > 0) this.#writeBuffered();
  }

  /** Buffers one record, writing the buffer at once when it reaches the threshold. False only after close. */
  append(record: LedgerRecord): boolean {
    if (this.#state === LedgerWriterState.Closing || this.#state === LedgerWriterState.Closed) {
      this.#drop(1, 'closed');
      return false;
    }
    const line = JSON.stringify(record) + '\n';
    this.#buffer.push(line);
    this.#bufferBytes += Buffer.byteLength(line);
    this.#stats.appended++;
    if (this.#bufferBytes >= this.options.flushThresholdBytes && this.#state === LedgerWriterState.Open) this.#writeBuffered();
    return true;
  }

  /** Writes everything buffered, synchronously. */
  async flush(): Promise<void> {
    this.#writeBuffered();
  }

  /** Writes everything buffered, synchronously: every record appended before the call is in the file when it resolves. */
  async flushThrough(): Promise<void> {
    this.#writeBuffered();
  }

  /** Stops taking records, writes what is buffered, fsyncs and closes the file (all synchronously). Safe to call twice. */
  async close(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === LedgerWriterState.Closed || this.#state === LedgerWriterState.Closing) return;
    if (options.signal?.aborted) {
      this.destroy();
      return;
    }
    this.#state = LedgerWriterState.Closing;
    this.#stopTimer();
    try {
      this.#writeBuffered();
      // Never started: what is still buffered cannot be written.
      if (this.#buffer.length > 0) this.#drop(this.#buffer.length, 'not-open');
      this.#buffer = [];
      this.#bufferBytes = 0;
      this.#closeFile(true);
    } finally {
      this.#state = LedgerWriterState.Closed;
    }
  }

  /** Stops at once: discards (and counts as dropped) what is buffered, closes the file without fsync. */
  destroy(): void {
    if (this.#state === LedgerWriterState.Closed && this.#fd === undefined) return;
    this.#state = LedgerWriterState.Closed;
    this.#stopTimer();
    if (this.#buffer.length > 0) this.#drop(this.#buffer.length, 'destroyed');
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#closeFile(false);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #drop(count: number, reason: string): void {
    this.#stats.dropped += count;
    // Once per reason: an append loop after close must not flood the log.
    if (this.#warned.has(reason)) return;
    this.#warned.add(reason);
    this.#logger.warn({ reason, count, droppedTotal: this.#stats.dropped }, 'ledger: records not written (counted in stats.dropped)');
  }

  // Never throws (the timer and append call it): a failed write is counted and logged.
  #writeBuffered(): void {
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    const lines = this.#buffer;
    this.#buffer = [];
    this.#bufferBytes = 0;
    let segment: FileSegment | undefined;
    try {
      for (segment of planSegments(lines.map((l) => Buffer.byteLength(l)), this.#fileBytes, this.options.maxFileBytes)) {
        if (segment.rotateBefore) this.#rotate();
        this.#writeSegment(lines.slice(segment.start, segment.end), segment.bytes);
      }
    } catch (err) {
      this.#stats.writeErrors++;
      this.#drop(lines.length - (segment?.start ?? 0), 'write-error');
      this.#logger.error({ err, dir: this.options.dir }, 'ledger: write failed');
    }
  }

  #writeSegment(lines: string[], bytes: number): void {
    const fd = this.#fd;
    if (fd === undefined) throw new Error('ledger file is not open');
    const data = Buffer.from(lines.join(''));
    let offset = 0;
    try {
      while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    } catch (err) {
      // Part of a line may be in the file: continue in a new file so that the cut line stays last
      // in its file, where readLedger skips it.
      if (offset > 0) {
        try {
          this.#rotate();
        } catch {
          // the next write reports it
        }
      }
      throw err;
    }
    this.#fileBytes += bytes;
    this.#stats.written += lines.length;
    this.#stats.bytesWritten += bytes;
  }

  #rotate(): void {
    // fsync at rotation, as LedgerWriter: a finished file is durable before the next one starts.
    this.#closeFile(true);
    this.#openFile(this.#fileIndex + 1);
  }

  #openFile(index: number): void {
    // 'wx': never append to or clobber a file that exists (another writer, or a crashed run).
    for (let i = index; ; i++) {
      try {
        this.#fd = openSync(join(this.options.dir, ledgerFileName(i)), 'wx');
        this.#fileIndex = i;
        this.#fileBytes = 0;
        this.#stats.files++;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  #closeFile(sync: boolean): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      if (sync) fsyncSync(fd);
    } finally {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}
