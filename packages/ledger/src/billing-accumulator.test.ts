import t from 'tap';
import { BillingAccumulator, faultCost, OTHER_KEY, resolveBillingOptions } from './billing-accumulator.js';
import { billedDurationMs, invocationCost } from './billing.js';
import type { LedgerRecord } from './record.js';
import { close, makeRecord, prng } from './test-util/records.js';

const oneGbSecond = (overrides: Partial<LedgerRecord> = {}) => makeRecord({ memoryMb: 1024, durationMs: 1000, billedMs: 1000, ...overrides });

t.test('options are resolved once, with errors naming the field', async (t) => {
  const resolved = resolveBillingOptions();
  t.equal(resolved.freeTier, false, 'free tier is off unless asked for');
  t.equal(resolved.maxKeys, 10_000);
  t.throws(() => resolveBillingOptions({ maxKeys: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxKeys' });
  t.throws(() => resolveBillingOptions({ priorUsage: { gbSeconds: { arm64: -1 } } }), { code: 'LEDGER_INVALID_OPTION', field: 'priorUsage.gbSeconds.arm64' });
  t.throws(() => resolveBillingOptions({ priorUsage: { requests: 1.5 } }), { code: 'LEDGER_INVALID_OPTION', field: 'priorUsage.requests' });
});

t.test('totals per function, per zone and per run add up', async (t) => {
  const acc = new BillingAccumulator();
  acc.add(makeRecord({ functionName: 'a', zone: 'az1', durationMs: 100.4, billedMs: 101 }));
  acc.add(makeRecord({ functionName: 'a', zone: 'az2', memoryMb: 1769, durationMs: 1000, billedMs: 1000 }));
  acc.add(makeRecord({ functionName: 'b', zone: 'az1', architecture: 'arm64', memoryMb: 512, durationMs: 1000, billedMs: 1000 }));
  acc.add(makeRecord({ functionName: 'b', zone: undefined, outcome: 'throttled', errorType: 'TooManyRequestsException', billedMs: 0 }));
  const s = acc.snapshot();
  // Run: 3 requests x $0.0000002 = $0.0000006; duration $0.0000002104170875 (128 MB x 101 ms)
  // + $0.00002879237529296875 (1769 MB x 1 s) + $0.0000066667 (arm64 512 MB x 1 s) = $0.00003566949238046875.
  t.equal(s.run.attempts, 4);
  t.equal(s.run.requests, 3, 'the throttle is not a billed request');
  t.equal(s.run.throttles, 1);
  t.equal(s.run.billedMs, 2101);
  close(t, s.run.usd.requests, 6e-7, 'run requests');
  close(t, s.run.usd.duration, 0.00003566949238046875, 'run duration');
  close(t, s.run.usd.total, 0.00003626949238046875, 'run total');
  close(t, acc.totalUsd(), s.run.usd.total, 'totalUsd()');
  t.same(Object.keys(s.byFunction).sort(), ['a', 'b']);
  t.same(Object.keys(s.byZone).sort(), ['(none)', 'az1', 'az2'], 'a throttle before placement has no zone');
  t.equal(s.byZone['(none)']!.usd.total, 0);
  close(t, s.byFunction['a']!.usd.total + s.byFunction['b']!.usd.total, s.run.usd.total, 'functions add up to the run');
  close(t, s.byZone['az1']!.usd.total + s.byZone['az2']!.usd.total + s.byZone['(none)']!.usd.total, s.run.usd.total, 'zones add up to the run');
});

t.test('free tier on versus off (1 M requests + 400,000 GB-s a month)', async (t) => {
  // 999,999 requests and 399,999 GB-s already used this month; three 1 GB-s invocations follow.
  const priorUsage = { requests: 999_999, gbSeconds: { x86_64: 399_999 } };
  const on = new BillingAccumulator({ freeTier: true, priorUsage });
  const off = new BillingAccumulator({ freeTier: false, priorUsage });
  for (let i = 0; i < 3; i++) {
    on.add(oneGbSecond());
    off.add(oneGbSecond());
  }
  // On: the first request and the first GB-s are free; 2 x $0.0000002 + 2 x $0.0000166667 = $0.0000337334.
  const runOn = on.run();
  close(t, runOn.usd.total, 0.0000337334, 'free tier on');
  t.equal(runOn.freeTier.requests, 1);
  close(t, runOn.freeTier.gbSeconds, 1, 'free GB-s');
  close(t, runOn.freeTier.savedUsd, 0.0000168667, 'saved = 1 request + 1 GB-s');
  // Off: 3 x $0.0000002 + 3 x $0.0000166667 = $0.0000506001.
  close(t, off.run().usd.total, 0.0000506001, 'free tier off');
  t.equal(off.run().freeTier.requests, 0);

  const fresh = new BillingAccumulator({ freeTier: true });
  for (let i = 0; i < 10; i++) fresh.add(oneGbSecond({ architecture: i % 2 ? 'arm64' : 'x86_64' }));
  t.equal(fresh.run().usd.total, 0, 'a small run fits in the free tier, both architectures');
});

t.test('the free tier does not cover provisioned concurrency', async (t) => {
  const acc = new BillingAccumulator({ freeTier: true });
  acc.add(makeRecord({ provisioned: true, memoryMb: 1024, durationMs: 200, billedMs: 200 }));
  acc.addProvisionedConcurrency({ functionName: 'fn', memoryMb: 1024, architecture: 'x86_64', count: 1, enabledAt: 0, disabledAt: 60_000 });
  const run = acc.run();
  t.equal(run.usd.requests, 0, 'the request is free');
  // PC duration 0.2 GB-s x 0.0000097222 = $0.00000194444; allocation 1 GB x 300 s x 0.0000041667 = $0.00125001.
  close(t, run.usd.provisionedDuration, 0.00000194444, 'PC duration charged');
  close(t, run.usd.provisionedConcurrency, 0.00125001, 'allocation charged');
});

t.test('provisioned concurrency: allocation plus invocations at the PC duration rate', async (t) => {
  const acc = new BillingAccumulator();
  const cost = acc.addProvisionedConcurrency({
    functionName: 'pc',
    memoryMb: 1024,
    architecture: 'x86_64',
    count: 2,
    enabledAt: 0,
    disabledAt: 7 * 60_000,
  });
  t.equal(cost.billedSeconds, 600, '7 minutes bill as 10');
  for (let i = 0; i < 10; i++) acc.add(makeRecord({ functionName: 'pc', provisioned: true, memoryMb: 1024, durationMs: 199.2, billedMs: 200 }));
  // Allocation: 2 x 1 GB x 600 s = 1200 GB-s x 0.0000041667 = $0.00500004.
  // Invocations: 10 x 1 GB x 0.2 s = 2 GB-s x 0.0000097222 = $0.0000194444; requests 10 x $0.0000002 = $0.000002.
  // Total $0.0050214844.
  const fn = acc.snapshot().byFunction['pc']!;
  close(t, fn.usd.provisionedConcurrency, 0.00500004, 'allocation');
  close(t, fn.usd.provisionedDuration, 0.0000194444, 'PC duration');
  t.equal(fn.usd.duration, 0, 'nothing at the on-demand rate');
  close(t, fn.usd.total, 0.0050214844, 'total');
  close(t, fn.provisionedGbSeconds, 1200, 'allocated GB-s');
  t.equal(acc.snapshot().tierUsageGbSeconds.x86_64, 0, 'PC duration does not move the on-demand tiers');
});

t.test('a tier boundary crossing splits the invocation', async (t) => {
  const acc = new BillingAccumulator({ priorUsage: { gbSeconds: { x86_64: 6e9 - 0.5 } } });
  acc.add(oneGbSecond());
  // 0.5 GB-s at $0.0000166667 + 0.5 GB-s at $0.000015 = $0.00001583335.
  close(t, acc.run().usd.duration, 0.00001583335, 'crossing');
  acc.add(oneGbSecond());
  close(t, acc.run().usd.duration, 0.00001583335 + 0.000015, 'the next one is all tier 2');
  acc.add(oneGbSecond({ architecture: 'arm64' }));
  close(t, acc.run().usd.duration, 0.00001583335 + 0.000015 + 0.0000133334, 'arm64 has its own ladder (tier 1)');
  t.equal(acc.snapshot().tierUsageGbSeconds.x86_64, 6e9 + 1.5);
});

t.test('throttled and service-error attempts cost nothing', async (t) => {
  const acc = new BillingAccumulator();
  for (let i = 0; i < 5; i++) acc.add(makeRecord({ outcome: 'throttled', errorType: 'TooManyRequestsException', billedMs: 0, durationMs: undefined }));
  acc.add(makeRecord({ outcome: 'service-error', errorType: 'ServiceException', billedMs: 0 }));
  const run = acc.run();
  t.equal(run.usd.total, 0);
  t.equal(run.requests, 0);
  t.equal(run.attempts, 6);
  t.equal(run.throttles, 5);
});

t.test('property: billed durations of the ledger add up to the billing totals', async (t) => {
  const rand = prng(20260801);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (const freeTier of [false, true]) {
    const acc = new BillingAccumulator({ freeTier });
    let sumBilledMs = 0;
    let sumCharged = 0;
    let sumStandalone = 0;
    for (let i = 0; i < 5000; i++) {
      const outcome = pick(['success', 'success', 'success', 'function-error', 'throttled', 'service-error', 'lost'] as const);
      const ran = outcome === 'success' || outcome === 'function-error' || (outcome === 'lost' && rand() < 0.5);
      const cold = ran && rand() < 0.2;
      const durationMs = Math.round(rand() * 3_000_000) / 1000;
      const initMs = cold ? Math.round(rand() * 1_000_000) / 1000 : undefined;
      const provisioned = ran && !cold && rand() < 0.1;
      const record = makeRecord({
        functionName: pick(['f1', 'f2', 'f3']),
        zone: pick(['az1', 'az2', 'az3']),
        architecture: pick(['x86_64', 'arm64'] as const),
        memoryMb: pick([128, 512, 1024, 1769, 3008, 10240]),
        ephemeralStorageMb: pick([512, 512, 2048]),
        outcome,
        cold,
        provisioned,
        durationMs: ran ? durationMs : undefined,
        initMs,
        billedMs: ran ? billedDurationMs(durationMs, initMs, { initBilled: !provisioned }) : 0,
        faultIds: rand() < 0.3 ? ['f-zone-loss'] : undefined,
      });
      sumBilledMs += record.billedMs;
      sumCharged += acc.add(record).totalUsd;
      sumStandalone += invocationCost(record).totalUsd;
    }
    const s = acc.snapshot();
    t.equal(s.run.billedMs, sumBilledMs, `run billedMs = sum of records' billedMs (freeTier ${freeTier})`);
    const parts = (m: Record<string, { billedMs: number; usd: { total: number } }>) =>
      Object.values(m).reduce((a, b) => ({ billedMs: a.billedMs + b.billedMs, usd: a.usd + b.usd.total }), { billedMs: 0, usd: 0 });
    t.equal(parts(s.byFunction).billedMs, sumBilledMs, 'per-function billedMs add up');
    t.equal(parts(s.byZone).billedMs, sumBilledMs, 'per-zone billedMs add up');
    t.ok(Math.abs(parts(s.byFunction).usd - s.run.usd.total) < 1e-12, 'per-function $ add up');
    t.ok(Math.abs(parts(s.byZone).usd - s.run.usd.total) < 1e-12, 'per-zone $ add up');
    t.ok(Math.abs(sumCharged - s.run.usd.total) < 1e-12, 'per-record charges add up');
    if (!freeTier) t.ok(Math.abs(sumStandalone - s.run.usd.total) < 1e-12, 'below the first tier bound, invocationCost agrees');
    else t.ok(s.run.usd.total < sumStandalone, 'the free tier lowers the bill');
  }
});

t.test('fault cost: retries, duplicates and cold starts while a fault was active', async (t) => {
  const f = ['az1-down'];
  const records = [
    makeRecord({ faultIds: f }), // a normal warm attempt: costs the fault nothing
    makeRecord({ faultIds: f, attempt: 2, durationMs: 100, billedMs: 100 }),
    makeRecord({ faultIds: f, duplicate: true, durationMs: 100, billedMs: 100 }),
    // A cold start: 166.62 + 128.83 -> 296 ms billed, 129 without INIT, so 167 ms are the INIT share.
    makeRecord({ faultIds: f, cold: true, initMs: 166.62, durationMs: 128.83, billedMs: 296 }),
    makeRecord({ faultIds: f, outcome: 'throttled', billedMs: 0 }),
    makeRecord({ faultIds: ['other'], attempt: 3 }),
    makeRecord({ attempt: 2 }), // no fault active
  ];
  const costs = faultCost(records);
  const c = costs['az1-down']!;
  t.equal(c.attempts, 5);
  t.equal(c.throttles, 1);
  // A 128 MB x 100 ms retry: 0.0125 GB-s x 0.0000166667 = $0.000000208333750 + $0.0000002 = $0.00000040833375.
  t.equal(c.retries.count, 1);
  close(t, c.retries.usd, 4.0833375e-7, 'retry');
  t.equal(c.duplicates.count, 1);
  close(t, c.duplicates.usd, 4.0833375e-7, 'duplicate');
  // INIT share: 128 MB x 167 ms = 0.020875 GB-s x 0.0000166667 = $0.0000003479173625.
  t.equal(c.coldStarts.count, 1);
  t.equal(c.coldStarts.initBilledMs, 167);
  close(t, c.coldStarts.usd, 3.479173625e-7, 'cold start');
  close(t, c.totalUsd, 2 * 4.0833375e-7 + 3.479173625e-7, 'total');
  t.equal(costs['other']!.retries.count, 1);
  t.same(Object.keys(costs).sort(), ['az1-down', 'other']);
});

t.test('keys are bounded: past maxKeys, functions fold into (other) with one warning', async (t) => {
  const warnings: unknown[] = [];
  const logger = { warn: (o: object) => warnings.push(o), error() {}, info() {} };
  const acc = new BillingAccumulator({ maxKeys: 2 }, { logger });
  for (const name of ['a', 'b', 'c', 'd']) acc.add(makeRecord({ functionName: name, zone: 'az1' }));
  const s = acc.snapshot();
  t.same(Object.keys(s.byFunction).sort(), [OTHER_KEY, 'a', 'b']);
  t.equal(s.byFunction[OTHER_KEY]!.attempts, 2);
  t.equal(warnings.length, 1);
});
