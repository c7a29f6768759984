import { ManualClock } from '@zonesim/common';
import t from 'tap';
import { StopConditionMonitor } from './stop-conditions.js';

const errorRate = { id: 'errors', kind: 'errorRate' as const, above: 0.5, forMs: 10_000, minOps: 10 };
const p99 = { id: 'slow', kind: 'p99' as const, aboveMs: 1_000, forMs: 5_000, minOps: 20 };

t.test('the error rate trips over a full window with enough operations, and stays tripped', async (t) => {
  const clock = new ManualClock();
  const m = new StopConditionMonitor([errorRate], { clock });
  m.start();
  // 5 s of healthy traffic, 10 ops a second.
  for (let i = 0; i < 50; i++) {
    m.record({ result: 'ok', latencyMs: 10 });
    clock.advance(100);
  }
  t.equal(m.evaluate(), undefined);
  // Then everything fails; the window is not full until 10 s after start.
  for (let i = 0; i < 40; i++) {
    m.record({ result: i % 2 ? 'fail' : 'unknown', latencyMs: 10 });
    clock.advance(100);
  }
  t.equal(m.evaluate(), undefined, 'not before the window is full (9 s)');
  for (let i = 0; i < 20; i++) {
    m.record({ result: 'fail', latencyMs: 10 });
    clock.advance(100);
  }
  // At 11 s: the last 10 s hold 40 ok (1..5 s) and 60 failures.
  const trip = m.evaluate();
  t.match(trip, { id: 'errors', kind: 'errorRate', threshold: 0.5, windowMs: 10_000 });
  t.ok(trip!.observed > 0.5 && trip!.observed < 0.7, `observed ${trip!.observed}`);
  t.match(trip!.reason, /error rate 6\d\.\d% over the last 10s \(\d+ of \d+ ops\) is above 50\.0%/);
  for (let i = 0; i < 200; i++) {
    m.record({ result: 'ok', latencyMs: 10 });
    clock.advance(100);
  }
  t.equal(m.evaluate(), trip, 'once tripped, it stays tripped');
});

t.test('old operations leave the window; few operations never trip', async (t) => {
  const clock = new ManualClock();
  const m = new StopConditionMonitor([errorRate], { clock });
  m.start();
  for (let i = 0; i < 30; i++) m.record({ result: 'fail', latencyMs: 1 });
  clock.advance(20_000);
  for (let i = 0; i < 30; i++) m.record({ result: 'ok', latencyMs: 1 });
  t.equal(m.evaluate(), undefined, 'the failures are 20 s old');
  const quiet = new StopConditionMonitor([errorRate], { clock });
  quiet.start();
  clock.advance(10_000);
  for (let i = 0; i < 9; i++) quiet.record({ result: 'fail', latencyMs: 1 });
  t.equal(quiet.evaluate(), undefined, 'below minOps');
});

t.test('p99 latency trips when the slow tail is above the bound', async (t) => {
  const clock = new ManualClock();
  const m = new StopConditionMonitor([errorRate, p99], { clock });
  m.start();
  for (let i = 0; i < 60; i++) {
    m.record({ result: 'ok', latencyMs: i % 10 === 0 ? 2_500 : 50 });
    clock.advance(100);
  }
  const trip = m.evaluate();
  t.match(trip, { id: 'slow', kind: 'p99', threshold: 1_000 });
  t.ok(trip!.observed >= 2_400, `p99 ${trip!.observed}`);
  t.match(trip!.reason, /p99 2\.\d+s over the last 5s/);
  const none = new StopConditionMonitor([], { clock });
  none.start();
  none.record({ result: 'fail', latencyMs: 1 });
  t.equal(none.evaluate(), undefined);
});
