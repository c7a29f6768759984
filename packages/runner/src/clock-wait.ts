import type { Clock } from '@zonesim/common';

/**
 * Waits on an injected {@link Clock}, so that the runner's waits pass in virtual time as they do
 * in real time (`node:timers/promises` and a bare `setTimeout` would always take wall-clock time).
 */

/** Resolves after `ms` on `clock`; rejects with the signal's reason when `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves after `ms` on `clock`, or as soon as `signal` aborts (never rejects). */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(clock, ms, signal).catch(() => undefined);
}

/**
 * Polls `check` every `intervalMs` until it holds (true) or `timeoutMs` has passed on `clock`
 * (false).
 */
export async function waitUntil(clock: Clock, check: () => boolean, options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal }): Promise<boolean> {
  const deadline = clock.now() + options.timeoutMs;
  while (!check()) {
    if (clock.now() > deadline) return false;
    await sleep(clock, options.intervalMs, options.signal);
  }
  return true;
}
