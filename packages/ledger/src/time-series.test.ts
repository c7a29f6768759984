import { ManualClock } from '@zonesim/common';
import t from 'tap';
import { BillingAccumulator } from './billing-accumulator.js';
import { resolveTimeSeriesOptions, TimeSeries, type SecondPoint } from './time-series.js';
import { makeRecord } from './test-util/records.js';

const START = 1_700_000_000_000; // ManualClock's default start: a whole second

/** An attempt that ended at `at` after `e2e` ms. */
const ended = (at: number, e2e = 50, overrides: Parameters<typeof makeRecord>[0] = {}) =>
  makeRecord({ receivedAt: at - e2e, dispatchedAt: undefined, execStartAt: undefined, execEndAt: undefined, respondedAt: at, ...overrides });

t.test('options', async (t) => {
  t.same(resolveTimeSeriesOptions(), { capacitySeconds: 3600, timeSource: 'clock', lateGraceMs: 1000, maxOpenSeconds: 300 });
  t.throws(() => resolveTimeSeriesOptions({ capacitySeconds: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'capacitySeconds' });
  t.throws(() => resolveTimeSeriesOptions({ timeSource: 'wall' as 'clock' }), { code: 'LEDGER_INVALID_OPTION', field: 'timeSource' });
});

t.test('clock mode: a second closes after the grace period with its counters and gauges', async (t) => {
  const clock = new ManualClock(START);
  const emitted: SecondPoint[] = [];
  const billing = new BillingAccumulator();
  const ts = new TimeSeries({}, { clock, onSecond: (p) => emitted.push(p), costSource: () => billing.totalUsd() });
  ts.start();
  clock.advance(100);
  for (const r of [
    ended(clock.now(), 40),
    ended(clock.now(), 60, { cold: true, initMs: 20 }),
    ended(clock.now(), 5, { outcome: 'function-error', errorType: 'Runtime.ExitError' }),
    ended(clock.now(), 1, { outcome: 'throttled', billedMs: 0 }),
    ended(clock.now(), 1, { outcome: 'service-error', billedMs: 0 }),
  ]) {
    billing.add(r);
    ts.record(r);
  }
  ts.sample({ inFlight: 3, healthyZones: 3 });
  ts.sample({ inFlight: 7 });
  ts.sample({ inFlight: 2, healthyZones: 2 });
  clock.advance(900); // now START + 1000: the second has ended but is in its grace period
  t.equal(emitted.length, 0);
  clock.advance(1000);
  t.equal(emitted.length, 1);
  const p = emitted[0]!;
  t.match(p, {
    t: START,
    invocations: 5,
    successes: 2,
    functionErrors: 1,
    serviceErrors: 1,
    errors: 2,
    throttles: 1,
    coldStarts: 1,
    inFlight: 2,
    inFlightMax: 7,
    healthyZones: 2,
  });
  // End to end of the three that ran: 5, 40, 60 ms.
  // Per-second histograms keep 2 significant digits: within 1%.
  t.ok(Math.abs(p.p50Ms! - 40) <= 0.4, `p50 ${p.p50Ms}`);
  t.ok(Math.abs(p.p99Ms! - 60) <= 0.6, `p99 ${p.p99Ms}`);
  t.equal(p.costUsd, billing.totalUsd(), 'cost so far');
  t.ok(p.costUsd! > 0);
  t.same(ts.points(), emitted);
  ts.stop();
  ts.stop();
  t.equal(clock.pendingTimers, 0);
});

t.test('empty seconds are emitted with gauges carried forward; late records are counted', async (t) => {
  const clock = new ManualClock(START);
  const ts = new TimeSeries({ lateGraceMs: 0 }, { clock });
  ts.start();
  ts.sample({ inFlight: 4, healthyZones: 3 });
  clock.advance(3000);
  const points = ts.points();
  t.same(points.map((p) => p.t), [START, START + 1000, START + 2000]);
  t.same(points.map((p) => [p.invocations, p.inFlight, p.healthyZones, p.p50Ms]), [
    [0, 4, 3, null],
    [0, 4, 3, null],
    [0, 4, 3, null],
  ]);
  ts.record(ended(START + 500));
  t.equal(ts.stats.late, 1);
  ts.record(ended(START + 1_000_000));
  t.equal(ts.stats.outOfRange, 1, 'far ahead of the clock');
  ts.stop();
});

t.test('the ring keeps the last capacitySeconds seconds, in order', async (t) => {
  const clock = new ManualClock(START);
  const ts = new TimeSeries({ capacitySeconds: 3, lateGraceMs: 0 }, { clock });
  ts.start();
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j <= i; j++) ts.record(ended(clock.now() + 10));
    clock.advance(1000);
  }
  t.same(ts.points().map((p) => [p.t - START, p.invocations]), [
    [2000, 3],
    [3000, 4],
    [4000, 5],
  ]);
  t.equal(ts.latest()!.invocations, 5);
  ts.stop();
});

t.test('records mode: replaying a ledger closes seconds as the timestamps move on', async (t) => {
  const emitted: SecondPoint[] = [];
  const ts = new TimeSeries({ timeSource: 'records', lateGraceMs: 500, capacitySeconds: 5 }, { onSecond: (p) => emitted.push(p) });
  // 100 attempts in the first second with end to end 1..100 ms.
  for (let i = 1; i <= 100; i++) ts.record(ended(START + i * 5, i));
  ts.record(ended(START + 1200));
  t.equal(emitted.length, 0, 'still within the grace of the first second');
  ts.record(ended(START + 1600));
  t.equal(emitted.length, 1);
  t.equal(emitted[0]!.invocations, 100);
  // 2 significant digits: within 1%.
  t.ok(Math.abs(emitted[0]!.p50Ms! - 50) <= 0.5, `p50 ${emitted[0]!.p50Ms}`);
  t.ok(Math.abs(emitted[0]!.p99Ms! - 99) <= 1, `p99 ${emitted[0]!.p99Ms}`);
  // A long idle gap: closing up to 59 s emits second 1 (it has a record), skips 2..53 and emits
  // only the last ring's worth (5) of empty seconds, 54..58; close() then emits 59 and 60.
  ts.record(ended(START + 60_000));
  t.equal(ts.stats.skippedSeconds, 52);
  ts.close();
  const ticks = emitted.map((p) => (p.t - START) / 1000);
  t.same(ticks, [0, 1, 54, 55, 56, 57, 58, 59, 60]);
  t.equal(emitted.at(-1)!.invocations, 1);
});

t.test('a throwing onSecond is logged, not thrown', async (t) => {
  const errors: object[] = [];
  const ts = new TimeSeries(
    { timeSource: 'records', lateGraceMs: 0 },
    { logger: { warn() {}, info() {}, error: (o) => void errors.push(o) }, onSecond: () => { throw new Error('disk full'); } },
  );
  ts.record(ended(START));
  ts.record(ended(START + 1000));
  t.equal(errors.length, 1);
  t.equal(ts.points().length, 1);
});
