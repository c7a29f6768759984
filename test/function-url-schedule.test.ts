// Issue 7: function URLs round-trip status, headers, cookies and a binary body through the payload
// format 2.0 event; Lambda's URL config API (through @aws-sdk/client-lambda); a cron schedule fires
// at the right scaled minutes.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import t from 'tap';
import { CreateFunctionUrlConfigCommand, GetFunctionUrlConfigCommand, LambdaClient, ListFunctionUrlConfigsCommand, UpdateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { readLedger } from '@zonesim/ledger';
import { testCluster, tempDir, HOST_SINK_ZONE_ARGS } from './harness/cluster.js';
import { api, deploy } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** Echoes the request: the body reversed (binary), the method, path, query and cookies in headers. */
const ECHO = `
export const handler = async (event) => {
  if (event.rawPath === '/boom') throw new Error('boom');
  if (event.rawPath === '/plain') return { hello: 'world', path: event.rawPath };
  const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    statusCode: 201,
    headers: {
      'content-type': 'application/octet-stream',
      'x-method': event.requestContext.http.method,
      'x-path': event.rawPath,
      'x-query': event.rawQueryString,
      'x-thing': event.headers['x-thing'] ?? '',
      'x-cookies': (event.cookies ?? []).join('|'),
      'x-base64': String(event.isBase64Encoded),
      'x-domain': event.requestContext.domainName,
    },
    cookies: ['session=abc; Path=/', 'theme=dark'],
    body: Buffer.from([...body].reverse()).toString('base64'),
    isBase64Encoded: true,
  };
};`;

/** A raw HTTP request (so that a Host header and repeated set-cookie can be seen). */
function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

t.test('a function URL round-trips status, headers, cookies and a binary body', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => lambda.destroy());
  t.equal((await deploy(cluster.apiUrl, 'echo', { 'index.mjs': ECHO })).status, 201);

  const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'NONE' }));
  t.equal(created.$metadata.httpStatusCode, 201);
  t.match(created.FunctionUrl, new RegExp(`^${cluster.apiUrl}/zonesim/url/[a-z0-9]{32}/$`));
  t.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:echo');
  t.equal(created.AuthType, 'NONE');
  t.equal(created.InvokeMode, 'BUFFERED');
  const again = await api(cluster.apiUrl, 'POST', '/2021-10-31/functions/echo/url', { AuthType: 'NONE' });
  t.equal(again.status, 409, 'one URL per function and qualifier');
  t.equal((await api(cluster.apiUrl, 'POST', '/2021-10-31/functions/echo/url?Qualifier=1', { AuthType: 'NONE' })).errorType, 'ValidationException', 'no version numbers');
  t.equal((await api(cluster.apiUrl, 'POST', '/2021-10-31/functions/echo/url', {})).errorType, 'ValidationException', 'AuthType is required');
  const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }));
  t.equal(got.FunctionUrl, created.FunctionUrl, 'the URL never changes');
  t.ok(got.LastModifiedTime);
  const updated = await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'echo', Cors: { AllowOrigins: ['https://example.com'], ExposeHeaders: ['x-method'] } }));
  t.same(updated.Cors?.AllowOrigins, ['https://example.com']);
  t.equal((await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'echo' }))).FunctionUrlConfigs?.length, 1);

  const bytes = Buffer.from([0, 1, 2, 250, 251, 255, 10, 13]);
  const res = await http(`${created.FunctionUrl}some/path?b=2&a=1&a=3`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-thing': 'thing', cookie: 'c1=v1; c2=v2', origin: 'https://example.com' },
    body: bytes,
  });
  t.equal(res.status, 201, 'the status the function chose');
  t.equal(res.headers['content-type'], 'application/octet-stream');
  t.equal(res.headers['x-method'], 'PUT');
  t.equal(res.headers['x-path'], '/some/path');
  t.equal(res.headers['x-query'], 'b=2&a=1&a=3');
  t.equal(res.headers['x-thing'], 'thing');
  t.equal(res.headers['x-cookies'], 'c1=v1|c2=v2');
  t.equal(res.headers['x-base64'], 'true', 'a binary request body reaches the function base64-encoded');
  t.same(res.headers['set-cookie'], ['session=abc; Path=/', 'theme=dark'], 'cookies become set-cookie headers');
  t.same([...res.body], [...bytes].reverse(), 'the binary body round-trips');
  t.equal(res.headers['access-control-allow-origin'], 'https://example.com', 'CORS');
  t.equal(res.headers['access-control-expose-headers'], 'x-method');
  t.ok(res.headers['x-amzn-requestid']);

  // Lambda's own host form works through the Host header.
  const id = /url\/([a-z0-9]{32})\//.exec(created.FunctionUrl!)![1]!;
  const byHost = await http(`${cluster.apiUrl}/by-host`, { headers: { host: `${id}.lambda-url.us-east-1.on.aws` } });
  t.equal(byHost.status, 201);
  t.equal(byHost.headers['x-path'], '/by-host');
  t.equal(byHost.headers['x-domain'], `${id}.lambda-url.us-east-1.on.aws`);

  const plain = await http(`${created.FunctionUrl}plain`);
  t.equal(plain.status, 200, 'a result without statusCode is a 200');
  t.equal(plain.headers['content-type'], 'application/json');
  t.same(JSON.parse(plain.body.toString()), { hello: 'world', path: '/plain' });
  t.equal((await http(`${created.FunctionUrl}boom`)).status, 502, 'a function error is a 502');

  // AWS_IAM: an unsigned request is refused.
  await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'echo', AuthType: 'AWS_IAM' }));
  t.equal((await http(`${created.FunctionUrl}x`)).status, 403);
  t.equal((await api(cluster.apiUrl, 'DELETE', '/2021-10-31/functions/echo/url')).status, 204);
  t.equal((await http(`${created.FunctionUrl}x`)).status, 404, 'a deleted URL is gone');
  t.equal((await api(cluster.apiUrl, 'GET', '/2021-10-31/functions/echo/url')).status, 404);

  await cluster.stop();
  let urlRecords = 0;
  for await (const r of readLedger(join(cluster.dataDir, 'coordinator', 'ledger'))) if (r.invocationType === 'FunctionUrl') urlRecords++;
  t.equal(urlRecords, 4, 'every URL invocation is a FunctionUrl ledger record');
});

t.test('a cron schedule fires at the right scaled minutes', async (t) => {
  const sink = await tempDir(t);
  // 600x: a scaled minute lasts 100 ms of real time.
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--time-scale', '600'], zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  t.equal((await deploy(cluster.apiUrl, 'tick', {
    'index.mjs': `import { appendFileSync } from 'node:fs';
export const handler = async (event) => { appendFileSync(process.env.SINK + '/ticks.ndjson', JSON.stringify({ event, at: Date.now() }) + '\\n'); };`,
  }, { Environment: { Variables: { SINK: sink } } })).status, 201);
  const bad = await api(cluster.apiUrl, 'PUT', '/zonesim/v1/schedules/bad', { ScheduleExpression: 'cron(0/2 * * * *)', FunctionName: 'tick' });
  t.equal(bad.status, 400);
  t.match(bad.json.message, /6 fields/);
  const put = await api(cluster.apiUrl, 'PUT', '/zonesim/v1/schedules/every-two', { ScheduleExpression: 'cron(0/2 * * * ? *)', FunctionName: 'tick' });
  t.equal(put.status, 200, put.text);
  t.equal(put.json.State, 'ENABLED');
  t.match(put.json.NextFireAt, /:\d[02468]:00\.000Z$/, 'the next fire is on an even scaled minute');

  const file = join(sink, 'ticks.ndjson');
  const ticks = async () => (existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  await waitFor(async () => (await api(cluster.apiUrl, 'GET', '/zonesim/v1/schedules/every-two')).json.Fires >= 6, 20_000, 'six fires');
  t.equal((await api(cluster.apiUrl, 'DELETE', '/zonesim/v1/schedules/every-two')).status, 204);
  // Each fire is an async event: wait until every accepted one has run.
  await waitFor(async () => {
    const q = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/async')).json.queue;
    return q.queued === 0 && q.inFlight === 0;
  }, 20_000, 'the async queue to drain');
  const got = (await ticks()).sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time));
  const times = got.map((g) => Date.parse(g.event.time));
  for (const g of got) {
    t.match(g.event.time, /^\d{4}-\d\d-\d\dT\d\d:\d[02468]:00Z$/, `${g.event.time}: an even scaled minute, second 0`);
    t.equal(g.event['detail-type'], 'Scheduled Event');
    t.equal(g.event.source, 'aws.events');
    t.same(g.event.resources, ['arn:aws:events:us-east-1:000000000000:rule/every-two']);
  }
  for (let i = 1; i < times.length; i++) t.equal(times[i]! - times[i - 1]!, 120_000, 'consecutive fires two scaled minutes apart');
  t.ok(got.length >= 6, `${got.length} fires, every one delivered`);
  // Two scaled minutes are 200 ms real: the fires take about a second, not twelve minutes.
  const span = got.at(-1)!.at - got[0]!.at;
  t.ok(span < got.length * 200 + 3_000, `${got.length} fires within ${span} ms of real time`);
  const listed = await api(cluster.apiUrl, 'GET', '/zonesim/v1/schedules');
  t.equal(listed.json.TimeScale, 600);
  t.same(listed.json.Schedules, []);
});
