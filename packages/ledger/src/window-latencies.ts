import type * as hdr from 'hdr-histogram-js';
import { countAtPercentile } from './hdr-percentile.js';
import { newLatencyHistogram } from './latency.js';

/**
 * Latencies of one short window (a second of the time series), in microseconds, and their
 * percentiles exactly as an HDR histogram of `significantDigits` gives them
 * (`getValueAtPercentile`: the highest value equivalent to the k-th smallest recorded one). A
 * window holds few values, so they are kept as they are and sorted once at its close, which costs
 * far less than walking a packed histogram's thousands of counts per percentile (profiled: 17 % of
 * a virtual run's time). Past `maxValues` the window turns into a histogram, so memory stays bounded
 * at any rate; the answers are the same either way.
 */
export class WindowLatencies {
  readonly #significantDigits: 1 | 2 | 3 | 4 | 5;
  readonly #maxValues: number;
  #values: number[] | undefined = [];
  #histogram: hdr.Histogram | undefined;

  constructor(significantDigits: 1 | 2 | 3 | 4 | 5 = 2, maxValues = 8192) {
    this.#significantDigits = significantDigits;
    this.#maxValues = maxValues;
  }

  get count(): number {
    return this.#values ? this.#values.length : (this.#histogram?.totalCount ?? 0);
  }

  /** Records one latency (µs, a non-negative integer). */
  add(us: number): void {
    const values = this.#values;
    if (values === undefined) {
      this.#histogram!.recordValue(us);
      return;
    }
    values.push(us);
    if (values.length > this.#maxValues) {
      const h = newLatencyHistogram(this.#significantDigits);
      for (const v of values) h.recordValue(v);
      this.#histogram = h;
      this.#values = undefined;
    }
  }

  /** The value at each percentile (0 < p <= 100), µs, as HDR's `getValueAtPercentile`; 0 when empty. */
  percentiles(ps: readonly number[]): number[] {
    if (this.#histogram) return ps.map((p) => this.#histogram!.getValueAtPercentile(p));
    const values = this.#values!;
    if (values.length === 0) return ps.map(() => 0);
    const sorted = Float64Array.from(values).sort();
    const template = equivalence(this.#significantDigits);
    return ps.map((p) => template.highestEquivalentValue(sorted[countAtPercentile(p, sorted.length) - 1]!));
  }
}

/** What the JavaScript histograms (`useWebAssembly: false`) answer besides the `Histogram` interface. */
interface EquivalenceRanges {
  highestEquivalentValue(value: number): number;
}

/** Equivalence ranges depend only on the histogram's precision: one empty histogram per precision answers them. */
const templates = new Map<number, EquivalenceRanges>();
function equivalence(significantDigits: 1 | 2 | 3 | 4 | 5): EquivalenceRanges {
  let t = templates.get(significantDigits);
  if (!t) {
    t = newLatencyHistogram(significantDigits) as unknown as EquivalenceRanges;
    templates.set(significantDigits, t);
  }
  return t;
}
