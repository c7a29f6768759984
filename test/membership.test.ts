// Issue 2: the coordinator tracks zone nodes per zone with heartbeats; a frozen node is declared
// down, and a node whose link was dropped re-registers by itself and serves again.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';
import { runZonesim } from './harness/cli.js';

interface ZonesView {
  zones: Array<{ zone: string; health: string; nodes: Array<{ nodeId: string; health: string }> }>;
}

t.test('zones view, failure detection and re-registration', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 3 });
  const zones = async (): Promise<ZonesView> => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as ZonesView;
  const view = await zones();
  t.same(view.zones.map((z) => [z.zone, z.health, z.nodes.length]), [['az-a', 'healthy', 1], ['az-b', 'healthy', 1], ['az-c', 'healthy', 1]]);

  const cli = await runZonesim(['zones', '--endpoint-url', cluster.apiUrl]);
  t.equal(cli.code, 0, cli.stderr);
  for (const zone of ['az-a', 'az-b', 'az-c']) t.match(cli.stdout, new RegExp(`${zone}\\s+healthy\\s+${zone}-node-1\\s+healthy`), `zonesim zones shows ${zone}`);

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

t.test('a node back from a lost link keeps its warm environments and drops stale ones', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const zones = async (): Promise<any> => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json;
  for (const name of ['keep', 'gone']) {
    t.equal((await deploy(cluster.apiUrl, name, { 'index.mjs': 'export const handler = async () => "ok";' })).status, 201);
    t.equal((await invoke(cluster.apiUrl, name, {})).headers.get('x-zonesim-cold'), 'true');
  }
  const node = cluster.zoneNodes[0]!;
  node.handle.signal('SIGSTOP');
  t.teardown(() => node.handle.signal('SIGCONT'));
  await waitFor(async () => (await zones()).zones[0].health === 'down', 5000, 'the node to be down');
  t.equal((await api(cluster.apiUrl, 'DELETE', '/2015-03-31/functions/gone')).status, 204, 'deleted while the node is away');
  node.handle.signal('SIGCONT');
  await waitFor(async () => (await zones()).zones[0].health === 'healthy', 10_000, 'the node to re-register');
  await waitFor(async () => (await zones()).zones[0].nodes[0].idleEnvironments === 1, 5000, 'only the live function\'s environment counted');
  const again = await invoke(cluster.apiUrl, 'keep', {});
  t.equal(again.headers.get('x-zonesim-cold'), 'false', 'the kept warm environment serves after the reconnect');
  const logFile = `${cluster.dataDir}/logs/az-a-node-1.log`;
  await waitFor(async () => /dropped stale environments/.test(await readFile(logFile, 'utf8')), 5000, 'the node to drop the stale environment');
  t.pass('the node was told to drop the deleted function\'s environment');
});
