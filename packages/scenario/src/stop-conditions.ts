import { systemClock, type Clock } from '@zonesim/common';
import { formatDuration } from './duration.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { ResolvedStopCondition } from './types.js';

/** One finished operation, as the monitor needs it. */
export interface StopOp {
  result: 'ok' | 'fail' | 'unknown';
  /** From the intended send time to the answer. */
  latencyMs: number;
}

/** Why the run must stop. */
export interface StopTrip {
  id: string;
  kind: ResolvedStopCondition['kind'];
  /** The error rate (0..1) or p99 (ms) over the window. */
  observed: number;
  threshold: number;
  windowMs: number;
  ops: number;
  /** `clock.now()` when it tripped. */
  at: number;
  reason: string;
}

/** Components of a {@link StopConditionMonitor}. */
export interface StopConditionMonitorComponents {
  /** @default systemClock */
  clock?: Clock;
}

interface Bucket {
  index: number;
  ops: number;
  errors: number;
  latency: LatencyHistogram;
}

/**
 * Evaluates a scenario's stop conditions live, over a sliding window (FIS stops on an alarm,
 * Litmus on a failed probe; here: the run's own operations). Each condition looks at the
 * operations that ended in the last `forMs`: `errorRate` trips when the share of `fail` and
 * `unknown` results is above `above`, `p99` when the p99 latency is above `aboveMs`; neither
 * trips before `forMs` has passed since `start()` or with fewer than `minOps` operations.
 * Function errors are not errors here (the platform answered), as in the `successRate` hypothesis.
 *
 * Time is kept in buckets of a tenth of the shortest window (at most 250 ms), so memory is
 * bounded by the window, not by the rate. The runner feeds `record()` as answers arrive and
 * calls `evaluate()` on its tick; once tripped, the monitor stays tripped.
 */
export class StopConditionMonitor {
  readonly #conditions: readonly ResolvedStopCondition[];
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #keepMs: number;
  readonly #buckets: Bucket[] = [];
  #startedAt: number | undefined;
  #tripped: StopTrip | undefined;

  constructor(conditions: readonly ResolvedStopCondition[], components: StopConditionMonitorComponents = {}) {
    this.#conditions = conditions;
    this.#clock = components.clock ?? systemClock;
    const shortest = Math.min(...conditions.map((c) => c.forMs), 2_500);
    this.#bucketMs = Math.max(1, Math.min(250, shortest / 10));
    this.#keepMs = Math.max(0, ...conditions.map((c) => c.forMs));
  }

  /** Starts observing (the load phase began). */
  start(): void {
    this.#startedAt = this.#clock.monotonic();
  }

  /** The trip, once one happened. */
  get tripped(): StopTrip | undefined {
    return this.#tripped;
  }

  /** Records one finished operation at the clock's current time. */
  record(op: StopOp): void {
    if (this.#conditions.length === 0) return;
    const index = Math.floor(this.#clock.monotonic() / this.#bucketMs);
    let bucket = this.#buckets[this.#buckets.length - 1];
    if (!bucket || bucket.index !== index) {
      bucket = { index, ops: 0, errors: 0, latency: new LatencyHistogram() };
      this.#buckets.push(bucket);
      this.#evict(index);
    }
    bucket.ops++;
    if (op.result !== 'ok') bucket.errors++;
    bucket.latency.add(op.latencyMs);
  }

  /** Checks every condition now; returns the first trip (and keeps returning it). */
  evaluate(): StopTrip | undefined {
    if (this.#tripped || this.#startedAt === undefined) return this.#tripped;
    const now = this.#clock.monotonic();
    this.#evict(Math.floor(now / this.#bucketMs));
    for (const c of this.#conditions) {
      if (now - this.#startedAt < c.forMs) continue;
      const from = Math.floor((now - c.forMs) / this.#bucketMs);
      let ops = 0;
      let errors = 0;
      const latency = new LatencyHistogram();
      for (const b of this.#buckets) {
        if (b.index <= from) continue;
        ops += b.ops;
        errors += b.errors;
        if (c.kind === 'p99') latency.merge(b.latency);
      }
      if (ops < c.minOps) continue;
      const window = formatDuration(c.forMs);
      if (c.kind === 'errorRate') {
        const rate = errors / ops;
        if (rate > c.above) {
          return (this.#tripped = { id: c.id, kind: c.kind, observed: rate, threshold: c.above, windowMs: c.forMs, ops, at: this.#clock.now(), reason: `error rate ${(rate * 100).toFixed(1)}% over the last ${window} (${errors} of ${ops} ops) is above ${(c.above * 100).toFixed(1)}%` });
        }
      } else {
        const p99 = latency.percentile(99)!;
        if (p99 > c.aboveMs) {
          return (this.#tripped = { id: c.id, kind: c.kind, observed: p99, threshold: c.aboveMs, windowMs: c.forMs, ops, at: this.#clock.now(), reason: `p99 ${formatDuration(p99)} over the last ${window} (${ops} ops) is above ${formatDuration(c.aboveMs)}` });
        }
      }
    }
    return undefined;
  }

  #evict(current: number): void {
    const oldest = current - Math.ceil(this.#keepMs / this.#bucketMs) - 1;
    let drop = 0;
    while (drop < this.#buckets.length && this.#buckets[drop]!.index < oldest) drop++;
    if (drop > 0) this.#buckets.splice(0, drop);
  }
}
