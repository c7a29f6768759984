import type { DestinationCondition } from './async-event.js';

/**
 * What the dispatcher did, for the run ledger and for tests that check that counts add up. These
 * count this dispatcher instance's work; the store's `stats()` has the totals across restarts.
 */
export interface AsyncDispatcherCounters {
  /** Attempts started (handed to `invoke`). */
  attempts: number;
  successes: number;
  functionErrors: number;
  /** Function-error retries scheduled (each uses one of the event's 0-2 retries). */
  retries: number;
  throttles: number;
  platformErrors: number;
  /** Throttle/platform backoffs scheduled (these use no function-error retry). */
  backoffs: number;
  /** Attempts started while an earlier attempt of the same event may have run (at-least-once duplicates). */
  duplicates: number;
  /** Events found too old before an attempt (they end with EventAgeExceeded without running). */
  expiredBeforeAttempt: number;
  /** Events finished, by condition. */
  finished: Record<DestinationCondition, number>;
  /** Events put in the dead-letter store, by reason. */
  deadLettered: Record<string, number>;
  /** Records handed to a function destination. */
  destinationDeliveries: number;
  /** Records a function destination could not take (Lambda's `DestinationDeliveryFailures`). */
  destinationFailures: number;
  /** Settles refused because the claim was no longer ours (lease lost), or the store closed under us. */
  staleSettles: number;
  /** Attempts left in flight by `stop()` after its grace (re-delivered on the next start). */
  abandoned: number;
}

/** A zeroed counter set. */
export function emptyCounters(): AsyncDispatcherCounters {
  return {
    attempts: 0,
    successes: 0,
    functionErrors: 0,
    retries: 0,
    throttles: 0,
    platformErrors: 0,
    backoffs: 0,
    duplicates: 0,
    expiredBeforeAttempt: 0,
    finished: { Success: 0, RetriesExhausted: 0, EventAgeExceeded: 0 },
    deadLettered: {},
    destinationDeliveries: 0,
    destinationFailures: 0,
    staleSettles: 0,
    abandoned: 0,
  };
}

/** A deep copy, so callers cannot change the live counters. */
export function copyCounters(c: AsyncDispatcherCounters): AsyncDispatcherCounters {
  return { ...c, finished: { ...c.finished }, deadLettered: { ...c.deadLettered } };
}
