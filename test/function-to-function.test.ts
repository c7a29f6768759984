// Issue 3: inside an environment, AWS_ENDPOINT_URL_LAMBDA, a region and dummy credentials point at
// the coordinator, so a handler invokes other functions through the platform.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

t.test('a function invokes another through the platform', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 2 });
  t.equal((await deploy(cluster.apiUrl, 'callee', { 'index.mjs': 'export const handler = async (e) => ({ doubled: e.n * 2 });' })).status, 201);
  t.equal((await deploy(cluster.apiUrl, 'caller', {
    'index.mjs': `export const handler = async (e) => {
      const res = await fetch(process.env.AWS_ENDPOINT_URL_LAMBDA + '/2015-03-31/functions/callee/invocations', { method: 'POST', body: JSON.stringify({ n: e.n }) });
      return { status: res.status, fromCallee: await res.json(), region: process.env.AWS_REGION, hasKey: Boolean(process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) };
    };`,
  }, { Timeout: 10 })).status, 201);
  const res = await invoke(cluster.apiUrl, 'caller', { n: 21 });
  t.equal(res.status, 200, res.text);
  t.same(res.json, { status: 200, fromCallee: { doubled: 42 }, region: 'us-east-1', hasKey: true });
});
