import type { Clock, TimerHandle } from './clock.js';

/**
 * The one lifecycle every long-lived component shares (coordinator, zone node, links):
 * `idle -> starting -> running -> stopping -> stopped`. `stop()` is safe to call twice and
 * closes gracefully within a grace period, then destroys what is left.
 */
export const LifecycleState = {
  Idle: 'idle',
  Starting: 'starting',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;

/** One of {@link LifecycleState}. */
export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

/** A component with the shared lifecycle. */
export interface Lifecycle {
  readonly state: LifecycleState;
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Graceful close bounded by the component's grace period; safe to call more than once. */
  stop(): Promise<void>;
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `work`, but gives up after `ms`: returns true when the work finished in time. The grace runs
 * on `clock` when one is given (a core's, so that a stop in virtual time waits virtual ms), on the
 * global timers otherwise.
 */
export async function withinGrace(work: Promise<unknown>, ms: number, clock?: Clock): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = clock ? clock.setTimeout(() => resolve(false), ms) : setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const, () => true as const), timeout]);
  } finally {
    if (timer !== undefined) {
      if (clock) clock.clearTimeout(timer);
      else clearTimeout(timer as NodeJS.Timeout);
    }
  }
}
