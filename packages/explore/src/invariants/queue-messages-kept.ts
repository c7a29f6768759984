import { MAX_IDS, type Invariant } from './types.js';

/**
 * Every message a queue acknowledged (SendMessage answered with a MessageId) is processed, moved to
 * its dead-letter queue, or still in the queue; none lost. A message whose batch keeps failing with
 * no dead-letter queue stays queued until its retention ends, as in SQS, so "still queued" is kept.
 */
export const queueMessagesKept: Invariant = {
  name: 'queue-messages-kept',
  description: 'every acknowledged queue message is processed, dead-lettered or still queued; none lost',
  check({ check }) {
    const m = check.messages;
    if (m.lost === 0) return [];
    return [{ invariant: this.name, message: `${m.lost} of ${m.sent} acknowledged queue messages were lost`, ids: m.lostIds.slice(0, MAX_IDS) }];
  },
};
