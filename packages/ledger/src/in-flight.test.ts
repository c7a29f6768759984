import t from 'tap';
import { InFlightCounter } from './in-flight.js';

t.test('counts attempts received and not yet answered at each second boundary', async (t) => {
  const c = new InFlightCounter({ maxSpanSeconds: 1000 });
  const spans: Array<[number, number]> = [
    [100_500, 103_000], // in flight at 101, 102 (answered exactly at 103: no longer)
    [101_000, 101_200], // at 101 (received exactly then)
    [99_000, 100_100], // at 99 and 100; added after later ones: the array grows backward
    [102_100, 102_900], // within one second: never at a boundary
    [50_000, 50_000], // zero length
  ];
  for (const [a, b] of spans) c.add(a, b);
  const want = (t0: number) => spans.filter(([a, b]) => a <= t0 && t0 < b).length;
  for (let s = 95_000; s <= 106_000; s += 1000) t.equal(c.at(s), want(s), `at ${s}`);
  t.ok(c.known);
});

t.test('growing forward across many seconds', async (t) => {
  const c = new InFlightCounter({ maxSpanSeconds: 100_000 });
  for (let i = 0; i < 5000; i++) c.add(i * 1000 + 10, i * 1000 + 2500);
  t.equal(c.at(0), 0);
  t.equal(c.at(1000), 1);
  t.equal(c.at(2000), 2);
  t.equal(c.at(4_000_000), 2);
  t.equal(c.at(4_000_000), 2, 'the same second twice');
  t.throws(() => c.at(3_000_000), RangeError, 'times must not go back');
});

t.test('past the span bound the counts become unknown', async (t) => {
  const c = new InFlightCounter({ maxSpanSeconds: 60 });
  c.add(0, 10_000);
  c.add(100_000, 101_000);
  t.equal(c.known, false);
  t.equal(c.at(5000), undefined);
});
