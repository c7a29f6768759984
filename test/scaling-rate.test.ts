// Issue 3: Lambda's per-function scaling rate (new environments per 10 s, configurable): a burst of
// cold starts beyond it is throttled with 429 FunctionInvocationRateLimitExceeded, warm invocations
// are not limited, and another function scales independently.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

const SLOW = 'export const handler = async () => { await new Promise((r) => setTimeout(r, 800)); return "done"; };';

t.test('scaling rate 2 per 10 s: of 5 concurrent cold starts, 2 run and 3 are throttled', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--scaling-rate', '2'] });
  t.equal((await deploy(cluster.apiUrl, 'burst', { 'index.mjs': SLOW }, { Timeout: 10 })).status, 201);
  t.equal((await deploy(cluster.apiUrl, 'other', { 'index.mjs': SLOW }, { Timeout: 10 })).status, 201);

  const results = await Promise.all(Array.from({ length: 5 }, () => invoke(cluster.apiUrl, 'burst', {})));
  const throttled = results.filter((r) => r.status === 429);
  t.equal(results.filter((r) => r.status === 200).length, 2, 'two new environments within the rate');
  t.equal(throttled.length, 3, 'three throttled');
  for (const r of throttled) {
    t.equal(r.errorType, 'TooManyRequestsException');
    t.equal(r.json.Reason, 'FunctionInvocationRateLimitExceeded');
  }

  // The two environments now exist: warm invocations take no scaling budget.
  const warm = await Promise.all(Array.from({ length: 2 }, () => invoke(cluster.apiUrl, 'burst', {})));
  t.ok(warm.every((r) => r.status === 200 && r.headers.get('x-zonesim-cold') === 'false'), 'warm invocations are not limited');

  // Each function has its own budget.
  const other = await Promise.all(Array.from({ length: 2 }, () => invoke(cluster.apiUrl, 'other', {})));
  t.ok(other.every((r) => r.status === 200), 'another function scales independently');
});
