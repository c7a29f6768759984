// Issue 9: the page's buffer of ticks: the window, rates per second per zone, nearest tick.
import t from 'tap';
import type { Tick } from './feed-types.js';
import { SeriesBuffer } from './series-buffer.js';

function tick(t: number, zones: Record<string, number>, spanMs = 500): Tick {
  const counts = (n: number) => ({ invocations: n, errors: Math.floor(n / 10), throttles: 0, coldStarts: 1, p50Ms: 10, p99Ms: 90 });
  const total = Object.values(zones).reduce((a, b) => a + b, 0);
  return {
    t,
    spanMs,
    zones: Object.fromEntries(Object.entries(zones).map(([z, n]) => [z, counts(n)])),
    total: { ...counts(total), successes: total, retries: 0, failovers: 0, duplicates: 0 },
    asyncQueued: 0,
    deadLetters: 0,
    costUsd: 0,
    failed: t === 2_000 ? ['req-x'] : [],
  };
}

t.test('rates over the last second, per zone and in total; the window slides', async (t) => {
  const b = new SeriesBuffer(2_000);
  for (let i = 1; i <= 6; i++) b.add(tick(i * 500, { 'az-a': 100, 'az-b': 50, '(none)': 2 }));
  t.same(b.zones(), ['az-a', 'az-b', '(none)']);
  t.equal(b.ticks.length, 5, 'ticks older than the window are dropped');
  t.equal(b.rates('az-a').invocations, 200, '100 per 500 ms is 200/s');
  t.equal(b.rates().invocations, 304);
  t.equal(b.rates('az-b').errors, 10, '5 per 500 ms');
  t.equal(b.rates('az-c').invocations, 0, 'an unknown zone has no rate');
  t.equal(b.rates().p99Ms, 90);
  t.equal(b.add(tick(3_000, { 'az-a': 1 })), 0, 'a tick not newer than the last is ignored');
  t.equal(b.ticks.length, 5);
  t.same(b.nearest(2_100)?.failed, ['req-x'], 'a click finds the nearest tick');
  t.same(b.nearestFailed(2_400, 500)?.failed, ['req-x'], 'or the nearest one with failures, within a tolerance');
  t.equal(b.nearestFailed(2_600, 500), undefined, 'not beyond it');
});
