// Issue 9: one dashboard tick folds any number of records into counts per zone, p50/p99 from a
// bounded sample and a few failed ids; taking it starts the next tick.
import t from 'tap';
import { NO_ZONE, TickAggregator } from './tick-aggregator.js';
import { record } from './test-util/records.js';

t.test('counts per zone and in total, percentiles of what ran, failed ids, then a fresh tick', async (t) => {
  const agg = new TickAggregator(0);
  for (let i = 1; i <= 100; i++) agg.add(record({ requestId: `ok-${i}`, receivedAt: 0, respondedAt: i }), 'az-a', false);
  agg.add(record({ requestId: 'cold', cold: true, zone: 'az-b', receivedAt: 0, respondedAt: 500 }), 'az-b', false);
  agg.add(record({ requestId: 'err', outcome: 'function-error', zone: 'az-b', receivedAt: 0, respondedAt: 50 }), 'az-b', false);
  agg.add(record({ requestId: 'thr', outcome: 'throttled', zone: undefined, billedMs: 0, receivedAt: 0, respondedAt: 1 }), undefined, false);
  agg.add(record({ requestId: 'lost', outcome: 'lost', zone: undefined, billedMs: 0, attempt: 2 }), 'az-b', true);

  const tick = agg.take(500, { asyncQueued: 3, deadLetters: 1, costUsd: 0.25 });
  t.equal(tick.spanMs, 500);
  t.same(tick.zones['az-a'], { invocations: 100, errors: 0, throttles: 0, coldStarts: 0, p50Ms: 50, p99Ms: 99 });
  t.same({ ...tick.zones['az-b'], p50Ms: undefined, p99Ms: undefined }, { invocations: 3, errors: 2, throttles: 0, coldStarts: 1, p50Ms: undefined, p99Ms: undefined });
  t.equal(tick.zones[NO_ZONE]?.throttles, 1, 'a throttle never placed counts under (none)');
  t.equal(tick.zones[NO_ZONE]?.p50Ms, null, 'throttles do not make latency');
  t.same(
    { ...tick.total, p50Ms: undefined, p99Ms: undefined },
    { invocations: 104, errors: 2, throttles: 1, coldStarts: 1, successes: 101, retries: 1, failovers: 1, duplicates: 0, p50Ms: undefined, p99Ms: undefined },
  );
  t.same(tick.failed, ['err', 'thr', 'lost'], 'failed attempts are offered for explaining');
  t.same([tick.asyncQueued, tick.deadLetters, tick.costUsd], [3, 1, 0.25]);

  const next = agg.take(1000, { asyncQueued: null, deadLetters: null, costUsd: 0.25 });
  t.same(next.zones, {}, 'the next tick starts empty');
  t.equal(next.total.invocations, 0);
  t.equal(next.spanMs, 500);
});

t.test('memory stays bounded however many records a tick gets', async (t) => {
  const agg = new TickAggregator(0, () => 0.5);
  for (let i = 0; i < 50_000; i++) agg.add(record({ requestId: `r${i}`, outcome: i % 2 ? 'success' : 'service-error', receivedAt: 0, respondedAt: i % 1000 }), `az-${i % 100}`, false);
  const tick = agg.take(1, { asyncQueued: null, deadLetters: null, costUsd: 0 });
  t.equal(tick.total.invocations, 50_000);
  t.equal(tick.failed.length, 5, 'at most 5 failed ids');
  t.ok(Object.keys(tick.zones).length <= 65, `${Object.keys(tick.zones).length} zone entries (64 and (other))`);
  t.equal(tick.zones['(other)']?.invocations, 50_000 - 64 * 500, 'zones past the bound share (other)');
});
