import { asyncEventsDelivered } from './async-events-delivered.js';
import { billMatchesLedger } from './bill-matches-ledger.js';
import { concurrencyLimits } from './concurrency-limits.js';
import { membershipConverges, regionServesAgain } from './membership-converges.js';
import { noLeaks } from './no-leaks.js';
import { queueMessagesKept } from './queue-messages-kept.js';
import { syncAtMostOnce } from './sync-at-most-once.js';
import type { Invariant, RunEvidence, Violation } from './types.js';

export type { EndState, Execution, Invariant, RunEvidence, Violation } from './types.js';
export { convergenceBoundMs, lastHealAt } from './membership-converges.js';

/** Every invariant explore checks after each run, in the order they are reported. */
export const INVARIANTS: readonly Invariant[] = [
  asyncEventsDelivered,
  syncAtMostOnce,
  queueMessagesKept,
  concurrencyLimits,
  billMatchesLedger,
  membershipConverges,
  regionServesAgain,
  noLeaks,
];

/** Runs every invariant (or those named) over one run's evidence. */
export function checkInvariants(evidence: RunEvidence, only?: ReadonlySet<string>): Violation[] {
  return INVARIANTS.filter((i) => !only || only.has(i.name)).flatMap((i) => i.check(evidence));
}
