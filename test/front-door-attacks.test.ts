// Issue 15, findings 1, 2, 3 and 6, tried as the testers tried them: the signature bypass through a
// function URL's Host or a dot-segment path, web pages driving the API (cross-origin requests, DNS
// rebinding), a non-loopback bind without a key, idle-connection and slowloris floods, malformed
// percent-encodings and a bogus X-Amz-Log-Type.
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import t from 'tap';
import { signRequest } from '@zonesim/coordinator';
import { ZONESIM_BIN } from '@zonesim/cli';
import { buildZip } from '@zonesim/code';
import { testCluster, tempDir } from './harness/cluster.js';
import { runZonesim } from './harness/cli.js';
import { api, deploy } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const KEY = { accessKeyId: 'AKIDFRONTDOOR', secretAccessKey: 'front/door+secret' };
const FAKE_URL_ID = 'a'.repeat(32);
const FAKE_URL_HOST = `${FAKE_URL_ID}.lambda-url.us-east-1.on.aws`;

interface RawAnswer {
  status: number;
  errorType: string | undefined;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request sent exactly as given: the path is not normalised, any Host may be named. */
function raw(baseUrl: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: options.headers ?? {}, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, errorType: res.headers['x-amzn-errortype'] as string | undefined, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function signed(baseUrl: string, method: string, path: string, body: string, headers: Record<string, string> = {}, service = 'lambda'): Promise<RawAnswer> {
  const h = signRequest({ method, url: baseUrl + path, headers, body, credentials: KEY, region: 'us-east-1', service });
  return raw(baseUrl, method, path, { headers: h, body });
}

t.test('finding 1: with a key, no Host or path trick reaches an API route unsigned', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, credentials: KEY });
  const base = cluster.apiUrl;
  const zip = Buffer.from(await buildZip({ 'index.mjs': 'export const handler = async (e) => ({ ran: e });' })).toString('base64');
  const create = (name: string): string => JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/x', Handler: 'index.handler', Code: { ZipFile: zip } });
  t.equal((await signed(base, 'POST', '/2015-03-31/functions', create('victim'), { 'content-type': 'application/json' })).status, 201, 'the owner deploys, signed');
  // An IAM function URL: its Host form must check the URL's auth, not become an API call.
  const iamUrl = JSON.parse((await signed(base, 'POST', '/2021-10-31/functions/victim/url', '{"AuthType":"AWS_IAM"}', { 'content-type': 'application/json' })).text) as { FunctionUrl: string };
  const iamUrlId = /\/zonesim\/url\/([a-z0-9]{32})\//.exec(iamUrl.FunctionUrl)![1]!;

  const arn = encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:victim');
  const sqsJson = { 'content-type': 'application/x-amz-json-1.0' };
  // Every kind of route, with a body where it takes one. `sqs` routes are signed for `sqs`.
  const routes: Array<{ method: string; path: string; body?: string; headers?: Record<string, string>; sqs?: boolean }> = [
    { method: 'POST', path: '/2015-03-31/functions', body: create('pwned') },
    { method: 'GET', path: '/2015-03-31/functions' },
    { method: 'GET', path: '/2015-03-31/functions/victim' },
    { method: 'GET', path: '/2015-03-31/functions/victim/configuration' },
    { method: 'POST', path: '/2015-03-31/functions/victim/invocations', body: '{"n":1}' },
    { method: 'DELETE', path: '/2015-03-31/functions/no-such-fn' },
    { method: 'PUT', path: '/2017-10-31/functions/victim/concurrency', body: '{"ReservedConcurrentExecutions":5}' },
    { method: 'GET', path: '/2016-08-19/account-settings' },
    { method: 'GET', path: '/2015-03-31/event-source-mappings' },
    { method: 'GET', path: '/2021-10-31/functions/victim/urls' },
    { method: 'GET', path: `/2017-03-31/tags/${arn}` },
    { method: 'GET', path: '/2019-09-30/functions/victim/provisioned-concurrency?List=ALL' },
    { method: 'GET', path: '/zonesim/v1/zones' },
    { method: 'GET', path: '/zonesim/v1/stats' },
    { method: 'GET', path: '/zonesim/v1/dead-letters' },
    { method: 'PUT', path: '/zonesim/v1/brownout', body: '{"failRate":0}' },
    { method: 'GET', path: '/zonesim/v1/queues' },
    { method: 'GET', path: '/zonesim/v1/functions/victim/logs' },
    { method: 'GET', path: '/zonesim/v1/functions/victim/code.zip' },
    { method: 'POST', path: '/', body: '{}', headers: { ...sqsJson, 'x-amz-target': 'AmazonSQS.ListQueues' }, sqs: true },
    { method: 'POST', path: '/', body: '{"QueueUrl":"x","MessageBody":"hi"}', headers: { ...sqsJson, 'x-amz-target': 'AmazonSQS.SendMessage' }, sqs: true },
  ];
  for (const r of routes) {
    const what = `${r.method} ${r.path}${r.sqs ? ` (${r.headers!['x-amz-target']})` : ''}`;
    const headers = { 'content-type': 'application/json', ...r.headers };
    const body = r.body ?? '';
    const plain = await raw(base, r.method, r.path, { headers, body });
    t.equal(plain.status, 403, `unsigned ${what}: 403`);

    // The function URL host form is a function URL, whatever the path: never the API.
    const byHost = await raw(base, r.method, r.path, { headers: { ...headers, host: FAKE_URL_HOST }, body });
    t.equal(byHost.status, 404, `unsigned ${what} with Host ${FAKE_URL_HOST}: an unknown function URL`);
    t.equal(byHost.text, '{"Message":null}', 'answered by the function URL front, not the API');
    const byIamHost = await raw(base, r.method, r.path, { headers: { ...headers, host: `${iamUrlId}.lambda-url.us-east-1.on.aws` }, body });
    t.equal(byIamHost.status, 403, `unsigned ${what} with the Host of an AWS_IAM function URL: that URL's 403`);

    // Dot segments through the function URL prefix, plain and percent-encoded.
    const up = r.path === '/' ? '' : r.path.slice(1);
    for (const dots of ['..', '%2e%2e', '%2E.']) {
      const tricked = await raw(base, r.method, `/zonesim/url/${FAKE_URL_ID}/${dots}/${dots}/${dots}/${up}`, { headers, body });
      t.equal(tricked.status, 400, `unsigned ${what} behind /zonesim/url/…/${dots}/: refused`);
    }

    const ok = await signed(base, r.method, r.path, body, headers, r.sqs ? 'sqs' : 'lambda');
    t.not(ok.status, 403, `signed ${what}: not refused (${ok.status} ${ok.errorType ?? ''})`);
    t.ok(ok.status < 500, `signed ${what}: answered`);
  }
  const list = JSON.parse((await signed(base, 'GET', '/2015-03-31/functions', '')).text) as { Functions: Array<{ FunctionName: string }> };
  t.same(list.Functions.map((f) => f.FunctionName).sort(), ['pwned', 'victim'], 'only the signed CreateFunction created anything');
});

t.test('finding 2: web pages cannot drive the API; scripts, the dashboard and function URLs still can', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--allowed-host', 'zonesim.test', '--allowed-host', '.lab.test'] });
  const base = cluster.apiUrl;
  const own = new URL(base).host;
  t.equal((await deploy(base, 'fn', { 'index.mjs': 'export const handler = async () => ({ statusCode: 200, body: "hello" });' })).status, 201, 'a script (no Origin) deploys');
  const zip = Buffer.from(await buildZip({ 'index.mjs': 'export const handler = async () => 1;' })).toString('base64');
  const createBody = JSON.stringify({ FunctionName: 'from-a-page', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/x', Handler: 'index.handler', Code: { ZipFile: zip } });

  // What `fetch(url, { method: 'POST', mode: 'no-cors', body })` sends from https://evil.example.
  const page = { origin: 'https://evil.example', 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
  const created = await raw(base, 'POST', '/2015-03-31/functions', { headers: page, body: createBody });
  t.equal(created.status, 403, 'a cross-origin text/plain CreateFunction is refused');
  t.equal(created.errorType, 'AccessDeniedException');
  t.match(created.text, /Cross-origin requests are refused/);
  t.equal((await raw(base, 'POST', '/2015-03-31/functions/fn/invocations', { headers: page, body: '{}' })).status, 403, 'a cross-origin Invoke is refused');
  t.equal((await raw(base, 'PUT', '/zonesim/v1/brownout', { headers: { ...page, 'content-type': 'application/json' }, body: '{"failRate":1}' })).status, 403, 'a cross-origin brownout is refused');
  t.equal((await raw(base, 'POST', '/zonesim/v1/control/zones/az-a/kill', { headers: { ...page, 'content-type': 'application/json' }, body: '{}' })).status, 403, 'a cross-origin zone kill is refused');
  t.equal((await raw(base, 'POST', '/2015-03-31/functions/fn/invocations', { headers: { origin: 'null' }, body: '{}' })).status, 403, 'Origin: null (a sandboxed frame) is refused');
  t.equal((await raw(base, 'GET', '/2015-03-31/functions', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } })).status, 403, 'a cross-site GET without Origin is refused');
  t.equal((await raw(base, 'GET', '/2015-03-31/functions', { headers: { origin: 'http://localhost:1', 'sec-fetch-site': 'same-site' } })).status, 403, 'another port of localhost is another origin');

  // DNS rebinding: the page's own name now points at 127.0.0.1.
  for (const host of ['rebind.evil.example', `rebind.evil.example:${new URL(base).port}`, 'zonesim.test.evil.example']) {
    const rebound = await raw(base, 'POST', '/2015-03-31/functions/fn/invocations', { headers: { host, origin: `http://${host}` }, body: '{}' });
    t.equal(rebound.status, 403, `Host ${host} is refused`);
    t.match(rebound.text, /is not allowed/);
  }
  t.equal((await raw(base, 'GET', '/2015-03-31/functions', { headers: { host: 'rebind.evil.example' } })).status, 403, 'a rebound Host is refused even without Origin');

  const list = await api(base, 'GET', '/2015-03-31/functions');
  t.same(list.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['fn'], 'nothing was created from a page');
  t.equal((await api(base, 'GET', '/zonesim/v1/health')).json.healthyZones, 1, 'no zone was killed from a page');

  // What keeps working.
  t.equal((await raw(base, 'GET', '/2015-03-31/functions', { headers: { origin: `http://${own}`, 'sec-fetch-site': 'same-origin' } })).status, 200, 'the dashboard\'s own origin');
  t.equal((await raw(base, 'GET', '/', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } })).status, 200, 'following a link to the dashboard');
  for (const host of ['localhost', `localhost:${new URL(base).port}`, 'lab.localhost', '127.0.0.1', '[::1]:80', 'zonesim.test', 'a.lab.test']) {
    t.equal((await raw(base, 'GET', '/2015-03-31/functions', { headers: { host } })).status, 200, `Host ${host} is allowed`);
  }
  const url = await api(base, 'POST', '/2021-10-31/functions/fn/url', { AuthType: 'NONE', Cors: { AllowOrigins: ['https://app.example'] } });
  t.equal(url.status, 201);
  const urlPath = new URL(url.json.FunctionUrl).pathname;
  const fromApp = await raw(base, 'GET', urlPath, { headers: { origin: 'https://app.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } });
  t.equal(fromApp.status, 200, 'a function URL answers other origins by its own CORS settings');
  t.equal(fromApp.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(fromApp.text, 'hello');

  // A zone node on another machine names the coordinator by any name; its token is what counts.
  const sha = JSON.parse((await api(base, 'GET', '/2015-03-31/functions/fn')).text).Configuration.CodeSha256 as string;
  const hex = Buffer.from(sha, 'base64').toString('hex');
  const fetched = await raw(base, 'GET', `/zonesim/v1/code/${hex}`, { headers: { host: 'coordinator.lab.internal:4599', authorization: `Bearer ${cluster.token}` } });
  t.equal(fetched.status, 200, 'a code download with the cluster token, under another host name');
  t.equal((await raw(base, 'GET', `/zonesim/v1/code/${hex}`, { headers: { host: 'coordinator.lab.internal:4599' } })).status, 403, 'and none without it');

  // A page may open a WebSocket anywhere: the zone link refuses any handshake that names an Origin.
  const upgrade = await new Promise<string>((resolve) => {
    const s = connect(Number(new URL(base).port), '127.0.0.1', () => {
      s.write(`GET /zonesim/v1/zone-link HTTP/1.1\r\nHost: ${own}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://evil.example\r\n\r\n`);
    });
    let got = '';
    s.on('data', (c) => (got += c.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
  t.notMatch(upgrade, /101 Switching Protocols/, 'a browser\'s WebSocket to the zone link is closed');
});

t.test('finding 2: a non-loopback address needs a key or --insecure-no-auth, which warns', async (t) => {
  const dir = await tempDir(t);
  const up = await runZonesim(['up', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir]);
  t.not(up.code, 0, 'zonesim up --host 0.0.0.0 without a key fails');
  t.match(up.stderr, /not a loopback address.*--insecure-no-auth/s, 'and says how to accept the risk');
  const coordinator = await runZonesim(['coordinator', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir, '--token', 'x'.repeat(32)]);
  t.not(coordinator.code, 0, 'zonesim coordinator --host 0.0.0.0 without a key fails');
  t.match(coordinator.stderr, /insecureNoAuth \(--insecure-no-auth\)/);

  // With --insecure-no-auth it starts, and says what that means before anything listens.
  const child = spawn(process.execPath, [ZONESIM_BIN, 'coordinator', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir, '--token', 'x'.repeat(32), '--insecure-no-auth', '--exit-with-parent'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(() => /WARNING: the API listens on 0\.0\.0\.0 without authentication/.test(stderr), 30_000, 'the warning');
  child.kill('SIGKILL');
  t.pass('--insecure-no-auth starts with a warning');
});

t.test('finding 3: idle floods and slowloris leave the API serving', async (t) => {
  const cluster = await testCluster(t, {
    zoneCount: 1,
    coordinatorArgs: ['--max-connections', '50', '--headers-timeout-ms', '1000', '--request-timeout-ms', '5000', '--keep-alive-timeout-ms', '2000'],
  });
  const base = cluster.apiUrl;
  const port = Number(new URL(base).port);
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const open = (): Socket => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    return s;
  };
  const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

  // Slowloris: a fresh connection dribbling headers, and one that made a request first.
  const dribble = (s: Socket, first: boolean): void => {
    s.once('connect', () => {
      if (first) s.write(`GET /zonesim/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      let n = 0;
      const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write(n++ === 0 ? 'GET /2015-03-31/functions HTTP/1.1\r\n' : `X-Slow-${n}: 1\r\n`)), 200);
    });
  };
  const slow = [open(), open(), open(), open()];
  slow.forEach((s, i) => dribble(s, i % 2 === 1));
  // An idle flood four times the cap.
  const idle = Array.from({ length: 200 }, () => open());
  await Promise.all(idle.map((s) => new Promise<void>((resolve) => {
    s.once('connect', () => resolve());
    s.once('close', () => resolve());
  })));

  for (let i = 0; i < 10; i++) {
    const res = await api(base, 'GET', '/2015-03-31/functions');
    t.equal(res.status, 200, `request ${i} during the flood is served`);
  }
  await Promise.all(slow.map(closed));
  t.pass('every slowloris connection was closed');
  const stats = (await api(base, 'GET', '/zonesim/v1/stats')).json;
  t.ok(stats.httpConnections.open <= 50, `open connections stay within the cap (${stats.httpConnections.open})`);
  t.ok(stats.httpConnections.evicted >= 150, `idle connections were closed to make room (${stats.httpConnections.evicted})`);
  t.equal((await api(base, 'GET', '/zonesim/v1/health')).json.healthyZones, 1, 'the zone link was never touched');
});

t.test('finding 6: malformed percent-encodings and a bogus X-Amz-Log-Type get 400', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const base = cluster.apiUrl;
  t.equal((await deploy(base, 'fn', { 'index.mjs': 'export const handler = async () => 1;' })).status, 201);
  for (const path of ['/2015-03-31/functions/fn%zz', '/2015-03-31/functions/%ff/invocations', '/2015-03-31/functions/fn%', '/2015-03-31/functions?Marker=%g1', '/2015-03-31/functions/a%5cb']) {
    const res = await raw(base, 'GET', path);
    t.equal(res.status, 400, `${path}: 400`);
    t.equal(res.errorType, 'InvalidParameterValueException');
  }
  const bogus = await api(base, 'POST', '/2015-03-31/functions/fn/invocations', {}, { 'x-amz-log-type': 'Bogus' });
  t.equal(bogus.status, 400, 'X-Amz-Log-Type: Bogus is refused');
  t.equal(bogus.errorType, 'ValidationException');
  t.match(bogus.json.message, /logType.*\[Tail, None\]/);
  t.equal((await api(base, 'POST', '/2015-03-31/functions/fn/invocations', {}, { 'x-amz-log-type': 'None' })).status, 200, 'None is taken');
});
