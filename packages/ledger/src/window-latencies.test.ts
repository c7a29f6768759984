import t from 'tap';
import { newLatencyHistogram } from './latency.js';
import { WindowLatencies } from './window-latencies.js';

/** A small seeded generator, so that a failure reproduces. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PERCENTILES = [0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

t.test('the same percentiles as an HDR histogram of the same precision, whatever the values', async (t) => {
  for (const digits of [1, 2, 3] as const) {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = lcg(seed * 7 + digits);
      const n = 1 + Math.floor(rand() * (seed % 5 === 0 ? 3000 : 60));
      const window = new WindowLatencies(digits, 500);
      const h = newLatencyHistogram(digits);
      for (let i = 0; i < n; i++) {
        // Zeros, repeats, microseconds to minutes.
        const v = seed % 7 === 0 ? 0 : Math.round(rand() ** 4 * 10 ** (1 + Math.floor(rand() * 8)));
        window.add(v);
        h.recordValue(v);
      }
      t.equal(window.count, n);
      t.same(window.percentiles(PERCENTILES), PERCENTILES.map((p) => h.getValueAtPercentile(p)), `digits ${digits}, seed ${seed}, ${n} values`);
    }
  }
});

t.test('empty: 0; one value: its equivalence class; past the bound it keeps answering the same', async (t) => {
  t.same(new WindowLatencies().percentiles([50, 99]), [0, 0]);
  const one = new WindowLatencies(2);
  one.add(123_456);
  const h = newLatencyHistogram(2);
  h.recordValue(123_456);
  t.same(one.percentiles([50, 99]), [h.getValueAtPercentile(50), h.getValueAtPercentile(99)]);
  const bounded = new WindowLatencies(2, 4);
  for (const v of [5, 50, 500, 5000, 50000, 7]) bounded.add(v);
  t.equal(bounded.count, 6, 'switched to a histogram at the bound, nothing lost');
});

t.test("summarizeHistogram's one walk gives exactly what HDR's getters give", async (t) => {
  const { summarizeHistogram, summarizeByGetters, newLatencyHistogram: make } = await import('./latency.js');
  for (const digits of [1, 2, 3] as const) {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = lcg(seed * 13 + digits);
      const h = make(digits);
      const n = 1 + Math.floor(rand() * (seed % 4 === 0 ? 5000 : 80));
      for (let i = 0; i < n; i++) h.recordValue(seed % 9 === 0 ? 0 : Math.round(rand() ** 3 * 10 ** (1 + Math.floor(rand() * 8))));
      t.same(summarizeHistogram(h), summarizeByGetters(h), `digits ${digits}, seed ${seed}, ${n} values`);
    }
  }
  t.equal(summarizeHistogram(make(2)), undefined, 'empty');
});
