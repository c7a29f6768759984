import type { Clock, TimerHandle } from '@zonesim/common';
import { AsyncQueueError, AsyncQueueErrorCode } from './errors.js';

/**
 * Writes a batch in one transaction and returns, per item, `undefined` (committed) or the error of
 * that item alone (e.g. a duplicate id). Throwing fails the whole batch.
 */
export type BatchWriter<T> = (items: readonly T[]) => ReadonlyArray<Error | undefined>;

/** Counters of {@link GroupCommit}, to show that durability did not cost one commit per event. */
export interface GroupCommitStats {
  /** Transactions committed (or attempted). */
  batches: number;
  /** Items written through them. */
  items: number;
  /** Largest batch so far. */
  largestBatch: number;
}

interface Pending<T> {
  item: T;
  weight: number;
  resolve: () => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Group commit: items submitted within the same turn of the event loop are written in one
 * transaction on the clock's `setImmediate`, so a burst of N enqueues costs a few commits instead of N. Each
 * submitter's promise resolves only after its batch committed. `setImmediate` (rather than a
 * microtask) lets every request whose bytes arrived in the same I/O phase join the batch.
 *
 * Bounded: at most `maxPending` items wait uncommitted; beyond that `submit` refuses with
 * `QUEUE_FULL`. A burst larger than `maxBatch` is written as several transactions, yielding to the
 * event loop between them so one huge burst does not stall the process.
 */
export class GroupCommit<T> {
  readonly #write: BatchWriter<T>;
  readonly #maxPending: number;
  readonly #maxBatch: number;
  #queue: Pending<T>[] = [];
  #pendingWeight = 0;
  readonly #clock: Clock;
  #scheduled: TimerHandle | undefined;
  #closed = false;
  readonly #stats: GroupCommitStats = { batches: 0, items: 0, largestBatch: 0 };

  constructor(write: BatchWriter<T>, options: { maxPending: number; maxBatch: number; clock: Clock }) {
    this.#write = write;
    this.#clock = options.clock;
    this.#maxPending = options.maxPending;
    this.#maxBatch = options.maxBatch;
  }

  /** Items waiting for their commit. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Sum of the weights (payload bytes) of the waiting items. */
  get pendingWeight(): number {
    return this.#pendingWeight;
  }

  /** A copy of the counters. */
  get stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  /** Queues `item` for the next batch; resolves once it is committed. */
  submit(item: T, weight: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new AsyncQueueError(AsyncQueueErrorCode.StoreClosed, 'event store is closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.#queue.length >= this.#maxPending) {
      return Promise.reject(
        new AsyncQueueError(AsyncQueueErrorCode.QueueFull, `${this.#maxPending} enqueues are already waiting for their commit`, {
          field: 'maxPendingEnqueues',
          limit: this.#maxPending,
          observed: this.#queue.length,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Pending<T> = { item, weight, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        // Aborting withdraws the item only while it waits; once its batch is being written the
        // commit goes ahead (the caller may not know, but the event is durably accepted).
        entry.onAbort = () => {
          const i = this.#queue.indexOf(entry);
          if (i < 0) return;
          this.#queue.splice(i, 1);
          this.#pendingWeight -= entry.weight;
          reject(aborted(signal));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#queue.push(entry);
      this.#pendingWeight += weight;
      this.#schedule();
    });
  }

  /** Writes everything waiting now, synchronously (used by `close()`). */
  flushAll(): void {
    while (this.#queue.length > 0) this.#flushOne();
  }

  /** Flushes what waits, then refuses new items. */
  close(): void {
    this.flushAll();
    this.#closed = true;
    if (this.#scheduled) this.#clock.clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
  }

  /**
   * Refuses everything from now on and writes nothing more: what waits was never acknowledged, and
   * after a crash (kill -9) it is not in the file either. Its callers get `StoreClosed`.
   */
  abandon(): void {
    this.#closed = true;
    if (this.#scheduled) this.#clock.clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const waiting = this.#queue.splice(0);
    this.#pendingWeight = 0;
    for (const e of waiting) e.reject(new AsyncQueueError(AsyncQueueErrorCode.StoreClosed, 'event store is closed (crash)'));
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = this.#clock.setImmediate(() => {
      this.#scheduled = undefined;
      this.#flushOne();
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  #flushOne(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    for (const e of batch) {
      this.#pendingWeight -= e.weight;
      if (e.onAbort) e.signal?.removeEventListener('abort', e.onAbort);
    }
    this.#stats.batches++;
    this.#stats.items += batch.length;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, batch.length);
    let results: ReadonlyArray<Error | undefined>;
    try {
      results = this.#write(batch.map((e) => e.item));
    } catch (err) {
      const failure =
        (err as { name?: unknown }).name === 'AsyncQueueError'
          ? (err as Error)
          : new AsyncQueueError(AsyncQueueErrorCode.StoreFailure, `could not commit ${batch.length} events: ${(err as Error).message}`, {}, { cause: err });
      for (const e of batch) e.reject(failure);
      return;
    }
    batch.forEach((e, i) => {
      const error = results[i];
      if (error) e.reject(error);
      else e.resolve();
    });
  }
}

function aborted(signal: AbortSignal): AsyncQueueError {
  return new AsyncQueueError(AsyncQueueErrorCode.Aborted, 'enqueue aborted before it was committed', {}, { cause: signal.reason });
}
