/**
 * The Runtime API's state machine and error answers, driven over real HTTP as a runtime would.
 */
import t, { type Test } from 'tap';
import { RuntimeApiServer, type RuntimeApiSignal } from './runtime-api-server.js';

async function start(t: Test, maxPayloadBytes?: number) {
  const signals: RuntimeApiSignal[] = [];
  const api = new RuntimeApiServer((s) => signals.push(s), maxPayloadBytes === undefined ? {} : { maxPayloadBytes });
  const address = await api.listen();
  t.teardown(() => api.close());
  const base = `http://${address}/2018-06-01/runtime`;
  return { api, signals, base };
}

const event = (requestId: string) => ({
  requestId,
  payload: Buffer.from('{"hello":"world"}'),
  deadlineMs: 1_700_000_003_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f:live',
  traceId: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0',
  clientContext: '{"custom":{"a":1}}',
});

t.test('next long-polls until an event, with Lambda headers; one answer per event', async (t) => {
  const { api, signals, base } = await start(t);
  t.match(api.address, /^127\.0\.0\.1:\d+$/);
  const pending = fetch(`${base}/invocation/next`);
  // Wait for the server to have taken the request (a loaded machine may need more than a moment).
  for (const deadline = Date.now() + 5_000; signals.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  t.same(signals, [{ kind: 'ready' }], 'the first next ends INIT');
  api.deliver(event('id-1'));
  const res = await pending;
  t.equal(res.status, 200);
  t.equal(await res.text(), '{"hello":"world"}');
  t.equal(res.headers.get('lambda-runtime-aws-request-id'), 'id-1');
  t.equal(res.headers.get('lambda-runtime-deadline-ms'), '1700000003000');
  t.equal(res.headers.get('lambda-runtime-invoked-function-arn'), 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  t.match(res.headers.get('lambda-runtime-trace-id'), /^Root=1-/);
  t.equal(res.headers.get('lambda-runtime-client-context'), '{"custom":{"a":1}}');
  t.equal(res.headers.get('lambda-runtime-cognito-identity'), null, 'empty headers are omitted');

  const early = await fetch(`${base}/invocation/next`);
  t.equal(early.status, 403, 'next before answering the event');
  t.same(await early.json(), { errorMessage: 'State transition from Running to Ready is not allowed: invocation id-1 has no response yet', errorType: 'InvalidStateTransition' });

  const unknown = await fetch(`${base}/invocation/nope/response`, { method: 'POST', body: '1' });
  t.equal(unknown.status, 400);
  t.same(await unknown.json(), { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });

  const ok = await fetch(`${base}/invocation/id-1/response`, { method: 'POST', body: '{"ok":true}' });
  t.equal(ok.status, 202);
  t.same(await ok.json(), { status: 'OK' });
  const again = await fetch(`${base}/invocation/id-1/error`, { method: 'POST', body: '{}' });
  t.equal(again.status, 403, 'a second answer');
  t.equal(((await again.json()) as { errorType: string }).errorType, 'InvalidStateTransition');
  t.same(signals[1], { kind: 'response', requestId: 'id-1', payload: Buffer.from('{"ok":true}') });

  const lateInit = await fetch(`${base}/init/error`, { method: 'POST', body: '{}' });
  t.equal(lateInit.status, 403, 'init/error after INIT');

  const notFound = await fetch(`http://${api.address}/2018-06-01/runtime/restore/next`);
  t.equal(notFound.status, 404);
});

t.test('an error body keeps its shape; the header fills a missing type', async (t) => {
  const { api, signals, base } = await start(t);
  const next = fetch(`${base}/invocation/next`);
  api.deliver(event('id-2'));
  await next;
  const r = await fetch(`${base}/invocation/id-2/error`, {
    method: 'POST',
    headers: { 'lambda-runtime-function-error-type': 'Runtime.Custom' },
    body: JSON.stringify({ errorMessage: 'boom', stackTrace: ['a', 'b'] }),
  });
  t.equal(r.status, 202);
  t.same(signals.at(-1), { kind: 'error', requestId: 'id-2', error: { errorType: 'Runtime.Custom', errorMessage: 'boom', stackTrace: ['a', 'b'] } });
});

t.test('init/error before the first next; its type is normalised for INIT_REPORT', async (t) => {
  const { signals, base } = await start(t);
  const r = await fetch(`${base}/init/error`, { method: 'POST', headers: { 'lambda-runtime-function-error-type': 'not-a-category' }, body: '{"errorMessage":"no","errorType":"Bad"}' });
  t.equal(r.status, 202);
  t.same(signals, [{ kind: 'init-error', error: { errorType: 'Bad', errorMessage: 'no' }, reportedType: 'Runtime.Unknown' }]);
  t.equal((await fetch(`${base}/invocation/next`)).status, 403, 'no next after a failed INIT');
});

t.test('a response past the limit is 413 RequestEntityTooLarge and reported once', async (t) => {
  const { api, signals, base } = await start(t, 1000);
  const next = fetch(`${base}/invocation/next`);
  api.deliver(event('id-3'));
  await next;
  const r = await fetch(`${base}/invocation/id-3/response`, { method: 'POST', body: 'x'.repeat(1001) });
  t.equal(r.status, 413);
  t.same(await r.json(), { errorMessage: 'Exceeded maximum allowed payload size (1000 bytes).', errorType: 'RequestEntityTooLarge' });
  t.same(signals.at(-1), { kind: 'too-large', requestId: 'id-3', bytes: 1001 });
  t.equal((await fetch(`${base}/invocation/id-3/response`, { method: 'POST', body: '1' })).status, 403);
});
