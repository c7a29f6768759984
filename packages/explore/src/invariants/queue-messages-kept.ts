import { MAX_IDS, type Invariant, type Violation } from './types.js';

/**
 * Every message a queue acknowledged (SendMessage answered with a MessageId) is processed, moved to
 * its dead-letter queue, or still in the queue; none lost. A message whose batch keeps failing with
 * no dead-letter queue stays queued until its retention ends, as in SQS, so "still queued" is kept.
 */
export const queueMessagesKept: Invariant = {
  name: 'queue-messages-kept',
  description: 'every acknowledged queue message is processed, dead-lettered or still queued; none lost',
  check({ check, deletedUnprocessed }) {
    const m = check.messages;
    const out: Violation[] = [];
    if (m.lost > 0) out.push({ invariant: this.name, message: `${m.lost} of ${m.sent} acknowledged queue messages were lost`, ids: m.lostIds.slice(0, MAX_IDS) });
    // Nothing but an event source mapping deletes messages in an explored run: one deleted without a
    // successful invocation for it was never processed.
    if (deletedUnprocessed.length > 0) out.push({ invariant: this.name, message: `${deletedUnprocessed.length} queue messages were deleted without a successful invocation for them`, ids: deletedUnprocessed.slice(0, MAX_IDS) });
    return out;
  },
};
