import { MAX_DESTINATION_DEPTH } from './async-limits.js';

/** Defaults of {@link AsyncDispatcherOptions}; docs/limits.md lists them. */
export const DEFAULT_ASYNC_DISPATCHER = {
  pollIntervalMs: 100,
  maxConcurrentAttempts: 64,
  leaseMs: 60_000,
  attemptTimeoutMs: 960_000,
  timeScale: 1,
  jitter: 0.1,
  stopGraceMs: 5_000,
  region: 'us-east-1',
  accountId: '000000000000',
  maxDestinationDepth: MAX_DESTINATION_DEPTH,
} as const;

/** A scaled lease never drops below this: renewals must stay far apart from the event loop's jitter. */
export const MIN_SCALED_LEASE_MS = 1_000;

/** Settings of an {@link AsyncDispatcher}; every field is optional and has the documented default. */
export interface AsyncDispatcherOptions {
  /**
   * How often the queue is polled for due events (real time, not scaled). `wake()` and finished
   * attempts trigger a pass at once, so this is only the latency of retries falling due. @default 100
   */
  pollIntervalMs?: number;
  /** Most attempts running at once (the dispatcher's bound; the router has its own). @default 64 */
  maxConcurrentAttempts?: number;
  /**
   * Lease of a claimed event, renewed every third of it while the attempt runs; a lease that runs
   * out (the process stalled or died) puts the event back in the queue. Divided by `timeScale`, but
   * not below 1 s. @default 60000
   */
  leaseMs?: number;
  /**
   * Safety net for an `invoke` that never settles (the router has its own, tighter deadlines):
   * past it the attempt is aborted and treated as a platform error that may have run. Real time,
   * not scaled (handler execution time is not). Lambda's 900 s maximum timeout + INIT + grace.
   * @default 960000
   */
  attemptTimeoutMs?: number;
  /**
   * Divides the platform's own delays: function-error retry delays (1 min, 2 min), throttle
   * backoff (1 s .. 5 min), maximum event age, and the lease. 60 makes a 1-minute retry take 1 s.
   * @default 1
   */
  timeScale?: number;
  /** Relative jitter of retry delays, 0 <= jitter < 1 (Lambda says "about" 1 and 2 minutes). @default 0.1 */
  jitter?: number;
  /** How long `stop()` waits for running attempts before leaving them in flight for the next start. @default 5000 */
  stopGraceMs?: number;
  /** Region in the `functionArn` of destination records. @default 'us-east-1' */
  region?: string;
  /** Account id in the `functionArn` of destination records. @default '000000000000' */
  accountId?: string;
  /** Deepest chain of function destinations the default delivery allows. @default 16 */
  maxDestinationDepth?: number;
}

/** Fully resolved {@link AsyncDispatcherOptions}, with the lease already scaled. */
export type ResolvedAsyncDispatcherOptions = Required<AsyncDispatcherOptions> & {
  /** `leaseMs / timeScale`, at least {@link MIN_SCALED_LEASE_MS}. */
  scaledLeaseMs: number;
};

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveAsyncDispatcherOptions(options: AsyncDispatcherOptions = {}): ResolvedAsyncDispatcherOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as AsyncDispatcherOptions;
  const o: Required<AsyncDispatcherOptions> = { ...DEFAULT_ASYNC_DISPATCHER, ...defined };
  const int = (name: keyof AsyncDispatcherOptions, min: number): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new TypeError(`async dispatcher option ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  int('pollIntervalMs', 1);
  int('maxConcurrentAttempts', 1);
  int('leaseMs', 1);
  int('attemptTimeoutMs', 1);
  int('stopGraceMs', 0);
  int('maxDestinationDepth', 0);
  if (!Number.isFinite(o.timeScale) || o.timeScale <= 0) {
    throw new TypeError(`async dispatcher option timeScale must be a number > 0, got ${String(o.timeScale)}`);
  }
  if (!Number.isFinite(o.jitter) || o.jitter < 0 || o.jitter >= 1) {
    throw new TypeError(`async dispatcher option jitter must be a number in [0, 1), got ${String(o.jitter)}`);
  }
  if (!/^\d{12}$/.test(o.accountId)) throw new TypeError('async dispatcher option accountId must be 12 digits');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) throw new TypeError(`async dispatcher option region is not a region name: ${o.region}`);
  return { ...o, scaledLeaseMs: Math.max(MIN_SCALED_LEASE_MS, Math.ceil(o.leaseMs / o.timeScale)) };
}
