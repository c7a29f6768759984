import type { LedgerRecord } from './record.js';

/** Life of a sink: `idle` -> `open` -> `closing` -> `closed` (or straight to `closed` by `destroy`). */
export const LedgerWriterState = { Idle: 'idle', Open: 'open', Closing: 'closing', Closed: 'closed' } as const;
/** One of {@link LedgerWriterState}. */
export type LedgerWriterState = (typeof LedgerWriterState)[keyof typeof LedgerWriterState];

/** Counters of a sink. `appended = written + dropped-after-accept + still buffered`. */
export interface LedgerWriterStats {
  /** Records accepted into the buffer. */
  appended: number;
  /** Records written to a file. */
  written: number;
  /** Records lost: refused while the buffer was full or after close, failed writes, discarded by destroy. */
  dropped: number;
  /** Bytes held in memory now (buffered plus being written). */
  bufferedBytes: number;
  bytesWritten: number;
  /** Files this sink opened. */
  files: number;
  currentFile: string | undefined;
  writeErrors: number;
}

/**
 * Where ledger records go: `<dir>/ledger-NNNNNN.ndjson` files, rotated by size, one JSON record a
 * line (issue 16: the coordinator takes its sink as a component). Two implementations share this
 * contract and one test suite (ledger-writer.test.ts):
 *
 * - {@link LedgerWriter}: asynchronous writes on a flush interval, memory bounded by dropping (and
 *   counting) records when the disk cannot keep up. For real processes.
 * - {@link SyncLedgerWriter}: synchronous writes at the flush threshold, never drops, no timer.
 *   Its behaviour does not depend on disk speed, so a virtual-time run replays exactly.
 *
 * `append` never blocks and never throws. `flushThrough` resolves once every record appended
 * before the call is in a file (the async-event path awaits it before it settles an event).
 */
export interface LedgerSink {
  readonly state: LedgerWriterState;
  readonly stats: LedgerWriterStats;
  /** Creates the directory and opens the next file past the existing ones. Records appended before are kept. */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Takes one record; false when it was dropped (counted in `stats.dropped`). */
  append(record: LedgerRecord): boolean;
  /** Resolves when every record appended before the call is in the file. */
  flushThrough(): Promise<void>;
  /** Writes everything buffered now (records appended while it runs too). */
  flush(): Promise<void>;
  /** Stops taking records, writes what is buffered, fsyncs and closes the file. Safe to call twice. */
  close(options?: { signal?: AbortSignal }): Promise<void>;
  /** Stops at once: what is buffered is discarded and counted as dropped. */
  destroy(): void;
}
