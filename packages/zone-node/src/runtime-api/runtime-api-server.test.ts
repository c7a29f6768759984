/**
 * The Runtime API's state machine and error answers, driven over real HTTP as a runtime would.
 */
import { request as httpRequest } from 'node:http';
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

// Streaming mode (`Lambda-Runtime-Function-Response-Mode: streaming`): a chunked body whose pieces
// reach onChunk as they arrive, and error trailers that end it as a failure.

interface Chunk {
  requestId: string;
  text: string;
  contentType: string | undefined;
}

async function startStreaming(t: Test, onChunk?: (c: Chunk, all: Chunk[]) => boolean) {
  const signals: RuntimeApiSignal[] = [];
  const chunks: Chunk[] = [];
  const api = new RuntimeApiServer((s) => signals.push(s), {
    ...(onChunk === undefined
      ? {}
      : {
          onChunk: (requestId: string, data: Buffer, contentType: string | undefined) => {
            const c = { requestId, text: data.toString('utf8'), contentType };
            chunks.push(c);
            return onChunk(c, chunks);
          },
        }),
  });
  const address = await api.listen();
  t.teardown(() => api.close());
  const base = `http://${address}/2018-06-01/runtime`;
  /** Delivers an event and takes it with `next`, as a runtime would. */
  const take = async (requestId: string): Promise<void> => {
    const next = fetch(`${base}/invocation/next`);
    // The first next ends INIT: an event is only handed over after that, as the environment does.
    await until('ready', () => signals.some((s) => s.kind === 'ready'));
    api.deliver(event(requestId));
    t.equal((await next).status, 200);
  };
  return { api, signals, chunks, base, take };
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A POST in streaming mode, written piece by piece; `end` may add the error trailers. */
function streamingPost(url: string, headers: Record<string, string> = {}) {
  const req = httpRequest(url, {
    method: 'POST',
    headers: {
      'lambda-runtime-function-response-mode': 'streaming',
      'transfer-encoding': 'chunked',
      trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      ...headers,
    },
  });
  // A server that answers early (413) may close before the body is done: that is not a failure here.
  req.on('error', () => undefined);
  const response = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    req.once('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
      });
      res.on('error', reject);
    });
  });
  let settled = false;
  void response.then(() => (settled = true));
  req.flushHeaders();
  return {
    response,
    get answered() {
      return settled;
    },
    write: (text: string) => new Promise<void>((resolve) => req.write(text, () => resolve())),
    end: (trailers?: Record<string, string>) => {
      if (trailers) req.addTrailers(trailers);
      req.end();
      return response;
    },
  };
}

t.test('streaming mode: each chunk reaches onChunk before the request ends; the end is a streamed response', async (t) => {
  const { signals, chunks, base, take } = await startStreaming(t, () => true);
  await take('s-1');
  const post = streamingPost(`${base}/invocation/s-1/response`, { 'content-type': 'text/plain; charset=utf-8' });
  await post.write('first;');
  await until('the first chunk', () => chunks.length === 1);
  t.same(chunks, [{ requestId: 's-1', text: 'first;', contentType: 'text/plain; charset=utf-8' }], 'the content type comes with the first chunk');
  t.equal(post.answered, false, 'the request is still open');
  t.same(signals, [{ kind: 'ready' }], 'no answer yet');
  await post.write('second;');
  await until('the second chunk', () => chunks.length === 2);
  t.same(chunks[1], { requestId: 's-1', text: 'second;', contentType: undefined }, 'later chunks carry no content type');
  const r = await post.end();
  t.same(r, { status: 202, body: { status: 'OK' } });
  t.same(signals.at(-1), { kind: 'response', requestId: 's-1', payload: Buffer.alloc(0), streamed: true, contentType: 'text/plain; charset=utf-8' });
  t.equal(chunks.map((c) => c.text).join(''), 'first;second;');
  t.equal((await fetch(`${base}/invocation/s-1/response`, { method: 'POST', body: '1' })).status, 403, 'answered once');
});

t.test('streaming mode: an empty stream names its content type (application/octet-stream by default)', async (t) => {
  const { signals, chunks, base, take } = await startStreaming(t, () => true);
  await take('s-e');
  t.same(await streamingPost(`${base}/invocation/s-e/response`).end(), { status: 202, body: { status: 'OK' } });
  t.same(chunks, [{ requestId: 's-e', text: '', contentType: 'application/octet-stream' }]);
  t.same(signals.at(-1), { kind: 'response', requestId: 's-e', payload: Buffer.alloc(0), streamed: true, contentType: 'application/octet-stream' });
});

t.test('streaming mode: error trailers end the stream as a streamed error', async (t) => {
  const { signals, chunks, base, take } = await startStreaming(t, () => true);
  await take('s-2');
  const post = streamingPost(`${base}/invocation/s-2/response`, { 'content-type': 'text/plain' });
  await post.write('partial');
  await until('the chunk', () => chunks.length === 1);
  const body = { errorType: 'Error', errorMessage: 'broke midway', stackTrace: ['at a', 'at b'] };
  const r = await post.end({
    'Lambda-Runtime-Function-Error-Type': 'Error',
    'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
  });
  t.equal(r.status, 202);
  t.same(signals.at(-1), { kind: 'error', requestId: 's-2', error: body, streamed: true });
  t.same(chunks.map((c) => c.text), ['partial']);

  // The type trailer alone: the type from it, an empty message.
  await take('s-3');
  const bare = streamingPost(`${base}/invocation/s-3/response`);
  await bare.write('x');
  t.equal((await bare.end({ 'Lambda-Runtime-Function-Error-Type': 'Runtime.Crashed' })).status, 202);
  t.same(signals.at(-1), { kind: 'error', requestId: 's-3', error: { errorType: 'Runtime.Crashed', errorMessage: '' }, streamed: true });
});

t.test('streaming mode: onChunk refusing a chunk is 413 and too-large, reported once', async (t) => {
  const { signals, chunks, base, take } = await startStreaming(t, (_c, all) => all.length < 2);
  await take('s-4');
  const post = streamingPost(`${base}/invocation/s-4/response`);
  await post.write('12345');
  await until('the first chunk', () => chunks.length === 1);
  await post.write('678');
  const r = await post.response;
  t.equal(r.status, 413);
  t.same(r.body, { errorMessage: 'Exceeded maximum allowed payload size.', errorType: 'RequestEntityTooLarge' });
  t.same(signals.at(-1), { kind: 'too-large', requestId: 's-4', bytes: 8 });
  t.equal(signals.filter((s) => s.kind === 'too-large').length, 1);
  post.end();
  t.equal(chunks.length, 2, 'nothing after the refused chunk reaches onChunk');
  t.equal((await fetch(`${base}/invocation/s-4/response`, { method: 'POST', body: '1' })).status, 403, 'the invocation is over');
  // The runtime may go on: the next event is served.
  await take('s-5');
});

t.test('streaming mode without onChunk is 400; the invocation can still be answered', async (t) => {
  const { signals, base, take } = await startStreaming(t);
  await take('s-6');
  const r = await streamingPost(`${base}/invocation/s-6/response`).end();
  t.equal(r.status, 400);
  t.same(r.body, { errorMessage: 'This environment does not take streamed responses', errorType: 'InvalidRequest' });
  t.same(signals, [{ kind: 'ready' }], 'no answer signalled');
  const ok = await fetch(`${base}/invocation/s-6/response`, { method: 'POST', body: '"buffered"' });
  t.equal(ok.status, 202);
  t.same(signals.at(-1), { kind: 'response', requestId: 's-6', payload: Buffer.from('"buffered"') });
});

t.test('streaming mode: a second answer (or next) while a streamed one is in progress is 403', async (t) => {
  const { signals, chunks, base, take } = await startStreaming(t, () => true);
  await take('s-7');
  const post = streamingPost(`${base}/invocation/s-7/response`);
  await post.write('a');
  await until('the chunk', () => chunks.length === 1);
  for (const [path, init] of [
    ['response', { method: 'POST', body: '1' }],
    ['error', { method: 'POST', body: '{}' }],
    ['response', { method: 'POST', body: '1', headers: { 'lambda-runtime-function-response-mode': 'streaming' } }],
  ] as const) {
    const r = await fetch(`${base}/invocation/s-7/${path}`, init);
    t.equal(r.status, 403, `${path} ${JSON.stringify(init.headers ?? {})}`);
    t.equal(((await r.json()) as { errorType: string }).errorType, 'InvalidStateTransition');
  }
  t.equal((await fetch(`${base}/invocation/next`)).status, 403, 'next before the stream ended');
  t.same(signals, [{ kind: 'ready' }], 'nothing answered yet');
  await post.write('b');
  await until('the second chunk', () => chunks.length === 2);
  t.equal((await post.end()).status, 202, 'the streamed answer still completes');
  t.same(signals.at(-1), { kind: 'response', requestId: 's-7', payload: Buffer.alloc(0), streamed: true, contentType: 'application/octet-stream' });
  t.same(chunks.map((c) => c.text), ['a', 'b'], 'the refused answers added nothing');
});

t.test('streaming mode for an unknown id is 400 and reaches no onChunk', async (t) => {
  const { chunks, base, take } = await startStreaming(t, () => true);
  await take('s-8');
  const post = streamingPost(`${base}/invocation/other/response`);
  await post.write('x');
  const r = await post.end();
  t.equal(r.status, 400);
  t.same(chunks, []);
});
