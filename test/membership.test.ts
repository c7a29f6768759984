// Issue 2: the coordinator tracks zone nodes per zone with heartbeats; a frozen node is declared
// down, and a node whose link was dropped re-registers by itself and serves again.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

interface ZonesView {
  zones: Array<{ zone: string; health: string; nodes: Array<{ nodeId: string; health: string }> }>;
}

t.test('zones view, failure detection and re-registration', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 3 });
  const zones = async (): Promise<ZonesView> => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as ZonesView;
  const view = await zones();
  t.same(view.zones.map((z) => [z.zone, z.health, z.nodes.length]), [['az-a', 'healthy', 1], ['az-b', 'healthy', 1], ['az-c', 'healthy', 1]]);

  const b = cluster.zoneNodes.find((z) => z.zone === 'az-b')!;
  const frozenAt = Date.now();
  b.handle.signal('SIGSTOP');
  t.teardown(() => b.handle.signal('SIGCONT'));
  await waitFor(async () => (await zones()).zones.find((z) => z.zone === 'az-b')?.health === 'down', 5000, 'az-b to be down');
  const detectedMs = Date.now() - frozenAt;
  t.ok(detectedMs < 3000, `a frozen zone is detected as down (${detectedMs} ms with the default 200 ms x 4 detector)`);

  // Invocations keep flowing on the other zones meanwhile.
  t.equal((await deploy(cluster.apiUrl, 'f', { 'index.mjs': 'export const handler = async () => "ok";' })).status, 201);
  const during = await Promise.all(Array.from({ length: 6 }, () => invoke(cluster.apiUrl, 'f', {})));
  t.ok(during.every((r) => r.status === 200 && r.headers.get('x-zonesim-zone') !== 'az-b'), 'placed on healthy zones only');

  b.handle.signal('SIGCONT');
  await waitFor(async () => (await zones()).zones.every((z) => z.health === 'healthy'), 10_000, 'az-b to re-register');
  t.pass('the thawed node re-registered on its own');
});
