// Issue 2: idle environments are evicted after a configurable keep-alive; the next invocation is cold.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

t.test('an idle environment is evicted after the keep-alive', async (t) => {
  // Lambda's observed 10 minutes, at a time scale of 2000: 300 ms.
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: ['--keep-alive-ms', '600000', '--time-scale', '2000'] });
  t.equal((await deploy(cluster.apiUrl, 'f', { 'index.mjs': 'export const handler = async () => "ok";' })).status, 201);
  const first = await invoke(cluster.apiUrl, 'f', {});
  t.equal(first.headers.get('x-zonesim-cold'), 'true');
  const warm = await invoke(cluster.apiUrl, 'f', {});
  t.equal(warm.headers.get('x-zonesim-cold'), 'false', 'reused within the keep-alive');
  // Wait for the eviction itself (the node reports it to the coordinator), not for a fixed time.
  await waitFor(async () => {
    const view = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json;
    return view.zones[0].nodes[0].idleEnvironments === 0;
  }, 5000, 'the idle environment to be evicted');
  const later = await invoke(cluster.apiUrl, 'f', {});
  t.equal(later.headers.get('x-zonesim-cold'), 'true', 'cold again after the keep-alive');
  t.not(later.headers.get('x-zonesim-environment'), first.headers.get('x-zonesim-environment'));
});
