// Issue 4: on-success and on-failure destinations (another function) carrying Lambda's destination
// record, and per-function async settings through FunctionEventInvokeConfig.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { testCluster, tempDir, HOST_SINK_ZONE_ARGS } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';

t.test('destinations receive Lambda records; settings come from the event invoke config', async (t) => {
  const sink = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--time-scale', '3600'], zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const vars = { Environment: { Variables: { SINK_DIR: sink } } };
  // The destination writes each record it receives to a file named after the source request.
  t.equal((await deploy(cluster.apiUrl, 'collector', {
    'index.mjs': `import { writeFileSync } from 'node:fs';
export const handler = async (record) => { writeFileSync(process.env.SINK_DIR + '/' + record.requestContext.requestId + '.json', JSON.stringify(record)); };`,
  }, vars)).status, 201);
  t.equal((await deploy(cluster.apiUrl, 'worker', {
    'index.mjs': `import { appendFileSync } from 'node:fs';
export const handler = async (event, context) => {
  appendFileSync(process.env.SINK_DIR + '/attempts-' + context.awsRequestId, 'x');
  if (event.fail) throw new Error('asked to fail');
  return { done: event.n };
};`,
  }, vars)).status, 201);

  const missing = await api(cluster.apiUrl, 'GET', '/2019-09-25/functions/worker/event-invoke-config');
  t.equal(missing.status, 404);
  t.equal(missing.errorType, 'ResourceNotFoundException');
  const bad = await api(cluster.apiUrl, 'PUT', '/2019-09-25/functions/worker/event-invoke-config', { MaximumRetryAttempts: 5 });
  t.equal(bad.status, 400);
  const put = await api(cluster.apiUrl, 'PUT', '/2019-09-25/functions/worker/event-invoke-config', {
    MaximumRetryAttempts: 1,
    DestinationConfig: { OnSuccess: { Destination: `${ARN}collector` }, OnFailure: { Destination: `${ARN}collector` } },
  });
  t.equal(put.status, 200, put.text);
  t.equal(put.json.MaximumRetryAttempts, 1);
  t.equal(put.json.DestinationConfig.OnFailure.Destination, `${ARN}collector`);
  const got = await api(cluster.apiUrl, 'GET', '/2019-09-25/functions/worker/event-invoke-config');
  t.equal(got.json.FunctionArn, `${ARN}worker:$LATEST`);

  const ok = await invoke(cluster.apiUrl, 'worker', { n: 7 }, { 'x-amz-invocation-type': 'Event' });
  const okId = ok.headers.get('x-amzn-requestid')!;
  const failing = await invoke(cluster.apiUrl, 'worker', { fail: true }, { 'x-amz-invocation-type': 'Event' });
  const failId = failing.headers.get('x-amzn-requestid')!;
  const recordOf = async (id: string) => JSON.parse(await readFile(join(sink, `${id}.json`), 'utf8'));
  await waitFor(() => existsSync(join(sink, `${okId}.json`)) && existsSync(join(sink, `${failId}.json`)), 15_000, 'both records at the destination');

  const success = await recordOf(okId);
  t.equal(success.version, '1.0');
  t.equal(success.requestContext.condition, 'Success');
  t.equal(success.requestContext.approximateInvokeCount, 1);
  t.same(success.requestPayload, { n: 7 });
  t.same(success.responsePayload, { done: 7 });
  t.equal(success.responseContext.statusCode, 200);

  const failure = await recordOf(failId);
  t.equal(failure.requestContext.condition, 'RetriesExhausted');
  t.equal(failure.requestContext.approximateInvokeCount, 2, 'MaximumRetryAttempts 1: one attempt and one retry');
  t.equal(failure.responseContext.functionError, 'Unhandled');
  t.equal(failure.responsePayload.errorType, 'Error');
  t.equal((await readFile(join(sink, `attempts-${failId}`), 'utf8')).length, 2);

  const del = await api(cluster.apiUrl, 'DELETE', '/2019-09-25/functions/worker/event-invoke-config');
  t.equal(del.status, 204);
});
