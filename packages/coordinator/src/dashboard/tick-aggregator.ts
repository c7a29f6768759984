import type { LedgerRecord } from '@zonesim/ledger';
import type { Tick, ZoneCounts } from '@zonesim/dashboard';

/** Zone key of attempts never placed (throttles, no zone). */
export const NO_ZONE = '(none)';

/** Latency samples kept per zone per tick; beyond it a reservoir keeps a uniform sample. */
const MAX_SAMPLES = 2048;
/** Request ids of failed attempts kept per tick (for clicking a chart point). */
const MAX_FAILED_IDS = 5;
/** Zones counted apart per tick; more share `(other)` (a bound, as everywhere else). */
const MAX_ZONES = 64;

class Counts {
  invocations = 0;
  errors = 0;
  throttles = 0;
  coldStarts = 0;
  readonly samples: number[] = [];
  seen = 0;

  add(r: LedgerRecord, random: () => number): void {
    this.invocations++;
    if (r.outcome === 'throttled') this.throttles++;
    else if (r.outcome !== 'success') this.errors++;
    if (r.cold) this.coldStarts++;
    if (r.outcome === 'success' || r.outcome === 'function-error') {
      const ms = r.respondedAt - r.receivedAt;
      this.seen++;
      if (this.samples.length < MAX_SAMPLES) this.samples.push(ms);
      else {
        // Reservoir sampling: every latency of the tick has the same chance to be kept.
        const i = Math.floor(random() * this.seen);
        if (i < MAX_SAMPLES) this.samples[i] = ms;
      }
    }
  }

  view(): ZoneCounts {
    const [p50Ms, p99Ms] = percentiles(this.samples);
    return { invocations: this.invocations, errors: this.errors, throttles: this.throttles, coldStarts: this.coldStarts, p50Ms, p99Ms };
  }
}

function percentiles(samples: number[]): [number | null, number | null] {
  if (samples.length === 0) return [null, null];
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! * 10) / 10;
  return [at(0.5), at(0.99)];
}

/** The gauges a tick reports at its end. */
export interface TickGauges {
  asyncQueued: number | null;
  deadLetters: number | null;
  costUsd: number;
}

/**
 * Folds ledger records into one dashboard tick: counts per zone and in total, p50/p99 of the
 * attempts that ran (from a bounded sample), and a few failed request ids. O(1) per record, so the
 * feed costs the same at 20 or 2,000 invocations per second; `take` closes the tick and starts the
 * next.
 */
export class TickAggregator {
  #zones = new Map<string, Counts>();
  #total = new Counts();
  #successes = 0;
  #retries = 0;
  #failovers = 0;
  #duplicates = 0;
  #failed: string[] = [];
  #startedAt: number;
  readonly #random: () => number;

  constructor(now: number, random: () => number = Math.random) {
    this.#startedAt = now;
    this.#random = random;
  }

  /**
   * Adds one attempt, counted in `zone` (where it ran, or was lost; undefined: never placed);
   * `failover` when it ran elsewhere after its node or zone was lost.
   */
  add(r: LedgerRecord, zoneName: string | undefined, failover: boolean): void {
    let key = zoneName ?? NO_ZONE;
    let zone = this.#zones.get(key);
    if (!zone) {
      if (this.#zones.size >= MAX_ZONES) key = '(other)';
      zone = this.#zones.get(key) ?? new Counts();
      this.#zones.set(key, zone);
    }
    zone.add(r, this.#random);
    this.#total.add(r, this.#random);
    if (r.outcome === 'success') this.#successes++;
    if (r.attempt > 1) this.#retries++;
    if (failover) this.#failovers++;
    if (r.duplicate) this.#duplicates++;
    if (r.outcome !== 'success' && this.#failed.length < MAX_FAILED_IDS) this.#failed.push(r.requestId);
  }

  /** Closes the tick at `now` with the gauges read then, and starts the next one. */
  take(now: number, gauges: TickGauges): Tick {
    const zones: Record<string, ZoneCounts> = {};
    for (const [zone, counts] of this.#zones) zones[zone] = counts.view();
    const tick: Tick = {
      t: now,
      spanMs: Math.max(1, now - this.#startedAt),
      zones,
      total: { ...this.#total.view(), successes: this.#successes, retries: this.#retries, failovers: this.#failovers, duplicates: this.#duplicates },
      asyncQueued: gauges.asyncQueued,
      deadLetters: gauges.deadLetters,
      costUsd: gauges.costUsd,
      failed: this.#failed,
    };
    this.#zones = new Map();
    this.#total = new Counts();
    this.#successes = this.#retries = this.#failovers = this.#duplicates = 0;
    this.#failed = [];
    this.#startedAt = now;
    return tick;
  }
}
