import type { FinalRow } from './final-row.js';

/** The time series of the HTML charts: at most `maxPoints` buckets of `bucketSeconds` rows each. */
export interface ChartSeries {
  /** Seconds (rows) per point; 1 when the run fits. */
  bucketSeconds: number;
  /** Start of each bucket, epoch ms. */
  t: number[];
  /** Mean of the bucket's per-second p50s (null: nothing ran). */
  p50Ms: (number | null)[];
  /** Highest per-second p99 of the bucket, so that a spike is not averaged away. */
  p99Ms: (number | null)[];
  /** Attempts ended per second (bucket mean), by zone column. */
  throughput: Record<string, number[]>;
  /** Totals per bucket. */
  functionErrors: number[];
  serviceErrors: number[];
  throttles: number[];
  coldStarts: number[];
  /** The run's cost at the end of the bucket, USD. */
  costUsd: number[];
  /** Highest in-flight count of the bucket (null: unknown). */
  inFlight: (number | null)[];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * Folds the per-second rows into at most `maxPoints` buckets of equal width (a run of hours
 * must not make a gigantic HTML file). The row count is known beforehand (pass 1), so the width
 * is fixed: `ceil(rows / maxPoints)`.
 */
export class Downsampler {
  readonly bucketSeconds: number;
  readonly #zones: readonly string[];
  readonly #out: ChartSeries;
  #n = 0;
  #p50Sum = 0;
  #p50Count = 0;
  #p99: number | null = null;
  #zoneSums: number[] = [];
  #inFlight: number | null = null;
  #lastRow: FinalRow | undefined;

  constructor(options: { rows: number; maxPoints: number; zones: readonly string[] }) {
    this.bucketSeconds = Math.max(1, Math.ceil(options.rows / options.maxPoints));
    this.#zones = options.zones;
    this.#out = {
      bucketSeconds: this.bucketSeconds,
      t: [],
      p50Ms: [],
      p99Ms: [],
      throughput: Object.fromEntries(options.zones.map((z) => [z, []])),
      functionErrors: [],
      serviceErrors: [],
      throttles: [],
      coldStarts: [],
      costUsd: [],
      inFlight: [],
    };
  }

  /** Adds the next row (rows in time order). */
  add(row: FinalRow): void {
    const o = this.#out;
    if (this.#n === 0) {
      o.t.push(row.t);
      o.functionErrors.push(0);
      o.serviceErrors.push(0);
      o.throttles.push(0);
      o.coldStarts.push(0);
      this.#zoneSums = new Array<number>(this.#zones.length).fill(0);
    }
    const last = o.t.length - 1;
    o.functionErrors[last]! += row.functionErrors;
    o.serviceErrors[last]! += row.serviceErrors;
    o.throttles[last]! += row.throttles;
    o.coldStarts[last]! += row.coldStarts;
    if (row.p50Ms !== null) {
      this.#p50Sum += row.p50Ms;
      this.#p50Count++;
    }
    if (row.p99Ms !== null) this.#p99 = Math.max(this.#p99 ?? 0, row.p99Ms);
    for (let i = 0; i < this.#zones.length; i++) this.#zoneSums[i]! += row.zones[i] ?? 0;
    if (row.inFlight !== null) this.#inFlight = Math.max(this.#inFlight ?? 0, row.inFlight);
    this.#n++;
    this.#lastRow = row;
    if (this.#n === this.bucketSeconds) this.#flush(row);
  }

  /** The series; a last, shorter bucket is closed here. */
  finish(): ChartSeries {
    if (this.#n > 0 && this.#lastRow) this.#flush(this.#lastRow);
    return this.#out;
  }

  #flush(lastRow: FinalRow): void {
    const o = this.#out;
    o.p50Ms.push(this.#p50Count > 0 ? round(this.#p50Sum / this.#p50Count, 3) : null);
    o.p99Ms.push(this.#p99 === null ? null : round(this.#p99, 3));
    this.#zones.forEach((z, i) => o.throughput[z]!.push(round(this.#zoneSums[i]! / this.#n, 3)));
    o.costUsd.push(round(lastRow.costUsd, 12));
    o.inFlight.push(this.#inFlight);
    this.#n = 0;
    this.#p50Sum = 0;
    this.#p50Count = 0;
    this.#p99 = null;
    this.#inFlight = null;
    this.#lastRow = undefined;
  }
}
