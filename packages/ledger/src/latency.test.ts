import t from 'tap';
import { LatencyRecorder, latencyPhases, resolveLatencyRecorderOptions } from './latency.js';
import { makeRecord, T0 } from './test-util/records.js';

t.test('phases of one attempt add up to end to end', async (t) => {
  const phases = latencyPhases(
    makeRecord({ receivedAt: T0, queuedAt: T0 + 5, dispatchedAt: T0 + 15, initMs: 100, durationMs: 50, respondedAt: T0 + 200 }),
  );
  t.same(phases, { endToEnd: 200, queueWait: 10, init: 100, execution: 50, platformOverhead: 40 });

  // Without durations, phases come from the timestamps; without a queue, queue wait starts at receipt.
  const fromTimestamps = latencyPhases(
    makeRecord({
      receivedAt: T0,
      dispatchedAt: T0 + 2,
      initStartAt: T0 + 3,
      initEndAt: T0 + 23,
      execStartAt: T0 + 23,
      execEndAt: T0 + 33,
      respondedAt: T0 + 40,
      durationMs: undefined,
    }),
  );
  t.same(fromTimestamps, { endToEnd: 40, queueWait: 2, init: 20, execution: 10, platformOverhead: 8 });

  const throttle = latencyPhases(makeRecord({ outcome: 'throttled', billedMs: 0, durationMs: undefined, dispatchedAt: undefined, execStartAt: undefined, execEndAt: undefined, respondedAt: T0 + 1 }));
  t.same(throttle, { endToEnd: 1 }, 'only end to end when it never ran');
  t.equal(latencyPhases(makeRecord({ durationMs: 500, respondedAt: T0 + 104 })).platformOverhead, 0, 'clock skew clamps to 0');
});

t.test('percentiles per function x zone and merged', async (t) => {
  const rec = new LatencyRecorder();
  // az1 runs 1..1000 ms; az2 runs 1001..2000 ms.
  for (let i = 1; i <= 1000; i++) {
    rec.record(makeRecord({ zone: 'az1', durationMs: i, respondedAt: T0 + i + 10 }));
    rec.record(makeRecord({ zone: 'az2', durationMs: 1000 + i, respondedAt: T0 + 1000 + i + 10 }));
  }
  const az1 = rec.summary({ functionName: 'fn', zone: 'az1', phase: 'execution' })!;
  t.equal(az1.count, 1000);
  // HDR with 3 significant digits: within 0.1% of the exact value.
  t.ok(Math.abs(az1.p50 - 500) <= 0.5, `az1 p50 ${az1.p50}`);
  t.ok(Math.abs(az1.p99 - 990) <= 1, `az1 p99 ${az1.p99}`);
  t.ok(Math.abs(az1.max - 1000) <= 1, `az1 max ${az1.max}`);
  t.equal(az1.min, 1);
  const all = rec.summary({ functionName: 'fn', phase: 'execution' })!;
  t.equal(all.count, 2000);
  t.ok(Math.abs(all.p50 - 1000) <= 1, `merged p50 ${all.p50}`);
  t.ok(Math.abs(rec.percentile({ zone: 'az2', phase: 'execution' }, 50)! - 1500) <= 1.5, 'by zone');
  t.equal(rec.summary({ functionName: 'absent', phase: 'execution' }), undefined);
  t.equal(rec.summary({ functionName: 'fn', zone: 'az1', phase: 'init' }), undefined, 'no cold starts, no init');
  t.same(rec.keys().map((k) => k.zone).sort(), ['az1', 'az2']);
  t.equal(rec.snapshot().length, 2 * 4, 'four phases (no init) per pair');
});

t.test('sub-millisecond latencies keep their resolution', async (t) => {
  const rec = new LatencyRecorder();
  rec.record(makeRecord({ durationMs: 0.25 }));
  t.equal(rec.percentile({ functionName: 'fn', zone: 'az1', phase: 'execution' }, 50), 0.25);
  rec.record(makeRecord({ durationMs: 0 }));
  t.equal(rec.summary({ functionName: 'fn', zone: 'az1', phase: 'execution' })!.min, 0);
});

t.test('throttles are not recorded by default', async (t) => {
  const rec = new LatencyRecorder();
  t.equal(rec.record(makeRecord({ outcome: 'throttled', billedMs: 0 })), false);
  t.same(rec.stats, { recorded: 0, skipped: 1, folded: 0, keys: 0 });
  const all = new LatencyRecorder({ outcomes: ['throttled'] });
  t.equal(all.record(makeRecord({ outcome: 'throttled', billedMs: 0 })), true);
  t.throws(() => resolveLatencyRecorderOptions({ outcomes: ['nope' as 'success'] }), { code: 'LEDGER_INVALID_OPTION', field: 'outcomes' });
  t.throws(() => resolveLatencyRecorderOptions({ maxKeys: -1 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxKeys' });
});

t.test('keys are bounded: later pairs fold into (other) with one warning', async (t) => {
  const warnings: object[] = [];
  const rec = new LatencyRecorder({ maxKeys: 2 }, { logger: { warn: (o) => void warnings.push(o), error() {}, info() {} } });
  for (const fn of ['a', 'b', 'c', 'd', 'c']) rec.record(makeRecord({ functionName: fn }));
  t.same(rec.keys().map((k) => k.functionName), ['a', 'b', '(other)']);
  t.equal(rec.stats.folded, 3);
  t.equal(rec.summary({ functionName: '(other)', phase: 'endToEnd' })!.count, 3);
  t.equal(warnings.length, 1);
});
