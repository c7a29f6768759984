import type { LedgerRecord } from '@zonesim/ledger';
import type { NotableKind } from '@zonesim/dashboard';
import type { PlacementStep, RouteTrace } from '../router/router.js';

/** One attempt as the index keeps it: its ledger record and the router's offers. */
export interface IndexedAttempt {
  record: LedgerRecord;
  steps?: PlacementStep[];
}

/** Everything the index knows about one request id. */
export interface IndexedInvocation {
  requestId: string;
  attempts: IndexedAttempt[];
  /** Why the dashboard lists it, if it does. */
  notable?: NotableKind;
  /** Position of its latest entry in the notable ring (an older entry there is stale). */
  notableSeq?: number;
}

/**
 * Insertion order of a bounded map, as a ring of keys. A Map used as a FIFO (`keys().next()` then
 * `delete`) degrades: V8 keeps deleted slots until it rehashes, and iteration walks over them, so
 * at 20,000 entries each eviction cost ~10 us. The ring evicts in O(1).
 */
class KeyRing {
  readonly #keys: Array<string | undefined>;
  readonly #seqs: number[];
  #next = 0;
  #seq = 0;

  constructor(capacity: number) {
    this.#keys = new Array<string | undefined>(capacity);
    this.#seqs = new Array<number>(capacity).fill(0);
  }

  /** Adds a key; returns the key (and its sequence number) it pushed out, if the ring was full. */
  push(key: string): { seq: number; evicted: { key: string; seq: number } | undefined } {
    const i = this.#next;
    const old = this.#keys[i];
    const evicted = old === undefined ? undefined : { key: old, seq: this.#seqs[i]! };
    const seq = ++this.#seq;
    this.#keys[i] = key;
    this.#seqs[i] = seq;
    this.#next = (i + 1) % this.#keys.length;
    return { seq, evicted };
  }
}

/** Bounds of a {@link RequestIndex}. */
export interface RequestIndexSettings {
  /** Request ids kept, most recent first out. */
  maxRecent: number;
  /** Request ids kept apart because they are worth explaining (failed over, failed, retried...), so they outlive the recent ones. */
  maxNotable: number;
}

/** Attempts kept per request id (an SQS message may be delivered many times). */
const MAX_ATTEMPTS = 16;

/** Order of precedence when an invocation is notable for several reasons. */
const RANK: Record<NotableKind, number> = { 'failed-over': 6, 'dead-lettered': 5, lost: 4, failed: 3, throttled: 2, retried: 1 };

/**
 * A bounded in-memory index of recent request ids -> their ledger records and placement steps,
 * for "explain this invocation" (issue 9). The ledger files stay the source of truth: an id that
 * left the index is looked up there. Two insertion-ordered maps: every recent id, and the notable
 * ones kept longer (at 2,000 invocations/s the recent map holds seconds, the notable one minutes).
 */
export class RequestIndex {
  readonly #settings: RequestIndexSettings;
  readonly #recent = new Map<string, IndexedInvocation>();
  readonly #notable = new Map<string, IndexedInvocation>();
  readonly #recentOrder: KeyRing;
  readonly #notableOrder: KeyRing;

  constructor(settings: RequestIndexSettings) {
    this.#settings = settings;
    this.#recentOrder = new KeyRing(settings.maxRecent);
    this.#notableOrder = new KeyRing(settings.maxNotable);
  }

  get size(): { recent: number; notable: number } {
    return { recent: this.#recent.size, notable: this.#notable.size };
  }

  /**
   * Adds one attempt. Returns its entry and what made it notable now, if anything, and whether it
   * failed over: it was re-dispatched after its node was lost before accepting it, or it is a
   * retry that ran in another zone than an attempt lost with its zone.
   */
  add(record: LedgerRecord, trace?: RouteTrace): { entry: IndexedInvocation; notable: NotableKind | undefined; failover: boolean } {
    const id = record.requestId;
    let entry = this.#recent.get(id);
    if (!entry) {
      // New here (or only among the notable ones): it takes the place of the oldest recent id.
      entry = this.#notable.get(id) ?? { requestId: id, attempts: [] };
      this.#recent.set(id, entry);
      const { evicted } = this.#recentOrder.push(id);
      if (evicted) this.#recent.delete(evicted.key);
    }

    const steps = trace?.steps;
    const failover = retriedAfterLoss(entry, record);
    if (entry.attempts.length >= MAX_ATTEMPTS) entry.attempts.splice(1, 1);
    entry.attempts.push(steps ? { record, steps: steps.slice() } : { record });

    const kind = failover ? 'failed-over'
      : record.outcome === 'lost' ? 'lost'
      : record.outcome === 'function-error' || record.outcome === 'service-error' ? 'failed'
      : record.outcome === 'throttled' ? 'throttled'
      : record.attempt > 1 ? 'retried'
      : undefined;
    const raised = kind !== undefined && this.mark(entry, kind);
    return { entry, notable: raised ? kind : undefined, failover };
  }

  /** Marks an entry notable (keeps the strongest reason); true when its reason changed. */
  mark(entry: IndexedInvocation, kind: NotableKind): boolean {
    if (entry.notable !== undefined && RANK[entry.notable] >= RANK[kind]) return false;
    entry.notable = kind;
    this.#notable.set(entry.requestId, entry);
    const { seq, evicted } = this.#notableOrder.push(entry.requestId);
    entry.notableSeq = seq;
    // Only the ring's latest entry of an id evicts it (an id marked twice has a stale older one).
    if (evicted && this.#notable.get(evicted.key)?.notableSeq === evicted.seq) this.#notable.delete(evicted.key);
    return true;
  }

  get(requestId: string): IndexedInvocation | undefined {
    return this.#recent.get(requestId) ?? this.#notable.get(requestId);
  }
}

/**
 * The zone an attempt ran in, or was last offered to: a `lost` record has no placement (the result
 * never came back), but the router's last offer says where it was lost.
 */
export function attemptZone(record: LedgerRecord, steps: readonly PlacementStep[] | undefined): string | undefined {
  return record.zone ?? steps?.[steps.length - 1]?.zone;
}

/** A retry in a zone other than that of an earlier attempt lost with its zone (or failed by the platform there). */
function retriedAfterLoss(entry: IndexedInvocation, record: LedgerRecord): boolean {
  if (record.attempt <= 1 || record.zone === undefined) return false;
  return entry.attempts.some((a) => {
    if (a.record.outcome !== 'lost' && a.record.outcome !== 'service-error') return false;
    const zone = attemptZone(a.record, a.steps);
    return zone !== undefined && zone !== record.zone;
  });
}
