// Issue 4 (durable control plane): functions survive a kill -9 of the coordinator and a restart on
// the same data directory; zone nodes reconnect by themselves.
import t from 'tap';
import { api, deploy, invoke } from './harness/lambda.js';
import { restartableCluster } from './harness/restartable.js';

t.test('functions survive kill -9 of the coordinator; zone nodes rejoin by themselves', async (t) => {
  const cluster = await restartableCluster(t);
  await cluster.waitForZoneNode();
  t.equal((await deploy(cluster.apiUrl, 'survivor', { 'index.mjs': 'export const handler = async (e) => ({ got: e.n });' })).status, 201);
  t.equal((await invoke(cluster.apiUrl, 'survivor', { n: 1 })).json.got, 1);

  const again = await cluster.killAndRestartCoordinator();
  t.equal(again, cluster.apiUrl, 'restarted on the same address');
  const listed = await api(again, 'GET', '/2015-03-31/functions');
  t.same(listed.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['survivor'], 'the function is still there');
  await cluster.waitForZoneNode();
  const res = await invoke(again, 'survivor', { n: 2 });
  t.equal(res.status, 200, res.text);
  t.equal(res.json.got, 2, 'and it runs after the restart');
});
