/** Defaults of {@link QueueServiceOptions}; docs/limits.md lists them. */
export const DEFAULT_QUEUE_SERVICE = {
  fileName: 'queues.db',
  maxQueues: 1_000,
  maxMessagesPerQueue: 100_000,
  maxQueueBytes: 256 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxPendingSends: 16_384,
  maxBatchSize: 2_000,
  maxLongPolls: 1_000,
  sweepIntervalMs: 1_000,
  tombstoneRetentionMs: 24 * 60 * 60 * 1000,
  maxTombstones: 1_000_000,
  purgeCooldownMs: 60_000,
} as const;

/** Settings of the built-in queue service; all optional but `dataDir`. */
export interface QueueServiceOptions {
  /** Directory of the database file. Required. */
  dataDir?: string;
  /** @default 'queues.db' */
  fileName?: string;
  /** Queues at once; beyond it CreateQueue is `OverLimit`. @default 1000 */
  maxQueues?: number;
  /** Messages queued (visible, in flight or delayed) per queue; beyond it sends are `OverLimit`. @default 100000 */
  maxMessagesPerQueue?: number;
  /** Body and attribute bytes queued per queue (`OverLimit` beyond). @default 256 MiB */
  maxQueueBytes?: number;
  /** Bytes queued in all queues (`OverLimit` beyond). @default 1 GiB */
  maxTotalBytes?: number;
  /** Sends waiting for their group commit (`RequestThrottled` beyond). @default 16384 */
  maxPendingSends?: number;
  /** Messages written by one transaction; a bigger burst takes several. @default 2000 */
  maxBatchSize?: number;
  /** ReceiveMessage calls long-polling at once (API and event source mappings; `RequestThrottled` beyond). @default 1000 */
  maxLongPolls?: number;
  /** How often retention and tombstones are swept. @default 1000 */
  sweepIntervalMs?: number;
  /** How long a deleted message's tombstone (id, counts, no body) is kept for the admin API. @default 86400000 */
  tombstoneRetentionMs?: number;
  /** Most tombstones kept; the oldest go first. @default 1000000 */
  maxTombstones?: number;
  /** SQS allows one PurgeQueue per queue per 60 s (`PurgeQueueInProgress`). @default 60000 */
  purgeCooldownMs?: number;
}

/** Fully resolved {@link QueueServiceOptions}. */
export type ResolvedQueueServiceOptions = Required<QueueServiceOptions>;

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveQueueServiceOptions(options: QueueServiceOptions): ResolvedQueueServiceOptions {
  if (!options.dataDir) throw new TypeError('queue service option dataDir is required');
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as QueueServiceOptions;
  const o: ResolvedQueueServiceOptions = { ...DEFAULT_QUEUE_SERVICE, ...defined, dataDir: options.dataDir };
  if (!/^[\w.-]+$/.test(o.fileName)) throw new TypeError(`queue service option fileName must be a plain file name, got ${o.fileName}`);
  for (const name of ['maxQueues', 'maxMessagesPerQueue', 'maxQueueBytes', 'maxTotalBytes', 'maxPendingSends', 'maxBatchSize', 'maxLongPolls', 'sweepIntervalMs', 'tombstoneRetentionMs', 'maxTombstones'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw new TypeError(`queue service option ${name} must be an integer >= 1, got ${String(o[name])}`);
  }
  if (!Number.isInteger(o.purgeCooldownMs) || o.purgeCooldownMs < 0) throw new TypeError(`queue service option purgeCooldownMs must be an integer >= 0, got ${String(o.purgeCooldownMs)}`);
  return o;
}
