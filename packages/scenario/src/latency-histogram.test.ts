import { SeededRandom } from '@zonesim/common';
import t from 'tap';
import { LatencyHistogram } from './latency-histogram.js';

t.test('percentiles are within 0.1 % of the exact ones, and exact at the ends', async (t) => {
  const r = new SeededRandom(3);
  const values = Array.from({ length: 50_000 }, () => Math.exp(r.normal() * 1.5 + 4));
  const h = new LatencyHistogram();
  for (const v of values) h.add(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
    const got = h.percentile(p)!;
    t.ok(Math.abs(got - exact) / exact < 0.001 || Math.abs(got - exact) <= 0.1, `p${p}: ${got} ~ ${exact}`);
  }
  t.equal(h.percentile(100), sorted[sorted.length - 1]);
  t.equal(h.max, sorted[sorted.length - 1]);
  t.equal(h.count, 50_000);
  const small = new LatencyHistogram();
  for (const v of [10, 20, 30]) small.add(v);
  t.same([small.percentile(0), small.percentile(50), small.percentile(99)], [10, 20, 30]);
  t.equal(new LatencyHistogram().percentile(50), undefined);
  const merged = new LatencyHistogram();
  merged.merge(small);
  merged.merge(small);
  t.same([merged.count, merged.percentile(50), merged.max], [6, 20, 30]);
});
