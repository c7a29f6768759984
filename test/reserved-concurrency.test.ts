// Issue 3: reserved concurrency 2 with 5 concurrent slow invokes: exactly 3 get 429 with
// ReservedFunctionConcurrentInvocationLimitExceeded; account settings show the unreserved pool.
import t from 'tap';
import {
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  InvalidParameterValueException,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { testCluster } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';

t.test('reserved concurrency caps a function with the right 429 reason', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  t.equal((await deploy(cluster.apiUrl, 'slow', { 'index.mjs': 'export const handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; };' }, { Timeout: 10 })).status, 201);

  const put = await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 2 }));
  t.equal(put.ReservedConcurrentExecutions, 2);
  t.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'slow' }))).ReservedConcurrentExecutions, 2);
  const settings = await lambda.send(new GetAccountSettingsCommand({}));
  t.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);
  t.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, 998);
  t.equal(settings.AccountUsage?.FunctionCount, 1);
  await t.rejects(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 950 })), InvalidParameterValueException, 'at least 100 stay unreserved');

  const results = await Promise.all(Array.from({ length: 5 }, () => invoke(cluster.apiUrl, 'slow', {})));
  const throttled = results.filter((r) => r.status === 429);
  t.equal(results.filter((r) => r.status === 200).length, 2, 'two ran');
  t.equal(throttled.length, 3, 'exactly three were throttled');
  for (const r of throttled) {
    t.equal(r.errorType, 'TooManyRequestsException');
    t.equal(r.json.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  }

  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'slow' }));
  const after = await Promise.all(Array.from({ length: 5 }, () => invoke(cluster.apiUrl, 'slow', {})));
  t.ok(after.every((r) => r.status === 200), 'without the reservation all five run');
});
