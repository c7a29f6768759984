import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** What a cell's runs say about one metric. */
export interface MetricSummary {
  /** Runs that measured it (a run without sync load has no sync latency, for example). */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1); null below 2 runs. */
  sd: number | null;
  /** 95 % confidence interval of the mean, Student's t with n - 1 degrees of freedom; null below 2 runs. */
  ci95: [number, number] | null;
  min: number | null;
  max: number | null;
}

/**
 * The mean of a metric over a cell's seeds with its 95 % confidence interval. Seeds are
 * independent replications, so the interval is mean +- t(0.975, n-1) * sd / sqrt(n): a statement
 * about the platform at those settings, not about one run. Values are summed in the order given,
 * so the same runs always give the same bits.
 */
export function summarize(values: ReadonlyArray<number | null | undefined>): MetricSummary {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n: 0, mean: null, sd: null, ci95: null, min: null, max: null };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: null, ci95: null, min, max };
  let squares = 0;
  for (const x of xs) squares += (x - mean) * (x - mean);
  const sd = Math.sqrt(squares / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci95: [mean - half, mean + half], min, max };
}
