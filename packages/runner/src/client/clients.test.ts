import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ManualClock, systemClock } from '@zonesim/common';
import { SigV4Verifier } from '@zonesim/coordinator';
import { AdminClient } from './admin-client.js';
import { ApiClient } from './api-client.js';
import { ApiClusterClient } from './cluster-client.js';
import { HttpApiTransport } from './http-transport.js';

const CREDENTIALS = { accessKeyId: 'AKIDRUNNERTEST', secretAccessKey: 'runner-test-secret' };

interface Seen {
  method: string;
  url: string;
  body: string;
  authorization: string | undefined;
}

/** A local server that records each request and answers with `handle`. */
async function server(t: Test, handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, body: body.toString('utf8'), authorization: req.headers.authorization });
      handle(req, body, res);
    });
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  t.teardown(() => s.closeAllConnections());
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

t.test('the admin client: typed answers, the operation named in its errors', async (t) => {
  const { url, seen } = await server(t, (req, body, res) => {
    if (req.url === '/zonesim/v1/zones') return json(res, 200, { zones: [{ zone: 'az-a', health: 'healthy', nodes: [{ nodeId: 'az-a-node-1', health: 'healthy' }] }], placement: 'spread' });
    if (req.url === '/zonesim/v1/faults' && req.method === 'POST') return json(res, 201, { ...JSON.parse(body.toString()), startAt: 1 });
    if (req.url === '/zonesim/v1/brownout' && req.method === 'DELETE') return void res.writeHead(204).end();
    if (req.url?.startsWith('/zonesim/v1/zones/az-z/degrade')) return json(res, 400, { message: 'slowFactor must be a number from 1 to 1000' }, { 'x-amzn-errortype': 'InvalidParameterValueException' });
    if (req.url?.startsWith('/zonesim/v1/dead-letters?')) return json(res, 200, { deadLetters: [{ eventId: 'e1', functionName: 'f' }] });
    if (req.url?.startsWith('/zonesim/v1/queue-messages?')) return json(res, 200, { messages: [], next: 7 });
    json(res, 404, {});
  });
  const transport = new HttpApiTransport(url);
  t.teardown(() => transport.close());
  const admin = new AdminClient(transport);
  const zones = await admin.zones();
  t.equal(zones.zones[0]!.nodes[0]!.health, 'healthy');
  t.same(await admin.openFault({ id: 'k', action: 'kill', target: 'az-b' }), { id: 'k', action: 'kill', target: 'az-b', startAt: 1 });
  await admin.clearBrownout();
  t.same(await admin.deadLetters({ limit: 1000, offset: 0, functionName: 'f' }), [{ eventId: 'e1', functionName: 'f' }]);
  t.equal((await admin.queueMessages({ after: 3, limit: 10 })).next, 7);
  await t.rejects(admin.degradeZone('az-z', { slowFactor: 0, failRate: 0 }), {
    name: 'AdminApiError',
    code: 'RUNNER_ADMIN_API',
    operation: 'degrade az-z',
    status: 400,
    errorType: 'InvalidParameterValueException',
    message: 'degrade az-z: HTTP 400 InvalidParameterValueException',
  });
  t.same(seen.map((s) => `${s.method} ${s.url}`), [
    'GET /zonesim/v1/zones',
    'POST /zonesim/v1/faults',
    'DELETE /zonesim/v1/brownout',
    'GET /zonesim/v1/dead-letters?limit=1000&offset=0&function=f',
    'GET /zonesim/v1/queue-messages?after=3&limit=10',
    'PUT /zonesim/v1/zones/az-z/degrade',
  ]);
  t.ok(seen.every((s) => s.authorization === undefined), 'unsigned without credentials');
});

t.test('with credentials every request is signed, and the coordinator\'s verifier accepts it (lambda and sqs scopes)', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
  const verifier = new SigV4Verifier({ credentials: [CREDENTIALS], service: (req) => (typeof req.headers['x-amz-target'] === 'string' ? 'sqs' : 'lambda') }, { clock });
  const verdicts: string[] = [];
  const { url } = await server(t, (req, body, res) => {
    try {
      verifier.verify({ method: req.method!, url: req.url!, headers: req.headers }, body);
      verdicts.push('ok');
    } catch (err) {
      verdicts.push((err as Error).message);
    }
    if (req.url?.endsWith('/invocations')) return json(res, 200, {}, { 'x-amzn-requestid': 'r1', 'x-zonesim-zone': 'az-c' });
    if (req.headers['x-amz-target']) return json(res, 200, { QueueUrl: 'http://q/000000000000/q1' });
    json(res, 200, { queue: { queued: 0, inFlight: 0 }, dispatcher: null });
  });
  const transport = new HttpApiTransport(url, { credentials: CREDENTIALS, region: 'eu-west-1' }, { clock });
  t.teardown(() => transport.close());
  const api = new ApiClient(transport);
  await new AdminClient(api).asyncStatus();
  t.equal((await api.sqs('CreateQueue', { QueueName: 'q1' })).status, 200);
  t.same(await new ApiClusterClient(transport).invoke('f:live', { a: 1 }, 'sync', 5_000), { status: 200, requestId: 'r1', zone: 'az-c' });
  t.same(verdicts, ['ok', 'ok', 'ok']);

  // Signed at the injected clock's time: a clock 20 minutes behind the verifier's is refused.
  const late = new HttpApiTransport(url, { credentials: CREDENTIALS }, { clock: new ManualClock(clock.now() - 20 * 60_000) });
  t.teardown(() => late.close());
  await new AdminClient(late).asyncStatus().catch(() => undefined);
  t.match(verdicts.at(-1), /Signature expired|not yet current|skew|time/i);
});

t.test('the cluster client never rejects: statuses, throttle reasons, refused connections and timeouts become history data', async (t) => {
  const { url } = await server(t, (req, _body, res) => {
    if (req.url?.includes('throttled')) return json(res, 429, { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', message: 'Rate exceeded' }, { 'x-amzn-errortype': 'TooManyRequestsException:http://x' });
    if (req.url?.includes('slow')) return; // never answers
    if (req.headers['x-amz-target'] === 'AmazonSQS.SendMessage') return json(res, 200, { MessageId: 'm-1' });
    json(res, req.headers['x-amz-invocation-type'] === 'Event' ? 202 : 200, {}, { 'x-amzn-requestid': 'r2', 'x-amz-function-error': 'Unhandled' });
  });
  const transport = new HttpApiTransport(url, {}, { clock: systemClock });
  t.teardown(() => transport.close());
  const client = new ApiClusterClient(transport);
  t.same(await client.invoke('f', {}, 'sync', 5_000), { status: 200, requestId: 'r2', functionError: 'Unhandled' });
  t.same(await client.invoke('f', {}, 'async', 5_000), { status: 202, requestId: 'r2', functionError: 'Unhandled' });
  t.same(await client.invoke('throttled', {}, 'sync', 5_000), { status: 429, errorType: 'TooManyRequestsException', throttleReason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  t.same(await client.sendMessage(`${url}/000000000000/q1`, 'hello', 5_000), { status: 200, requestId: 'm-1' });
  t.same(await client.invoke('slow', {}, 'sync', 100), { status: null, errorType: 'ClientTimeout' });

  // A port nobody listens on: take one and close it.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const refused = new HttpApiTransport(`http://127.0.0.1:${port}`);
  t.teardown(() => refused.close());
  t.same(await new ApiClusterClient(refused).invoke('f', {}, 'sync', 1_000), { status: null, errorType: 'ECONNREFUSED' }, 'refused: a definite failure, not an unknown');
  await t.rejects(new AdminClient(refused).zones(), { name: 'ApiConnectionError', code: 'RUNNER_API_CONNECTION', socketCode: 'ECONNREFUSED' }, 'the admin client rejects instead');
});
