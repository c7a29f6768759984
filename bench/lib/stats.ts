/** Latency samples (ms) with percentiles; sorted once, on first read. */
export class Samples {
  #values: Float64Array;
  #n = 0;
  #sorted = false;

  constructor(capacity = 1024) {
    this.#values = new Float64Array(capacity);
  }

  get count(): number {
    return this.#n;
  }

  add(v: number): void {
    if (this.#n === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#n++] = v;
    this.#sorted = false;
  }

  addAll(other: Samples): void {
    for (const v of other.values()) this.add(v);
  }

  values(): Float64Array {
    return this.#values.subarray(0, this.#n);
  }

  /** Nearest-rank percentile, p in 0..100. */
  percentile(p: number): number {
    if (this.#n === 0) return NaN;
    if (!this.#sorted) {
      this.values().sort();
      this.#sorted = true;
    }
    const rank = Math.min(this.#n - 1, Math.max(0, Math.ceil((p / 100) * this.#n) - 1));
    return this.#values[rank]!;
  }

  mean(): number {
    let s = 0;
    for (const v of this.values()) s += v;
    return this.#n === 0 ? NaN : s / this.#n;
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Rounds for display: 3 significant digits, at most 3 decimals. */
export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  // Counts stay counts (15 requests, not 15.0).
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs === 0) return '0';
  const decimals = Math.min(3, Math.max(0, digits - 1 - Math.floor(Math.log10(abs))));
  return v.toFixed(decimals);
}
