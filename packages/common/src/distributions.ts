import type { SeededRandom } from './random.js';

/**
 * How a value (a duration in ms, a memory size in MB, an inter-arrival gap) is drawn. Plain JSON,
 * so scenario files and synthetic function packages can carry it:
 * - `constant`: always `value`;
 * - `uniform`: between `min` and `max`;
 * - `exponential`: mean `mean`;
 * - `lognormal`: by its median and 99th percentile (how latency is usually described);
 * - `weibull`: by its `shape` (k) and `scale` (lambda): time between failures and time to repair in
 *   the Failure Trace Archive's fits (shape below 1: failures cluster);
 * - `empirical`: piecewise linear between known percentiles, as the Azure Functions trace gives them
 *   (`{ "0": 1, "25": 3, "50": 4, "99": 11, "100": 453 }`).
 */
export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'lognormal'; median: number; p99: number }
  | { kind: 'weibull'; shape: number; scale: number }
  | { kind: 'empirical'; percentiles: Record<string, number> };

/** z of the standard normal's 99th percentile. */
const Z99 = 2.3263478740408408;

/** Why a distribution is not usable; `field` names the part at fault. */
export class DistributionError extends Error {
  override readonly name = 'DistributionError';
  readonly code = 'INVALID_DISTRIBUTION';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function finite(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DistributionError(field, `${field} must be a number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a distribution's parameters; throws {@link DistributionError} naming the bad field. */
export function validateDistribution(d: Distribution): Distribution {
  switch (d?.kind) {
    case 'constant':
      finite(d.value, 'value');
      return d;
    case 'uniform':
      finite(d.min, 'min');
      finite(d.max, 'max');
      if (d.max < d.min) throw new DistributionError('max', `max (${d.max}) must be >= min (${d.min})`);
      return d;
    case 'exponential':
      if (finite(d.mean, 'mean') === 0) throw new DistributionError('mean', 'mean must be > 0');
      return d;
    case 'lognormal':
      if (finite(d.median, 'median') === 0) throw new DistributionError('median', 'median must be > 0');
      if (finite(d.p99, 'p99') < d.median) throw new DistributionError('p99', `p99 (${d.p99}) must be >= median (${d.median})`);
      return d;
    case 'weibull':
      if (finite(d.shape, 'shape') === 0) throw new DistributionError('shape', 'shape must be > 0');
      if (finite(d.scale, 'scale') === 0) throw new DistributionError('scale', 'scale must be > 0');
      return d;
    case 'empirical': {
      const points = empiricalPoints(d.percentiles);
      if (points.length < 2) throw new DistributionError('percentiles', 'give at least two percentiles');
      return d;
    }
    default:
      throw new DistributionError('kind', `kind must be constant, uniform, exponential, lognormal, weibull or empirical, got ${JSON.stringify((d as { kind?: unknown })?.kind)}`);
  }
}

function empiricalPoints(percentiles: Record<string, number>): Array<[number, number]> {
  if (typeof percentiles !== 'object' || percentiles === null) throw new DistributionError('percentiles', 'percentiles must be an object of percentile -> value');
  const points = Object.entries(percentiles).map(([p, v]): [number, number] => {
    const q = Number(p);
    if (!Number.isFinite(q) || q < 0 || q > 100) throw new DistributionError(`percentiles.${p}`, `percentile ${p} must be a number from 0 to 100`);
    return [q, finite(v, `percentiles.${p}`)];
  });
  points.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < points.length; i++) {
    if (points[i]![1] < points[i - 1]![1]) throw new DistributionError(`percentiles.${points[i]![0]}`, 'values must not decrease as the percentile grows');
  }
  return points;
}

/** A compiled sampler: validation and sorting happen once, each draw is O(1) or O(log n). */
export type Sampler = (random: SeededRandom) => number;

/** Compiles a distribution into a sampler (validating it first). */
export function sampler(d: Distribution): Sampler {
  validateDistribution(d);
  switch (d.kind) {
    case 'constant':
      return () => d.value;
    case 'uniform':
      return (r) => d.min + r.next() * (d.max - d.min);
    case 'exponential':
      return (r) => -Math.log(1 - r.next()) * d.mean;
    case 'lognormal': {
      const mu = Math.log(d.median);
      const sigma = (Math.log(d.p99) - mu) / Z99;
      return (r) => Math.exp(mu + sigma * r.normal());
    }
    case 'weibull':
      // Inverse transform: F(x) = 1 - exp(-(x/scale)^shape).
      return (r) => d.scale * (-Math.log(1 - r.next())) ** (1 / d.shape);
    case 'empirical': {
      const points = empiricalPoints(d.percentiles);
      // Below the lowest and above the highest given percentile the value is clamped to them.
      return (r) => {
        const q = r.next() * 100;
        if (q <= points[0]![0]) return points[0]![1];
        for (let i = 1; i < points.length; i++) {
          const [q1, v1] = points[i]!;
          if (q <= q1) {
            const [q0, v0] = points[i - 1]!;
            return q1 === q0 ? v1 : v0 + ((q - q0) / (q1 - q0)) * (v1 - v0);
          }
        }
        return points[points.length - 1]![1];
      };
    }
  }
}
