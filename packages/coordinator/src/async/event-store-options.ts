/** Defaults of {@link EventStoreOptions}; docs/limits.md lists them. */
export const DEFAULT_EVENT_STORE = {
  fileName: 'async-events.db',
  synchronous: 'NORMAL',
  maxQueuedEvents: 100_000,
  maxQueuedBytes: 1024 * 1024 * 1024,
  maxPendingEnqueues: 16_384,
  maxBatchSize: 2_000,
  leaseMs: 60_000,
  busyTimeoutMs: 5_000,
} as const;

/** SQLite's `synchronous` levels we allow with WAL. */
export type SynchronousMode = 'NORMAL' | 'FULL';

/** Settings of an {@link EventStore}; all optional except `dataDir`. */
export interface EventStoreOptions {
  /** Directory of the database file; created if missing. Required. */
  dataDir?: string;
  /**
   * File name under `dataDir`. A file of its own (not shared with other coordinator state) because
   * `PRAGMA user_version` numbers the migrations of one file, and two components migrating one file
   * would step on each other's versions. @default 'async-events.db'
   */
  fileName?: string;
  /**
   * `PRAGMA synchronous` under WAL. `NORMAL`: a commit is written to the WAL file before the enqueue
   * promise resolves, so it survives a crash or `kill -9` of the process (the OS has the bytes); only
   * an OS crash or power loss can lose the last commits, because the WAL is fsynced at checkpoints,
   * not at each commit. `FULL` fsyncs every commit: survives power loss too, at a few ms per group
   * commit. zonesim's promise is "survives `kill -9` of the coordinator", so NORMAL. @default 'NORMAL'
   */
  synchronous?: SynchronousMode;
  /** Most events queued or in flight at once; beyond it `enqueue` fails with `QUEUE_FULL`. @default 100000 */
  maxQueuedEvents?: number;
  /** Most payload bytes queued or in flight at once (`QUEUE_FULL` beyond). @default 1 GiB */
  maxQueuedBytes?: number;
  /** Most enqueues waiting for their group commit (`QUEUE_FULL` beyond). @default 16384 */
  maxPendingEnqueues?: number;
  /** Most events written by one transaction; a bigger burst takes several. @default 2000 */
  maxBatchSize?: number;
  /** Lease of a claim when `claimDue` is not given one. @default 60000 */
  leaseMs?: number;
  /** SQLite busy timeout, should another connection hold the write lock. @default 5000 */
  busyTimeoutMs?: number;
}

/** Fully resolved {@link EventStoreOptions}. */
export type ResolvedEventStoreOptions = Required<Omit<EventStoreOptions, 'synchronous'>> & { synchronous: SynchronousMode };

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveEventStoreOptions(options: EventStoreOptions): ResolvedEventStoreOptions {
  if (!options.dataDir) throw new TypeError('event store option dataDir is required');
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as EventStoreOptions;
  const o: ResolvedEventStoreOptions = { ...DEFAULT_EVENT_STORE, ...defined, dataDir: options.dataDir };
  if (o.synchronous !== 'NORMAL' && o.synchronous !== 'FULL') {
    throw new TypeError(`event store option synchronous must be NORMAL or FULL, got ${String(o.synchronous)}`);
  }
  if (!/^[\w.-]+$/.test(o.fileName)) throw new TypeError(`event store option fileName must be a plain file name, got ${o.fileName}`);
  for (const name of ['maxQueuedEvents', 'maxQueuedBytes', 'maxPendingEnqueues', 'maxBatchSize', 'leaseMs'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw new TypeError(`event store option ${name} must be an integer >= 1, got ${String(o[name])}`);
  }
  if (!Number.isInteger(o.busyTimeoutMs) || o.busyTimeoutMs < 0) {
    throw new TypeError(`event store option busyTimeoutMs must be an integer >= 0, got ${String(o.busyTimeoutMs)}`);
  }
  return o;
}
