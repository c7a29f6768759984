import { availableParallelism } from 'node:os';

/**
 * Upload workers by default: one core is left to the event loop (and the zone nodes beside it), at
 * most 2 workers: 1 on the 2-core reference machine, 2 from 3 cores up. With two busy workers on 2
 * cores the event loop waited for a core up to ~250 ms under load; deploys one at a time gain
 * nothing from a second worker.
 */
export const DEFAULT_UPLOAD_WORKERS = Math.max(1, Math.min(2, availableParallelism() - 1));

/** Defaults of {@link UploadPoolOptions}; docs/limits.md lists them. */
export const DEFAULT_UPLOAD_POOL = {
  workers: DEFAULT_UPLOAD_WORKERS,
  maxQueuedJobs: 16,
  workerMaxHeapMb: 1024,
  niceIncrement: 0,
  stopGraceMs: 5_000,
} as const;

/** Options of the coordinator's upload workers (issue 15, finding 4); every field is optional. */
export interface UploadPoolOptions {
  /**
   * Worker threads that parse, check, hash and store deployment packages and build images, off the
   * event loop. Each one that dies is replaced. @default {@link DEFAULT_UPLOAD_WORKERS} (1 on 2 cores, else 2)
   */
  workers?: number;
  /**
   * Jobs waiting for a free worker (one CreateFunction is up to three jobs, one after the other).
   * Past it a request is refused with 429 `TooManyRequestsException` (`CallerRateLimitExceeded`)
   * and a `Retry-After`: a waiting job holds its request body (up to ~67 MB) in memory. @default 16
   */
  maxQueuedJobs?: number;
  /**
   * V8 old-generation limit of each worker, MiB: a body that parses into more than this (a hostile
   * JSON of millions of tiny values) kills its worker and fails only its own request, with 500
   * `ServiceException`, instead of growing the coordinator's heap. @default 1024
   */
  workerMaxHeapMb?: number;
  /**
   * Added to the workers' nice value (Linux): on a machine shared with heavier work, a deploy then
   * yields the CPU to the event loop and the zone nodes. Off by default: the workers already keep
   * the work off the event loop, and on a 2-core machine at load 14 a nice of 5 made a 50 MB
   * CreateFunction take 13 s instead of 3.5 s without making the loop's delays any shorter
   * (bench/upload-stall.ts). @default 0
   */
  niceIncrement?: number;
  /** How long `stop()` lets running jobs finish before the workers are terminated. @default 5000 */
  stopGraceMs?: number;
}

/** Fully resolved {@link UploadPoolOptions}. */
export type ResolvedUploadPoolOptions = Readonly<Required<UploadPoolOptions>>;

function intAtLeast(field: keyof UploadPoolOptions, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`upload option ${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveUploadPoolOptions(options: UploadPoolOptions = {}): ResolvedUploadPoolOptions {
  const o = { ...DEFAULT_UPLOAD_POOL, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  return Object.freeze({
    workers: intAtLeast('workers', o.workers, 1, 64),
    maxQueuedJobs: intAtLeast('maxQueuedJobs', o.maxQueuedJobs, 0),
    workerMaxHeapMb: intAtLeast('workerMaxHeapMb', o.workerMaxHeapMb, 64),
    niceIncrement: intAtLeast('niceIncrement', o.niceIncrement, 0, 19),
    stopGraceMs: intAtLeast('stopGraceMs', o.stopGraceMs, 0),
  });
}
