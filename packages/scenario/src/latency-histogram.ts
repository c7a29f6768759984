/**
 * A small log-bucketed latency histogram (milliseconds): 0.1 ms buckets below 100 ms, then buckets
 * 0.1 % wide, so a percentile is within 0.1 % of the truth (and never outside the exact min and
 * max) in bounded memory (about 13,000 buckets up to an hour). Enough for verdicts; the ledger's
 * HDR histograms are for reports.
 */
export class LatencyHistogram {
  readonly #buckets = new Map<number, number>();
  #count = 0;
  #min = Infinity;
  #max = -Infinity;

  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const key = v < 100 ? Math.floor(v * 10) : 1000 + Math.floor(Math.log(v / 100) / LOG_STEP);
    this.#buckets.set(key, (this.#buckets.get(key) ?? 0) + 1);
    this.#count++;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** Adds every value of `other` into this one. */
  merge(other: LatencyHistogram): void {
    for (const [key, n] of other.#buckets) this.#buckets.set(key, (this.#buckets.get(key) ?? 0) + n);
    this.#count += other.#count;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /** The p-th percentile (0..100), or undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.#count === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    if (rank >= this.#count) return this.#max;
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const key of keys) {
      seen += this.#buckets.get(key)!;
      if (seen >= rank) {
        // The middle of the bucket (0.1 ms steps are exact for values given to 0.1 ms).
        const value = key < 1000 ? key / 10 : 100 * Math.exp((key - 1000 + 0.5) * LOG_STEP);
        return Math.round(Math.min(this.#max, Math.max(this.#min, value)) * 1000) / 1000;
      }
    }
    return this.#max;
  }

  get max(): number | undefined {
    return this.#count === 0 ? undefined : this.#max;
  }
}

const LOG_STEP = Math.log(1.001);
