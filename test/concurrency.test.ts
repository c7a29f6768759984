// Issue 2, must show: concurrent invocations of one function get separate environments, never two
// at once in one; placement spreads new environments over zones.
import t from 'tap';
import { barrier } from './harness/barrier.js';
import { testCluster } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

const SLOW = {
  'index.mjs': `
let busy = false;
let served = 0;
export const handler = async (event) => {
  if (busy) return { doubleBooked: true };
  busy = true;
  served += 1;
  if (event.barrier) await (await fetch(event.barrier)).text();
  else await new Promise((r) => setTimeout(r, event.ms));
  busy = false;
  return { doubleBooked: false, served };
};
`,
};

t.test('concurrent invocations get separate environments across zones', async (t) => {
  // Nine cold starts at once fork nine runtimes on a 2-core machine that may be running another
  // test's cluster too: a zone node's loop can stall for most of the default 800 ms detection
  // window. This test is about environments and spread, not detection, so the window is wider.
  const cluster = await testCluster(t, { zoneCount: 3, zoneArgs: ['--max-environments', '4'], coordinatorArgs: ['--miss-limit', '10'] });
  t.equal((await deploy(cluster.apiUrl, 'slow', SLOW, { Timeout: 10 })).status, 201);

  // All nine hold their environments until all nine run, so none can be reused within the burst.
  const N = 9;
  const gate = await barrier(t, N);
  const burst = await Promise.all(Array.from({ length: N }, () => invoke(cluster.apiUrl, 'slow', { barrier: gate })));
  for (const r of burst) {
    t.equal(r.status, 200, r.text);
    t.equal(r.json.doubleBooked, false);
  }
  const envs = new Set(burst.map((r) => r.headers.get('x-zonesim-environment')));
  t.equal(envs.size, N, 'each concurrent invocation had its own environment');
  const perZone = new Map<string, number>();
  for (const r of burst) perZone.set(r.headers.get('x-zonesim-zone')!, (perZone.get(r.headers.get('x-zonesim-zone')!) ?? 0) + 1);
  t.same([...perZone.keys()].sort(), ['az-a', 'az-b', 'az-c'], 'new environments spread over every zone');
  for (const [zone, n] of perZone) t.equal(n, 3, `zone ${zone} got an even share`);

  // A second burst reuses the warm environments: no cold start, and still no double booking.
  const again = await Promise.all(Array.from({ length: N }, () => invoke(cluster.apiUrl, 'slow', { ms: 100 })));
  t.equal(again.filter((r) => r.headers.get('x-zonesim-cold') === 'true').length, 0, 'all warm');
  t.equal(again.filter((r) => r.json.doubleBooked).length, 0);
  t.ok(again.every((r) => envs.has(r.headers.get('x-zonesim-environment'))), 'the same environments served them');
});

t.test('more concurrent invocations than capacity wait, then run; none double-booked', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: ['--max-environments', '2'] });
  t.equal((await deploy(cluster.apiUrl, 'slow', SLOW, { Timeout: 10 })).status, 201);
  const results = await Promise.all(Array.from({ length: 6 }, () => invoke(cluster.apiUrl, 'slow', { ms: 200 })));
  t.ok(results.every((r) => r.status === 200 && r.json.doubleBooked === false), 'all ran, one at a time per environment');
  t.equal(new Set(results.map((r) => r.headers.get('x-zonesim-environment'))).size, 2, 'never more than capacity');
});
