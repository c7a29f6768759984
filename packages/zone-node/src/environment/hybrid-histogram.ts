import type { Clock } from '@zonesim/common';
import type { HybridHistogramSettings, KeepAlivePolicy, KeepAliveWindows } from './keep-alive-policy.js';

/** Why the hybrid-histogram policy chose its windows (for tests and the docs' account). */
export type HistogramPattern = 'too-few-samples' | 'out-of-range' | 'not-representative' | 'histogram';

/** What the policy holds for one configuration. */
interface Tracked {
  /** Idle times per bin (range / bin entries). */
  bins: Uint32Array;
  /** Idle times within the range. */
  count: number;
  /** Sum of the squared bin counts (the coefficient of variation without a pass over the bins). */
  sumSquares: number;
  /** Idle times beyond the range. */
  outOfRange: number;
  /** Invocations of the configuration running now: while one runs, the configuration is not idle. */
  running: number;
  /** Monotonic ms the last invocation ended (undefined before the first). */
  lastEndedAt: number | undefined;
}

/** The windows and why, for one configuration. */
export interface HistogramDecision extends KeepAliveWindows {
  pattern: HistogramPattern;
}

/**
 * The hybrid-histogram keep-alive policy of Shahrad et al., "Serverless in the Wild" (USENIX
 * ATC'20), per function configuration on one zone node. Each configuration has a range-limited
 * histogram of its idle times (from the end of an invocation to the start of the next, 0 when
 * another invocation was still running) in bins of `binMs` up to `rangeMs`. When the histogram is
 * representative (at least `minSamples` idle times, at most `maxOutOfRange` of them beyond the
 * range, and a coefficient of variation of the bin counts of at least `cvThreshold`):
 *
 * - pre-warm window = the head (`headPercentile`, the lower edge of its bin) x (1 - margin);
 * - keep-alive window = the tail (`tailPercentile`, the upper edge of its bin) x (1 + margin) -
 *   the pre-warm window.
 *
 * Otherwise it falls back to the paper's conservative choice, no pre-warm and a keep-alive of the
 * whole range. Where the paper forecasts the next idle time with ARIMA for configurations whose idle
 * times are mostly beyond the range, we fall back too: there is no time-series model here.
 *
 * State is bounded: at most `maxConfigurations` configurations, the least recently invoked
 * forgotten first; each holds rangeMs / binMs counters.
 */
export class HybridHistogramKeepAlive implements KeepAlivePolicy {
  readonly name = 'hybrid-histogram';
  readonly settings: Readonly<HybridHistogramSettings>;
  readonly #clock: Clock;
  readonly #binCount: number;
  /** Insertion order is recency order (a touched entry is moved to the end). */
  readonly #tracked = new Map<string, Tracked>();

  constructor(settings: HybridHistogramSettings, clock: Clock) {
    this.settings = Object.freeze({ ...settings });
    this.#clock = clock;
    this.#binCount = Math.max(1, Math.ceil(settings.rangeMs / settings.binMs));
  }

  /** Configurations tracked now (at most `maxConfigurations`). */
  get size(): number {
    return this.#tracked.size;
  }

  invocationStarted(specKey: string): void {
    const t = this.#touch(specKey);
    if (t.lastEndedAt !== undefined) this.#record(t, t.running > 0 ? 0 : Math.max(0, this.#clock.monotonic() - t.lastEndedAt));
    t.running++;
  }

  invocationEnded(specKey: string): KeepAliveWindows {
    const t = this.#touch(specKey);
    t.running = Math.max(0, t.running - 1);
    t.lastEndedAt = this.#clock.monotonic();
    const { prewarmMs, keepAliveMs } = this.#decide(t);
    return { prewarmMs, keepAliveMs };
  }

  /** The windows the next end of `specKey` would get, and why (nothing is recorded). */
  decision(specKey: string): HistogramDecision {
    const t = this.#tracked.get(specKey);
    return t ? this.#decide(t) : { pattern: 'too-few-samples', prewarmMs: 0, keepAliveMs: this.settings.rangeMs };
  }

  /** Adds one idle time (ms) to `specKey`'s histogram, as an invocation start would (for tests and replays). */
  recordIdleTime(specKey: string, idleMs: number): void {
    this.#record(this.#touch(specKey), idleMs);
  }

  #decide(t: Tracked): HistogramDecision {
    const s = this.settings;
    const conservative = (pattern: HistogramPattern): HistogramDecision => ({ pattern, prewarmMs: 0, keepAliveMs: s.rangeMs });
    const samples = t.count + t.outOfRange;
    if (samples < s.minSamples) return conservative('too-few-samples');
    if (t.outOfRange / samples > s.maxOutOfRange || t.count === 0) return conservative('out-of-range');
    if (this.#coefficientOfVariation(t) < s.cvThreshold) return conservative('not-representative');
    const head = this.#percentileBin(t, s.headPercentile) * s.binMs;
    const tail = (this.#percentileBin(t, s.tailPercentile) + 1) * s.binMs;
    const prewarmMs = head * (1 - s.margin);
    return { pattern: 'histogram', prewarmMs, keepAliveMs: Math.max(1, tail * (1 + s.margin) - prewarmMs) };
  }

  /** Sample standard deviation of the bin counts over their mean (0 with one bin or no count). */
  #coefficientOfVariation(t: Tracked): number {
    const n = this.#binCount;
    if (n < 2 || t.count === 0) return 0;
    const mean = t.count / n;
    const variance = Math.max(0, (t.sumSquares - n * mean * mean) / (n - 1));
    return Math.sqrt(variance) / mean;
  }

  /** The first bin at which the cumulative count reaches `percentile` % of the in-range count. */
  #percentileBin(t: Tracked, percentile: number): number {
    const need = (percentile / 100) * t.count;
    let cumulative = 0;
    for (let i = 0; i < t.bins.length; i++) {
      cumulative += t.bins[i]!;
      if (cumulative > 0 && cumulative >= need) return i;
    }
    return t.bins.length - 1;
  }

  #record(t: Tracked, idleMs: number): void {
    const bin = Math.floor(idleMs / this.settings.binMs);
    if (bin >= this.#binCount) {
      t.outOfRange++;
      return;
    }
    const c = t.bins[bin]!;
    // (c + 1)^2 - c^2: the sum of squares follows each count.
    t.sumSquares += 2 * c + 1;
    t.bins[bin] = c + 1;
    t.count++;
  }

  #touch(specKey: string): Tracked {
    let t = this.#tracked.get(specKey);
    if (t) this.#tracked.delete(specKey);
    else {
      t = { bins: new Uint32Array(this.#binCount), count: 0, sumSquares: 0, outOfRange: 0, running: 0, lastEndedAt: undefined };
      if (this.#tracked.size >= this.settings.maxConfigurations) {
        const oldest = this.#tracked.keys().next().value;
        if (oldest !== undefined) this.#tracked.delete(oldest);
      }
    }
    this.#tracked.set(specKey, t);
    return t;
  }
}
