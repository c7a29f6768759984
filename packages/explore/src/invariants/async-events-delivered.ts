import { MAX_IDS, type Invariant, type Violation } from './types.js';

/**
 * Every async event the platform accepted (202) was delivered at least once, or dead-lettered
 * with a reason; none lost, and none still waiting once the cooldown (longer than every retry
 * schedule of a drawn scenario) is over.
 */
export const asyncEventsDelivered: Invariant = {
  name: 'async-events-delivered',
  description: 'every accepted async event is delivered at least once, or dead-lettered with a reason; none lost',
  check({ check, deadLetters }) {
    const out: Violation[] = [];
    const e = check.events;
    if (e.lost > 0) {
      out.push({ invariant: this.name, message: `${e.lost} of ${e.accepted} accepted async events were lost: neither delivered nor dead-lettered nor pending`, ids: e.lostIds.slice(0, MAX_IDS) });
    }
    if (e.pending > 0) {
      out.push({ invariant: this.name, message: `${e.pending} accepted async events were still pending after the cooldown`, ids: e.pendingIds.slice(0, MAX_IDS) });
    }
    const unexplained = deadLetters.filter((d) => d.reason.trim() === '' || d.condition.trim() === '');
    if (unexplained.length > 0) {
      out.push({ invariant: this.name, message: `${unexplained.length} dead letters carry no reason or condition`, ids: unexplained.slice(0, MAX_IDS).map((d) => d.eventId) });
    }
    return out;
  },
};
