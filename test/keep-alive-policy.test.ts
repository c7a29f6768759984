// Issue 18: the hybrid-histogram keep-alive policy in real processes. A function called once a
// (scaled) 10 minutes teaches its node the idle time; the node then unloads the environment as each
// call ends and pre-warms a new one ahead of the next, tells the coordinator (environment-ready),
// and the next call, placed on that node among two, finds it warm.
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';

/** One scaled minute in real ms at the cluster's time scale of 600: 100 ms. */
const SCALED_MINUTE_MS = 100;

t.test('hybrid-histogram: unloaded at the end of a call, pre-warmed before the next, which is warm', async (t) => {
  // minSamples 3 (the default 10 would take 10 calls), margin 0.5: the pre-warm comes at half the
  // idle time, leaving a loaded machine time for INIT before the next call.
  const cluster = await testCluster(t, { zoneCount: 2, zoneArgs: ['--keep-alive-policy', 'hybrid-histogram:minSamples=3,margin=0.5', '--time-scale', '600'] });
  t.equal((await deploy(cluster.apiUrl, 'timer', { 'index.mjs': 'export const handler = async () => "tick";' })).status, 201);
  const calls: Array<{ cold: string | null; env: string | null; node: string | null }> = [];
  const call = async () => {
    const r = await invoke(cluster.apiUrl, 'timer', {});
    t.equal(r.status, 200);
    calls.push({ cold: r.headers.get('x-zonesim-cold'), env: r.headers.get('x-zonesim-environment'), node: r.headers.get('x-zonesim-node') });
  };
  // Every 10 scaled minutes (1 s): the first is cold, the next three reuse it (fewer than 3 idle
  // times: the conservative keep-alive of the whole 4-hour range).
  await call();
  for (let i = 0; i < 3; i++) {
    await delay(10 * SCALED_MINUTE_MS);
    await call();
  }
  t.same(calls.map((c) => c.cold), ['true', 'false', 'false', 'false']);
  t.equal(new Set(calls.map((c) => c.env)).size, 1, 'one environment so far');
  // The third idle time made the histogram representative: the environment went as the 4th call
  // ended, and the coordinator no longer counts it.
  const view = async () => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as { zones: Array<{ nodes: Array<{ nodeId: string; idleEnvironments: number }> }> };
  const idle = async () => (await view()).zones.flatMap((z) => z.nodes).reduce((n, node) => n + node.idleEnvironments, 0);
  t.equal(await idle(), 0, 'unloaded as the call ended');
  await delay(10 * SCALED_MINUTE_MS);
  t.equal(await idle(), 1, 'pre-warmed at half the idle time, and announced');
  await call();
  const last = calls.at(-1)!;
  t.equal(last.cold, 'false', 'the next call is warm');
  t.not(last.env, calls[0]!.env, 'in the pre-warmed environment, not the first one');
  t.equal(last.node, calls[0]!.node, 'on the node that pre-warmed it, of two');
});
