// Issue 2, must show: a real zip with a dependency under node_modules deploys and runs; the second
// invoke is warm and the module's init code ran exactly once; results carry timings and placement;
// logs are framed by Lambda's START / END / REPORT lines.
import t from 'tap';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';

const FILES = {
  'index.mjs': `
import { shout } from 'shouty';
let inits = (globalThis.__inits ?? 0) + 1;
globalThis.__inits = inits;
let calls = 0;
console.log('init running');
export const handler = async (event, context) => {
  calls += 1;
  console.log('event', JSON.stringify(event));
  return {
    text: shout(event.word),
    inits, calls,
    ctx: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remaining: context.getRemainingTimeInMillis(),
    },
    env: {
      name: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      version: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      region: process.env.AWS_REGION,
      handler: process.env._HANDLER,
      taskRoot: process.env.LAMBDA_TASK_ROOT,
      mine: process.env.MY_SETTING,
      leaked: process.env.ZONESIM_CLUSTER_TOKEN ?? null,
    },
  };
};
`,
  'node_modules/shouty/package.json': JSON.stringify({ name: 'shouty', main: 'lib/main.js' }),
  'node_modules/shouty/lib/main.js': `exports.shout = (w) => String(w).toUpperCase() + '!';`,
};

t.test('a zip with node_modules deploys, runs cold then warm, with init once', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const created = await deploy(cluster.apiUrl, 'shout', FILES, {
    MemorySize: 256,
    Timeout: 5,
    Environment: { Variables: { MY_SETTING: 'on' } },
  });
  t.equal(created.status, 201, created.text);
  t.equal(created.json.FunctionName, 'shout');
  t.equal(created.json.State, 'Active');
  t.match(created.json.CodeSha256, /^[A-Za-z0-9+/]{43}=$/);
  t.equal(created.json.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:shout');
  t.match(created.json.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

  const first = await invoke(cluster.apiUrl, 'shout', { word: 'hello' }, { 'x-amz-log-type': 'Tail' });
  t.equal(first.status, 200, first.text);
  // On failure, the whole answer: the payload and zonesim's headers say where and how it ran.
  const seen = `${first.text} ${JSON.stringify(Object.fromEntries([...first.headers].filter(([k]) => k.startsWith('x-'))))}`;
  t.equal(first.headers.get('x-amz-function-error'), null, seen);
  t.equal(first.headers.get('x-amz-executed-version'), '$LATEST');
  t.equal(first.json.text, 'HELLO!');
  t.equal(first.json.inits, 1);
  t.equal(first.json.calls, 1);
  t.equal(first.headers.get('x-zonesim-cold'), 'true', seen);
  t.ok(Number(first.headers.get('x-zonesim-init-ms')) > 0, `cold start reports INIT duration: ${seen}`);
  t.equal(first.headers.get('x-zonesim-zone'), 'az-a');

  const ctx = first.json.ctx ?? {};
  t.equal(ctx.awsRequestId, first.headers.get('x-amzn-requestid'));
  t.equal(ctx.functionName, 'shout');
  t.equal(ctx.functionVersion, '$LATEST');
  t.equal(ctx.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:shout');
  t.equal(ctx.memoryLimitInMB, '256', 'memoryLimitInMB is a string, as in Lambda');
  t.equal(ctx.logGroupName, '/aws/lambda/shout');
  t.match(ctx.logStreamName, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  t.ok(ctx.remaining > 0 && ctx.remaining <= 5000, `getRemainingTimeInMillis within the timeout: ${ctx.remaining}`);
  t.same(first.json.env, {
    name: 'shout', memory: '256', version: '$LATEST', region: 'us-east-1', handler: 'index.handler',
    taskRoot: first.json.env.taskRoot, mine: 'on', leaked: null,
  });

  const log = Buffer.from(first.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
  const requestId = first.headers.get('x-amzn-requestid');
  t.match(log, new RegExp(`START RequestId: ${requestId} Version: \\$LATEST`));
  t.match(log, /\tINFO\tevent \{"word":"hello"\}/);
  t.match(log, new RegExp(`END RequestId: ${requestId}`));
  t.match(log, /REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms/);

  const second = await invoke(cluster.apiUrl, 'shout', { word: 'again' }, { 'x-amz-log-type': 'Tail' });
  t.equal(second.status, 200);
  t.equal(second.json.text, 'AGAIN!');
  t.equal(second.json.inits, 1, 'init code ran exactly once');
  t.equal(second.json.calls, 2, 'the same environment served the second call');
  t.equal(second.headers.get('x-zonesim-cold'), 'false');
  t.equal(second.headers.get('x-zonesim-environment'), first.headers.get('x-zonesim-environment'));
  t.equal(second.headers.get('x-zonesim-init-ms'), null, 'no INIT on a warm start');
  const log2 = Buffer.from(second.headers.get('x-amz-log-result') ?? '', 'base64').toString('utf8');
  t.notMatch(log2, /Init Duration/, 'Init Duration appears on cold starts only');
  const billed = Number(second.headers.get('x-zonesim-billed-ms'));
  const duration = Number(second.headers.get('x-zonesim-duration-ms'));
  // The header shows the duration to 0.01 ms, as REPORT does, while billing rounds the exact duration
  // up: a header of 5.00 may stand for 5.004 ms, billed 6.
  const rounded = new Set([duration - 0.005, duration + 0.005].map((d) => Math.max(1, Math.ceil(d))));
  t.ok(rounded.has(billed), `billed duration ${billed} ms is the duration (${duration} ms, to 0.01 ms) rounded up to 1 ms`);
});

t.test('function lifecycle through the Lambda REST paths', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  t.equal((await deploy(cluster.apiUrl, 'one', FILES)).status, 201);
  const dup = await deploy(cluster.apiUrl, 'one', FILES);
  t.equal(dup.status, 409);
  t.equal(dup.errorType, 'ResourceConflictException');

  const got = await api(cluster.apiUrl, 'GET', '/2015-03-31/functions/one');
  t.equal(got.status, 200);
  t.equal(got.json.Configuration.FunctionName, 'one');
  const zip = await fetch(got.json.Code.Location);
  t.equal(zip.status, 200);
  t.equal(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString(), 'PK', 'Code.Location downloads the zip');

  const conf = await api(cluster.apiUrl, 'GET', '/2015-03-31/functions/one/configuration');
  t.equal(conf.json.Handler, 'index.handler');
  t.equal(conf.json.MemorySize, 128);
  t.equal(conf.json.Timeout, 3);

  const list = await api(cluster.apiUrl, 'GET', '/2015-03-31/functions');
  t.same(list.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['one']);

  const byArn = await invoke(cluster.apiUrl, 'arn:aws:lambda:us-east-1:000000000000:function:one', { word: 'arn' });
  t.equal(byArn.json.text, 'ARN!');

  const missing = await invoke(cluster.apiUrl, 'nope', {});
  t.equal(missing.status, 404);
  t.equal(missing.errorType, 'ResourceNotFoundException');
  t.match(missing.json.Message, /Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope/);

  const notJson = await invoke(cluster.apiUrl, 'one', '{not json');
  t.equal(notJson.status, 400);
  t.equal(notJson.errorType, 'InvalidRequestContentException');

  const dry = await invoke(cluster.apiUrl, 'one', {}, { 'x-amz-invocation-type': 'DryRun' });
  t.equal(dry.status, 204);
  const event = await invoke(cluster.apiUrl, 'one', { word: 'x' }, { 'x-amz-invocation-type': 'Event' });
  t.equal(event.status, 202);

  const tooBig = await invoke(cluster.apiUrl, 'one', JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }));
  t.equal(tooBig.status, 413);
  t.equal(tooBig.errorType, 'RequestTooLargeException');

  const badMemory = await deploy(cluster.apiUrl, 'two', FILES, { MemorySize: 64 });
  t.equal(badMemory.status, 400);
  t.equal(badMemory.errorType, 'ValidationException');
  const reserved = await deploy(cluster.apiUrl, 'two', FILES, { Environment: { Variables: { AWS_REGION: 'x' } } });
  t.equal(reserved.errorType, 'InvalidParameterValueException');

  const del = await api(cluster.apiUrl, 'DELETE', '/2015-03-31/functions/one');
  t.equal(del.status, 204);
  t.equal((await invoke(cluster.apiUrl, 'one', {})).status, 404);
});
