/**
 * Quantiles of a stream of non-negative numbers in bounded memory, for `zonesim calibrate`
 * (issue 16). A sketch keeps its values exactly while a shared {@link ExactValueBudget} allows, and
 * its quantiles are then the exact sample quantiles (Hyndman and Fan's definition 7, linear
 * between order statistics: what numpy, R and spreadsheets compute by default, and the same
 * piecewise-linear reading an `empirical` distribution gives its percentiles). When the budget runs
 * out, the sketch that asked folds its values into a log-bucketed histogram (DDSketch's buckets:
 * every value within `relativeAccuracy` of its bucket's representative) and gives its share back,
 * so a ledger of any size is summarised in memory bounded by the budget plus a few thousand
 * buckets per sketch.
 */

/** Values kept exactly by all the sketches of one budget together. @default 1,000,000 (8 MB) */
export const DEFAULT_EXACT_VALUES = 1_000_000;
/** Relative error of a quantile once a sketch is a histogram. @default 0.005 (0.5 %) */
export const DEFAULT_RELATIVE_ACCURACY = 0.005;
/** Values below this (ms or MB) share the histogram's zero bucket. */
const HISTOGRAM_FLOOR = 1e-3;

/** How many values the sketches sharing it may still keep exactly. */
export class ExactValueBudget {
  #remaining: number;

  constructor(readonly limit: number = DEFAULT_EXACT_VALUES) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`exact value budget must be an integer >= 0, got ${String(limit)}`);
    this.#remaining = limit;
  }

  get remaining(): number {
    return this.#remaining;
  }

  /** Takes room for one value; false when there is none left. */
  take(): boolean {
    if (this.#remaining === 0) return false;
    this.#remaining--;
    return true;
  }

  /** Gives back room for `n` values. */
  release(n: number): void {
    this.#remaining = Math.min(this.limit, this.#remaining + n);
  }
}

/** Settings of a {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /** Shared with the other sketches of one calibration. @default a budget of its own of {@link DEFAULT_EXACT_VALUES} */
  budget?: ExactValueBudget;
  /** Of the histogram form, 0 < a < 1. @default 0.005 */
  relativeAccuracy?: number;
}

/** Exact while the budget allows, then a log histogram; see the module comment. */
export class QuantileSketch {
  readonly #budget: ExactValueBudget;
  readonly #logGamma: number;
  readonly #gamma: number;
  #values: Float64Array | undefined = new Float64Array(16);
  #sorted = true;
  #buckets: Map<number, number> | undefined;
  #count = 0;
  #min = Infinity;
  #max = -Infinity;
  #sum = 0;

  constructor(options: QuantileSketchOptions = {}) {
    this.#budget = options.budget ?? new ExactValueBudget();
    const a = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    if (!(a > 0 && a < 1)) throw new RangeError(`relativeAccuracy must be in (0, 1), got ${String(a)}`);
    this.#gamma = (1 + a) / (1 - a);
    this.#logGamma = Math.log(this.#gamma);
  }

  /** Values added. */
  get count(): number {
    return this.#count;
  }

  /** True while every value is kept (quantiles are exact). */
  get exact(): boolean {
    return this.#values !== undefined;
  }

  get min(): number | undefined {
    return this.#count === 0 ? undefined : this.#min;
  }

  get max(): number | undefined {
    return this.#count === 0 ? undefined : this.#max;
  }

  get mean(): number | undefined {
    return this.#count === 0 ? undefined : this.#sum / this.#count;
  }

  /** Adds a value; a negative or non-finite one counts as 0 (a clock step backwards, not a measurement). */
  add(value: number): void {
    const v = Number.isFinite(value) && value > 0 ? value : 0;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    if (this.#values !== undefined) {
      if (this.#budget.take()) {
        const n = this.#count - 1;
        if (n === this.#values.length) {
          const grown = new Float64Array(this.#values.length * 2);
          grown.set(this.#values);
          this.#values = grown;
        }
        if (n > 0 && v < this.#values[n - 1]!) this.#sorted = false;
        this.#values[n] = v;
        return;
      }
      this.#fold();
    }
    this.#bucketAdd(v);
  }

  /**
   * The p-th percentile (0..100), or undefined when empty. p = 0 and 100 are the exact minimum and
   * maximum in both forms.
   */
  quantile(p: number): number | undefined {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${String(p)}`);
    if (this.#count === 0) return undefined;
    if (p === 0) return this.#min;
    if (p === 100) return this.#max;
    const h = ((this.#count - 1) * p) / 100;
    if (this.#values !== undefined) {
      const xs = this.#sortedValues();
      const lo = Math.floor(h);
      const hi = Math.min(lo + 1, this.#count - 1);
      return xs[lo]! + (h - lo) * (xs[hi]! - xs[lo]!);
    }
    // The bucket holding the order statistic at rank floor(h) (0-based), at its representative.
    const target = Math.floor(h);
    let seen = 0;
    for (const key of [...this.#buckets!.keys()].sort((a, b) => a - b)) {
      seen += this.#buckets!.get(key)!;
      if (seen > target) return Math.min(this.#max, Math.max(this.#min, this.#representative(key)));
    }
    return this.#max;
  }

  #sortedValues(): Float64Array {
    const xs = this.#values!.subarray(0, this.#count);
    if (!this.#sorted) {
      xs.sort();
      this.#sorted = true;
    }
    return xs;
  }

  #fold(): void {
    const values = this.#values!.subarray(0, this.#count - 1);
    this.#values = undefined;
    this.#buckets = new Map();
    for (const v of values) this.#bucketAdd(v);
    this.#budget.release(values.length);
  }

  #bucketAdd(v: number): void {
    // Key 0 is the zero bucket; key k >= 1 holds (floor * gamma^(k-1), floor * gamma^k].
    const key = v < HISTOGRAM_FLOOR ? 0 : 1 + Math.max(0, Math.ceil(Math.log(v / HISTOGRAM_FLOOR) / this.#logGamma - 1e-9));
    this.#buckets!.set(key, (this.#buckets!.get(key) ?? 0) + 1);
  }

  #representative(key: number): number {
    if (key === 0) return 0;
    // 2 * upper / (gamma + 1): within relativeAccuracy of every value of the bucket.
    const upper = HISTOGRAM_FLOOR * Math.pow(this.#gamma, key - 1);
    return (2 * upper) / (this.#gamma + 1);
  }
}
