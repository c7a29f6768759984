import t from 'tap';
import { billedDurationMs, invocationCost, isInitBilled, provisionedConcurrencyCost } from './billing.js';
import { defaultPriceTable } from './prices.js';
import { close, makeRecord, T0 } from './test-util/records.js';

t.test('billed duration rounds up to 1 ms', async (t) => {
  t.equal(billedDurationMs(100.4, undefined, { initBilled: true }), 101);
  t.equal(billedDurationMs(100, undefined, { initBilled: true }), 100, 'an exact ms is not rounded up');
  t.equal(billedDurationMs(0.01, undefined, { initBilled: true }), 1);
  t.equal(billedDurationMs(0, undefined, { initBilled: true }), 0);
  // 99.3 + 0.7 is 100.00000000000001 in floating point; summing in microseconds keeps it at 100.
  t.equal(billedDurationMs(99.3, 0.7, { initBilled: true }), 100);
  // lambda-facts 3.4: init 166.62 + duration 128.83 = 295.45 -> 296 ms; without INIT 128.83 -> 129.
  t.equal(billedDurationMs(128.83, 166.62, { initBilled: true }), 296);
  t.equal(billedDurationMs(128.83, 166.62, { initBilled: false }), 129);
  // lambda-facts 3.4 [obs]: init 1293.83 + duration 1049.63 = 2343.46 -> 2344.
  t.equal(billedDurationMs(1049.63, 1293.83, { initBilled: true }), 2344);
  t.equal(billedDurationMs(100.4, undefined, { initBilled: true, granularityMs: 100 }), 200, 'the pre-2020 100 ms rounding');
  t.throws(() => billedDurationMs(-1, undefined, { initBilled: true }), RangeError);
  t.throws(() => billedDurationMs(1, Number.NaN, { initBilled: true }), RangeError);
});

t.test('INIT is billed for on-demand since Aug 1 2025, always for Image and provided.*, never in a PC invocation', async (t) => {
  const before = Date.UTC(2025, 6, 31, 23, 59, 59);
  const after = Date.UTC(2025, 7, 1);
  const zip = { packageType: 'Zip' as const, runtime: 'nodejs20.x' };
  t.equal(isInitBilled({ ...zip, receivedAt: before }), false, 'Zip managed runtime before the change');
  t.equal(isInitBilled({ ...zip, receivedAt: after }), true, 'Zip managed runtime from Aug 1 2025');
  t.equal(isInitBilled({ packageType: 'Image', runtime: 'nodejs20.x', receivedAt: before }), true, 'container image');
  t.equal(isInitBilled({ packageType: 'Zip', runtime: 'provided.al2023', receivedAt: before }), true, 'custom runtime');
  t.equal(isInitBilled({ ...zip, receivedAt: after, provisioned: true }), false, 'PC: INIT ran at allocation');
});

t.test('hand-computed on-demand invocations (us-east-1 x86_64 tier 1 = $0.0000166667 / GB-s)', async (t) => {
  // 128 MB, 100.4 ms -> 101 ms billed. GB-s = 128/1024 x 0.101 = 0.012625.
  // duration = 0.012625 x 0.0000166667 = $0.0000002104170875; request = $0.0000002.
  const small = invocationCost(makeRecord({ memoryMb: 128, durationMs: 100.4, billedMs: billedDurationMs(100.4, undefined, { initBilled: true }) }));
  t.equal(small.billedMs, 101);
  close(t, small.gbSeconds, 0.012625, 'GB-s');
  close(t, small.durationUsd, 2.104170875e-7, 'duration');
  close(t, small.requestsUsd, 2e-7, 'request');
  close(t, small.totalUsd, 4.104170875e-7, 'total');

  // 1769 MB (1 vCPU), 1000 ms: GB-s = 1769/1024 = 1.7275390625; x 0.0000166667 = $0.00002879237529296875.
  const vcpu = invocationCost(makeRecord({ memoryMb: 1769, durationMs: 1000, billedMs: 1000 }));
  close(t, vcpu.gbSeconds, 1.7275390625, 'GB-s');
  close(t, vcpu.durationUsd, 0.00002879237529296875, 'duration');
  // 1769 MB, 1 ms: a thousandth of that, $0.00000002879237529296875.
  close(t, invocationCost(makeRecord({ memoryMb: 1769, durationMs: 0.3, billedMs: 1 })).durationUsd, 2.879237529296875e-8, '1 ms');

  // 10240 MB for the 900 s maximum: 10 GB x 900 s = 9000 GB-s x 0.0000166667 = $0.1500003.
  const max = invocationCost(makeRecord({ memoryMb: 10240, durationMs: 900_000, billedMs: 900_000 }));
  close(t, max.gbSeconds, 9000, 'GB-s');
  close(t, max.durationUsd, 0.1500003, 'duration');
});

t.test('INIT on-demand is in the duration charge: 166.62 + 128.83 -> 296 ms', async (t) => {
  // 128 MB x 0.296 s = 0.037 GB-s x 0.0000166667 = $0.000000616667900.
  const billedMs = billedDurationMs(128.83, 166.62, { initBilled: isInitBilled({ packageType: 'Zip', runtime: 'nodejs22.x', receivedAt: T0 }) });
  t.equal(billedMs, 296);
  const cost = invocationCost(makeRecord({ cold: true, initMs: 166.62, durationMs: 128.83, billedMs }));
  close(t, cost.durationUsd, 6.166679e-7, 'duration');
});

t.test('arm64 rates: 512 MB x 1000 ms = 0.5 GB-s x 0.0000133334 = $0.0000066667', async (t) => {
  const cost = invocationCost(makeRecord({ architecture: 'arm64', memoryMb: 512, durationMs: 1000, billedMs: 1000 }));
  close(t, cost.durationUsd, 0.0000066667, 'duration');
  close(t, cost.requestsUsd, 2e-7, 'requests are the same price on arm64');
});

t.test('tier placement by prior usage, split across a bound', async (t) => {
  // 1024 MB x 1000 ms = 1 GB-s starting 0.5 GB-s below the 6 B bound:
  // 0.5 x 0.0000166667 + 0.5 x 0.000015 = $0.00001583335.
  const cost = invocationCost(makeRecord({ memoryMb: 1024, durationMs: 1000, billedMs: 1000 }), defaultPriceTable(), {
    priorGbSeconds: 6e9 - 0.5,
  });
  close(t, cost.durationUsd, 0.00001583335, 'split duration');
  const tier3 = invocationCost(makeRecord({ memoryMb: 1024, durationMs: 1000, billedMs: 1000 }), defaultPriceTable(), { priorGbSeconds: 2e10 });
  close(t, tier3.durationUsd, 0.0000133334, 'past 15 B GB-s: tier 3');
});

t.test('attempts that never ran cost nothing; function errors and timeouts are billed', async (t) => {
  const throttled = invocationCost(makeRecord({ outcome: 'throttled', errorType: 'TooManyRequestsException', billedMs: 0 }));
  t.same([throttled.totalUsd, throttled.billedMs, throttled.gbSeconds], [0, 0, 0]);
  t.equal(invocationCost(makeRecord({ outcome: 'service-error', billedMs: 0 })).totalUsd, 0);
  t.equal(invocationCost(makeRecord({ outcome: 'lost', billedMs: 0 })).totalUsd, 0, 'lost before any report');
  const timeout = invocationCost(makeRecord({ outcome: 'function-error', errorType: 'Sandbox.Timedout', durationMs: 3000, billedMs: 3000 }));
  // 128 MB x 3 s = 0.375 GB-s x 0.0000166667 = $0.0000062500125 + request $0.0000002.
  close(t, timeout.totalUsd, 0.0000064500125, 'timeout billed');
});

t.test('ephemeral storage above 512 MB', async (t) => {
  // 10240 MB /tmp: (10240 - 512) / 1024 = 9.5 GB x 1 s = 9.5 GB-s x 0.0000000309 = $0.00000029355.
  const cost = invocationCost(makeRecord({ memoryMb: 1024, ephemeralStorageMb: 10240, durationMs: 1000, billedMs: 1000 }));
  close(t, cost.ephemeralUsd, 2.9355e-7, 'ephemeral');
  t.equal(invocationCost(makeRecord({ ephemeralStorageMb: 512 })).ephemeralUsd, 0, 'the included 512 MB is free');
});

t.test('provisioned concurrency: 2 x 1024 MB for 7 minutes bills 10 minutes', async (t) => {
  // 7 min rounds up to 10 min = 600 s; 2 x 1 GB x 600 s = 1200 GB-s x 0.0000041667 = $0.00500004.
  const alloc = { memoryMb: 1024, architecture: 'x86_64' as const, count: 2, enabledAt: T0, disabledAt: T0 + 7 * 60_000 };
  const cost = provisionedConcurrencyCost(alloc);
  t.equal(cost.billedSeconds, 600);
  close(t, cost.gbSeconds, 1200, 'GB-s');
  close(t, cost.usd, 0.00500004, 'allocation');
  t.equal(provisionedConcurrencyCost({ ...alloc, disabledAt: T0 + 5 * 60_000 }).billedSeconds, 300, 'exactly 5 minutes');
  t.equal(provisionedConcurrencyCost({ ...alloc, disabledAt: T0 + 5 * 60_000 + 1 }).billedSeconds, 600, '5 minutes and 1 ms');
  // arm64: 1200 GB-s x 0.0000033334 = $0.00400008.
  close(t, provisionedConcurrencyCost({ ...alloc, architecture: 'arm64' }).usd, 0.00400008, 'arm64 allocation');
  t.throws(() => provisionedConcurrencyCost({ ...alloc, disabledAt: T0 - 1 }), RangeError);

  // An invocation on a PC environment: 1024 MB x 200 ms = 0.2 GB-s x 0.0000097222 = $0.00000194444 (not tier 1).
  const onPc = invocationCost(makeRecord({ provisioned: true, memoryMb: 1024, durationMs: 200, billedMs: 200 }));
  t.equal(onPc.provisioned, true);
  close(t, onPc.durationUsd, 0.00000194444, 'PC duration rate');
});
