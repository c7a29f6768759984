// Issue 5: the coordinator's invocation ledger. Every attempt is one NDJSON record on disk; the
// ledger's counts equal what the test (acting as the load runner) sent, its billed durations add up
// to the billing totals, and /zonesim/v1/stats and /metrics report the same numbers.
import { join } from 'node:path';
import t from 'tap';
import { BillingAccumulator, readLedger, type LedgerRecord } from '@zonesim/ledger';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const HANDLER = 'export const handler = async (e) => { if (e.fail) throw new Error("asked to fail"); return { ok: e.n }; };';

t.test('every attempt is recorded once, counts match what was sent, billed time adds up', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 2 });
  t.equal((await deploy(cluster.apiUrl, 'led', { 'index.mjs': HANDLER }, { MemorySize: 256 })).status, 201);
  t.equal((await deploy(cluster.apiUrl, 'shut', { 'index.mjs': HANDLER })).status, 201);
  t.equal((await api(cluster.apiUrl, 'PUT', '/2017-10-31/functions/shut/concurrency', { ReservedConcurrentExecutions: 0 })).status, 200);

  // What the "runner" sends: 24 sync successes, 6 sync function errors, 3 throttled, 8 async events.
  const sent = { success: 24, functionError: 6, throttled: 3, async: 8 };
  for (let i = 0; i < sent.success; i++) t.equal((await invoke(cluster.apiUrl, 'led', { n: i })).status, 200);
  for (let i = 0; i < sent.functionError; i++) {
    const r = await invoke(cluster.apiUrl, 'led', { fail: true });
    t.equal(r.headers.get('x-amz-function-error'), 'Unhandled');
  }
  for (let i = 0; i < sent.throttled; i++) t.equal((await invoke(cluster.apiUrl, 'shut', {})).status, 429);
  for (let i = 0; i < sent.async; i++) {
    t.equal((await invoke(cluster.apiUrl, 'led', { n: 100 + i }, { 'x-amz-invocation-type': 'Event' })).status, 202);
  }
  await waitFor(async () => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/async')).json.queue.completed >= sent.async, 30_000, 'async events done');

  const total = sent.success + sent.functionError + sent.throttled + sent.async;
  let stats: any;
  await waitFor(async () => {
    stats = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/stats')).json;
    return stats.invocations.records >= total;
  }, 10_000, 'stats show every attempt');
  t.equal(stats.invocations.records, total, 'one record per attempt');
  t.equal(stats.invocations.byOutcome.success, sent.success + sent.async);
  t.equal(stats.invocations.byOutcome['function-error'], sent.functionError);
  t.equal(stats.invocations.byOutcome.throttled, sent.throttled);
  t.ok(stats.invocations.latencyMs.endToEnd.count >= sent.success, 'latency recorded');
  t.ok(stats.billing.usd.total > 0, 'the run has a cost');

  const metrics = (await api(cluster.apiUrl, 'GET', '/metrics')).text;
  const sum = (pattern: RegExp) =>
    metrics.split('\n').filter((l) => pattern.test(l)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  t.equal(sum(/^zonesim_invocations_total\{/), total, 'Prometheus counts every attempt');
  t.equal(sum(/^zonesim_throttles_total\{function="shut",reason="ReservedFunctionConcurrentInvocationLimitExceeded"\}/), sent.throttled);
  t.match(metrics, /zonesim_zone_up\{zone="az-a"\} 1/);
  t.match(metrics, /# TYPE zonesim_invocation_phase_seconds histogram/);

  // Stop gracefully: the ledger is flushed, then read back from disk.
  await cluster.stop();
  const records: LedgerRecord[] = [];
  for await (const r of readLedger(join(cluster.dataDir, 'coordinator', 'ledger'))) records.push(r);
  t.equal(records.length, total, 'the files hold every attempt');
  t.equal(new Set(records.map((r) => `${r.requestId}/${r.attempt}`)).size, total, 'no attempt twice');
  t.equal(records.filter((r) => r.invocationType === 'Event').length, sent.async);
  t.equal(records.filter((r) => r.outcome === 'throttled' && r.throttleReason === 'ReservedFunctionConcurrentInvocationLimitExceeded').length, sent.throttled);
  const ran = records.filter((r) => r.outcome === 'success' || r.outcome === 'function-error');
  t.ok(ran.every((r) => r.zone && r.environmentId && r.execStartAt !== undefined && r.billedMs >= 1 && r.memoryMb === 256));
  t.ok(ran.some((r) => r.cold === true) && ran.some((r) => r.cold === false), 'cold and warm attempts');
  t.ok(records.filter((r) => r.cold).every((r) => r.initMs !== undefined && r.initStartAt !== undefined), 'cold starts carry INIT timings');

  const billing = new BillingAccumulator({});
  for (const r of records) billing.add(r);
  const billedSum = records.reduce((n, r) => n + r.billedMs, 0);
  t.equal(billing.run().billedMs, billedSum, 'billed durations add up to the billing total');
  t.equal(stats.billing.billedMs, billedSum, 'the live bill saw the same billed time');
  t.equal(billing.run().requests, sent.success + sent.functionError + sent.async, 'throttles are not billed requests');
});
