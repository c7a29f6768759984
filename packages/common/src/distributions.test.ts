import t from 'tap';
import { DistributionError, sampler, validateDistribution, type Distribution } from './distributions.js';
import { SeededRandom } from './random.js';

function draws(d: Distribution, n = 20_000, seed = 7): number[] {
  const r = new SeededRandom(seed);
  const s = sampler(d);
  return Array.from({ length: n }, () => s(r));
}

function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

t.test('the same seed gives the same sequence; another seed another', async (t) => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const xa = Array.from({ length: 5 }, () => a.next());
  t.same(xa, Array.from({ length: 5 }, () => b.next()));
  t.notSame(xa, Array.from({ length: 5 }, () => c.next()));
  t.ok(xa.every((x) => x >= 0 && x < 1));
  t.same(new SeededRandom('scenario').fork('w1').next(), new SeededRandom('scenario').fork('w1').next(), 'forks are reproducible');
  t.notSame(new SeededRandom('s').fork('a').next(), new SeededRandom('s').fork('b').next());
  t.same(new SeededRandom(1).pick([1, 2, 3, 4, 5], 2), new SeededRandom(1).pick([1, 2, 3, 4, 5], 2));
});

t.test('distributions have the shape they promise', async (t) => {
  t.ok(draws({ kind: 'constant', value: 5 }, 10).every((x) => x === 5));
  const u = draws({ kind: 'uniform', min: 10, max: 20 });
  t.ok(u.every((x) => x >= 10 && x < 20));
  t.ok(Math.abs(quantile(u, 0.5) - 15) < 0.5);
  const e = draws({ kind: 'exponential', mean: 100 });
  const mean = e.reduce((a, b) => a + b, 0) / e.length;
  t.ok(Math.abs(mean - 100) < 5, `exponential mean ${mean}`);
  const l = draws({ kind: 'lognormal', median: 50, p99: 400 });
  t.ok(Math.abs(quantile(l, 0.5) - 50) < 3, `lognormal median ${quantile(l, 0.5)}`);
  t.ok(Math.abs(quantile(l, 0.99) - 400) < 60, `lognormal p99 ${quantile(l, 0.99)}`);
  // Weibull: median scale * ln(2)^(1/shape); shape 1 is the exponential of mean scale.
  const w = draws({ kind: 'weibull', shape: 0.5, scale: 100 });
  t.ok(Math.abs(quantile(w, 0.5) - 100 * Math.log(2) ** 2) / (100 * Math.log(2) ** 2) < 0.1, `weibull median ${quantile(w, 0.5)}`);
  const w1 = draws({ kind: 'weibull', shape: 1, scale: 100 });
  t.ok(Math.abs(w1.reduce((a, b) => a + b, 0) / w1.length - 100) < 6, 'weibull of shape 1: mean = scale');
  const azure = { '0': 2, '1': 2, '25': 3, '50': 4, '75': 5, '99': 11, '100': 453 };
  const em = draws({ kind: 'empirical', percentiles: azure });
  t.ok(em.every((x) => x >= 2 && x <= 453));
  t.ok(Math.abs(quantile(em, 0.5) - 4) < 0.2, 'empirical median');
  t.ok(Math.abs(quantile(em, 0.75) - 5) < 0.2, 'empirical p75');
});

t.test('bad parameters name the field', async (t) => {
  const bad: Array<[unknown, string]> = [
    [{ kind: 'uniform', min: 5, max: 1 }, 'max'],
    [{ kind: 'exponential', mean: 0 }, 'mean'],
    [{ kind: 'lognormal', median: 10, p99: 5 }, 'p99'],
    [{ kind: 'empirical', percentiles: { '50': 4, '99': 2 } }, 'percentiles.99'],
    [{ kind: 'empirical', percentiles: { '150': 4, '99': 2 } }, 'percentiles.150'],
    [{ kind: 'constant', value: -1 }, 'value'],
    [{ kind: 'gamma' }, 'kind'],
    [{ kind: 'weibull', shape: 0, scale: 1 }, 'shape'],
  ];
  for (const [d, field] of bad) {
    let caught: unknown;
    try {
      validateDistribution(d as Distribution);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof DistributionError && caught.field === field, `${JSON.stringify(d)} -> ${field}`);
  }
});
