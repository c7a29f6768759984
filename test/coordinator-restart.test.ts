// Issue 4 (durable control plane): functions survive a kill -9 of the coordinator and a restart on
// the same data directory; zone nodes reconnect by themselves.
import t from 'tap';
import { api, deploy, invoke } from './harness/lambda.js';
import { restartableCluster } from './harness/restartable.js';

t.test('functions, versions and aliases survive kill -9 of the coordinator; zone nodes rejoin by themselves', async (t) => {
  const cluster = await restartableCluster(t);
  await cluster.waitForZoneNode();
  t.equal((await deploy(cluster.apiUrl, 'survivor', { 'index.mjs': 'export const handler = async (e) => ({ got: e.n });' }, { Publish: true })).status, 201);
  t.equal((await invoke(cluster.apiUrl, 'survivor', { n: 1 })).json.got, 1);
  const f = '/2015-03-31/functions/survivor';
  t.equal((await api(cluster.apiUrl, 'PUT', `${f}/configuration`, { MemorySize: 256 })).status, 200);
  t.equal((await api(cluster.apiUrl, 'POST', `${f}/versions`, {})).json.Version, '2');
  t.equal((await api(cluster.apiUrl, 'POST', `${f}/aliases`, { Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } } })).status, 201);

  const again = await cluster.killAndRestartCoordinator();
  t.equal(again, cluster.apiUrl, 'restarted on the same address');
  const listed = await api(again, 'GET', '/2015-03-31/functions');
  t.same(listed.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['survivor'], 'the function is still there');
  await cluster.waitForZoneNode();
  const res = await invoke(again, 'survivor', { n: 2 });
  t.equal(res.status, 200, res.text);
  t.equal(res.json.got, 2, 'and it runs after the restart');
  const versions = await api(again, 'GET', `${f}/versions`);
  t.same(versions.json.Versions.map((v: { Version: string; MemorySize: number }) => [v.Version, v.MemorySize]), [['$LATEST', 256], ['1', 128], ['2', 256]], 'versions survived');
  const alias = await api(again, 'GET', `${f}/aliases/live`);
  t.same([alias.json.FunctionVersion, alias.json.RoutingConfig], ['2', { AdditionalVersionWeights: { '1': 0.5 } }], 'the alias and its weights survived');
  t.equal((await invoke(again, 'survivor:live', { n: 3 })).json.got, 3);
  t.equal((await api(again, 'POST', `${f}/versions`, {})).json.Version, '2', 'publishing without a change still returns version 2 after the restart');
});
