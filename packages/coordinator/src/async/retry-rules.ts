import { DestinationCondition, type AsyncEvent, type LastAttemptError } from './async-event.js';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, FUNCTION_ERROR_RETRY_DELAYS_MS } from './async-limits.js';
import type { AttemptOutcome } from './attempt-outcome.js';

/** How the platform's own delays are bent for a study: divided by `timeScale`, jittered by `jitter`. */
export interface TimingRules {
  /** Divides every Lambda delay (retry delays, backoff, maximum event age). */
  timeScale: number;
  /** Relative jitter: a delay d becomes d * (1 ± jitter), uniform. */
  jitter: number;
  /** Uniform [0, 1). */
  random: () => number;
}

/** What to do with an event after an attempt. */
export type RetryDecision =
  | { action: 'finish'; condition: DestinationCondition; reason: string }
  | { action: 'retry'; nextAttemptAt: number; retriesOnError: number; backoffs: number; regime: 'function-error' | 'backoff' };

/** Epoch ms at which `event` is too old to be attempted: `receivedAt + MaximumEventAgeInSeconds` (scaled). */
export function expiresAt(event: Pick<AsyncEvent, 'receivedAt' | 'maxEventAgeSec'>, timeScale: number): number {
  return event.receivedAt + (event.maxEventAgeSec * 1000) / timeScale;
}

/** True when `event` must end with `EventAgeExceeded` instead of being attempted (checked before each attempt). */
export function isExpired(event: Pick<AsyncEvent, 'receivedAt' | 'maxEventAgeSec'>, now: number, timeScale: number): boolean {
  return now >= expiresAt(event, timeScale);
}

/** Lambda's delay before function-error retry number `retriesUsed + 1`: about 1 min, then about 2 min. */
export function functionErrorDelayMs(retriesUsed: number): number {
  const delays = FUNCTION_ERROR_RETRY_DELAYS_MS;
  return delays[Math.min(retriesUsed, delays.length - 1)]!;
}

/** Throttle/platform backoff after `backoffs` earlier ones: 1 s, 2 s, 4 s ... capped at 5 min. */
export function backoffDelayMs(backoffs: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.min(backoffs, 30), BACKOFF_MAX_MS);
}

/** `ms` scaled down by the time scale and spread by the jitter, in whole ms. */
export function scaleDelay(ms: number, rules: TimingRules): number {
  const spread = 1 + rules.jitter * (2 * rules.random() - 1);
  return Math.max(0, Math.ceil((ms * spread) / rules.timeScale));
}

/**
 * Lambda's async retry rules (lambda-facts 5, 6) applied to one outcome:
 * - success ends with `Success`;
 * - a function error is retried after ~1 min then ~2 min while `retriesOnError < maxRetryAttempts`,
 *   then ends with `RetriesExhausted`;
 * - a throttle or platform error backs off exponentially (1 s .. 5 min) without using the
 *   function-error retries; one marked not retryable ends at once;
 * - a retry is never scheduled past the event's expiry: it is clamped to the expiry, where the
 *   check before the attempt ends it with `EventAgeExceeded`.
 */
export function decideAfterAttempt(event: AsyncEvent, outcome: AttemptOutcome, now: number, rules: TimingRules): RetryDecision {
  const clamp = (at: number): number => Math.min(at, Math.ceil(expiresAt(event, rules.timeScale)));
  switch (outcome.kind) {
    case 'success':
      return { action: 'finish', condition: DestinationCondition.Success, reason: DestinationCondition.Success };
    case 'function-error':
      if (event.retriesOnError >= event.maxRetryAttempts) {
        return { action: 'finish', condition: DestinationCondition.RetriesExhausted, reason: DestinationCondition.RetriesExhausted };
      }
      return {
        action: 'retry',
        regime: 'function-error',
        nextAttemptAt: clamp(now + scaleDelay(functionErrorDelayMs(event.retriesOnError), rules)),
        retriesOnError: event.retriesOnError + 1,
        // The function ran and answered: the next throttle starts its backoff from 1 s again.
        backoffs: 0,
      };
    case 'throttled':
    case 'platform-error':
      if (outcome.retryable === false) {
        const reason = outcome.kind === 'throttled' ? outcome.reason : outcome.code;
        return { action: 'finish', condition: DestinationCondition.RetriesExhausted, reason };
      }
      return {
        action: 'retry',
        regime: 'backoff',
        nextAttemptAt: clamp(now + scaleDelay(backoffDelayMs(event.backoffs), rules)),
        retriesOnError: event.retriesOnError,
        backoffs: event.backoffs + 1,
      };
  }
}

/** The persistent summary of an unsuccessful outcome (see {@link LastAttemptError}). */
export function lastErrorOf(outcome: AttemptOutcome, at: number): LastAttemptError | undefined {
  switch (outcome.kind) {
    case 'success':
      return undefined;
    case 'function-error':
      return {
        kind: 'function-error',
        statusCode: 200,
        errorType: outcome.errorType,
        errorMessage: outcome.errorMessage,
        ...(outcome.executedVersion === undefined ? {} : { executedVersion: outcome.executedVersion }),
        at,
      };
    case 'throttled':
      return { kind: 'throttled', statusCode: 429, errorType: 'TooManyRequestsException', errorMessage: outcome.reason, at };
    case 'platform-error':
      return { kind: 'platform-error', statusCode: outcome.statusCode ?? 500, errorType: outcome.code, errorMessage: outcome.message, at };
  }
}
