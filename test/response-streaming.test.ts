// Issue 17, response streaming: through the official SDK's InvokeWithResponseStream and through a
// RESPONSE_STREAM function URL, a streamed response arrives in chunks while the function still
// runs. Each streaming handler below writes its first bytes, then waits for a message the test
// sends only once it has read them: were the response buffered, the test would never see them and
// the handler never go on. Node's `awslambda.streamifyResponse` and a custom runtime posting in the
// Runtime API's streaming mode both stream; errors midway end the stream in InvokeComplete; past
// the streaming limit the invocation fails with Function.ResponseSizeTooLarge.
import t from 'tap';
import {
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  type InvokeWithResponseStreamCommandOutput,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildZip } from '@zonesim/code';
import { testCluster } from './harness/cluster.js';

const ROLE = 'arn:aws:iam::000000000000:role/streaming';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Waits (long polling) for one message on the queue the event names, then returns its body. */
const GO_AHEAD = `
import { SQSClient, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
export async function goAhead(queue) {
  const sqs = new SQSClient({});
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    if (r.Messages?.length) return r.Messages[0].Body;
  }
}
`;

const STREAMING = `import { goAhead } from './go-ahead.mjs';
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType('text/plain; charset=utf-8');
  responseStream.write('first;');
  const word = await goAhead(event.queue);
  responseStream.write('second:' + word + ';');
  if (event.fail) throw new Error('broke after two chunks');
  responseStream.end('done:' + context.awsRequestId.length);
});
`;

const HTTP_STREAMING = `import { goAhead } from './go-ahead.mjs';
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const queue = new URLSearchParams(event.rawQueryString).get('queue');
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'x-streamed': 'yes' },
    cookies: ['a=1', 'b=2'],
  });
  stream.write('hello ');
  stream.write('from ' + event.requestContext.http.method + ' ' + event.rawPath + ' ');
  stream.end('and ' + await goAhead(queue));
});
`;

const BIG = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  for (let i = 0; i < event.kib; i++) responseStream.write(Buffer.alloc(1024, 120));
  responseStream.end();
});
`;

const BUFFERED = `export const handler = async (event) => ({ buffered: true, echo: event });\n`;

/** A custom runtime in Node: it answers every event in the Runtime API's streaming mode. */
const CUSTOM_BOOTSTRAP = `#!/usr/bin/env node
const http = require('node:http');
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation';
const get = (url) => new Promise((resolve, reject) => http.get(url, (res) => {
  const parts = []; res.on('data', (c) => parts.push(c)); res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts).toString() }));
}).on('error', reject));
(async () => {
  for (;;) {
    const next = await get(api + '/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    const event = JSON.parse(next.body);
    const req = http.request(api + '/' + id + '/response', { method: 'POST', headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/x-ndjson',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body' } });
    const answered = new Promise((resolve) => req.on('response', (res) => { res.resume(); res.on('end', resolve); }));
    for (let i = 1; i <= event.lines; i++) {
      req.write(JSON.stringify({ line: i }) + '\\n');
      await new Promise((r) => setTimeout(r, 5));
    }
    if (event.fail) {
      const error = { errorType: 'CustomFailure', errorMessage: 'gave up at ' + event.lines };
      req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'CustomFailure', 'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(error)).toString('base64') });
    }
    req.end();
    await answered;
  }
})();
`;

interface StreamRead {
  chunks: string[];
  complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } | undefined;
}

/** Reads an event stream; `onFirst` runs when the first chunk arrives (before any other is read). */
async function readStream(out: InvokeWithResponseStreamCommandOutput, onFirst?: () => Promise<void>): Promise<StreamRead> {
  const read: StreamRead = { chunks: [], complete: undefined };
  for await (const event of out.EventStream!) {
    if (event.PayloadChunk?.Payload) {
      read.chunks.push(Buffer.from(event.PayloadChunk.Payload).toString('utf8'));
      if (read.chunks.length === 1 && onFirst) await onFirst();
    }
    if (event.InvokeComplete) read.complete = event.InvokeComplete;
  }
  return read;
}

t.test('response streaming through the SDK and a function URL', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--stream-response-limit', String(64 * 1024)] });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.teardown(() => {
    lambda.destroy();
    sqs.destroy();
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'go-ahead' }));
  const goAhead = (word: string) => async (): Promise<void> => {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: word }));
  };
  const create = async (name: string, files: Record<string, string>, extra: Record<string, unknown> = {}): Promise<void> => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Timeout: 20,
      Code: { ZipFile: await buildZip({ 'go-ahead.mjs': GO_AHEAD, ...files }) }, ...extra,
    }));
  };
  await create('streamer', { 'index.mjs': STREAMING });

  t.test('InvokeWithResponseStream: chunks arrive while the handler runs', async (t) => {
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ queue: 'go-ahead' }), LogType: 'Tail' }));
    t.equal(out.StatusCode, 200);
    t.equal(out.ExecutedVersion, '$LATEST');
    t.equal(out.ResponseStreamContentType, 'text/plain; charset=utf-8', 'the content type the handler set');
    const read = await readStream(out, goAhead('sdk'));
    t.equal(read.chunks[0], 'first;', 'the first write is the first chunk, read before the handler could go on');
    t.ok(read.chunks.length >= 2, `several chunks (${read.chunks.length})`);
    t.equal(read.chunks.join(''), 'first;second:sdk;done:36', 'every byte, in order (36: the request id\'s length)');
    t.ok(read.complete, 'InvokeComplete ends the stream');
    t.equal(read.complete?.ErrorCode, undefined);
    const log = Buffer.from(read.complete?.LogResult ?? '', 'base64').toString('utf8');
    t.match(log, /REPORT RequestId: /, 'LogType Tail: the log tail in InvokeComplete');
  });

  t.test('an error midway ends the stream after what was sent', async (t) => {
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ queue: 'go-ahead', fail: true }) }));
    const read = await readStream(out, goAhead('then-fail'));
    t.equal(read.chunks.join(''), 'first;second:then-fail;');
    t.equal(read.complete?.ErrorCode, 'Error');
    const details = JSON.parse(read.complete?.ErrorDetails ?? '{}') as { errorType?: string; errorMessage?: string };
    t.equal(details.errorMessage, 'broke after two chunks');
  });

  t.test('a handler that does not stream answers in one chunk', async (t) => {
    await create('buffered', { 'index.mjs': BUFFERED });
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'buffered', Payload: JSON.stringify({ n: 1 }) }));
    t.equal(out.ResponseStreamContentType, 'application/json');
    const read = await readStream(out);
    t.same(read.chunks.map((c) => JSON.parse(c) as unknown), [{ buffered: true, echo: { n: 1 } }]);
    t.equal(read.complete?.ErrorCode, undefined);
  });

  t.test('Invoke of a streaming handler buffers its whole response', async (t) => {
    const p = lambda.send(new InvokeCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ queue: 'go-ahead' }) }));
    await goAhead('buffered-invoke')();
    const out = await p;
    t.equal(out.FunctionError, undefined);
    t.equal(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'), 'first;second:buffered-invoke;done:36');
  });

  t.test('past the streaming limit: Function.ResponseSizeTooLarge', async (t) => {
    await create('big', { 'index.mjs': BIG });
    const small = await readStream(await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'big', Payload: JSON.stringify({ kib: 60 }) })));
    t.equal(small.chunks.join('').length, 60 * 1024, 'under the limit: every byte');
    t.equal(small.complete?.ErrorCode, undefined);
    const big = await readStream(await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'big', Payload: JSON.stringify({ kib: 200 }) })));
    t.ok(big.chunks.join('').length <= 64 * 1024, 'no more than the limit went out');
    t.equal(big.complete?.ErrorCode, 'Function.ResponseSizeTooLarge');
    t.match(big.complete?.ErrorDetails ?? '', /65536 bytes/);
  });

  t.test('a RESPONSE_STREAM function URL streams with HttpResponseStream', async (t) => {
    await create('http-streamer', { 'index.mjs': HTTP_STREAMING });
    const url = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'http-streamer', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
    t.equal(url.InvokeMode, 'RESPONSE_STREAM');
    const res = await fetch(`${url.FunctionUrl}some/path?queue=go-ahead`, { method: 'POST', body: 'x' });
    t.equal(res.status, 201, 'the status of the prelude');
    t.equal(res.headers.get('x-streamed'), 'yes');
    t.equal(res.headers.get('content-type'), 'text/plain');
    t.same(res.headers.getSetCookie(), ['a=1', 'b=2']);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let wentAhead = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!wentAhead && text.length > 0) {
        wentAhead = true;
        t.ok(text.startsWith('hello '), `the first bytes, before the handler could finish: ${JSON.stringify(text)}`);
        await goAhead('url')();
      }
    }
    t.equal(text, 'hello from POST /some/path and url');
  });

  t.test('a RESPONSE_STREAM URL: a bad prelude is a 502; a handler that does not stream answers as BUFFERED', async (t) => {
    await create('bad-prelude', { 'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, s) => {
  awslambda.HttpResponseStream.from(s, { statusCode: 'not a status' }).end('body');
});
` });
    const bad = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'bad-prelude', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
    const res = await fetch(bad.FunctionUrl!);
    t.equal(res.status, 502);
    t.same(await res.json(), { Message: 'Internal Server Error' });
    await create('plain-http', { 'index.mjs': `export const handler = async () => ({ statusCode: 418, headers: { 'x-kind': 'teapot' }, body: 'short and stout' });
` });
    const plain = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'plain-http', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
    const answer = await fetch(plain.FunctionUrl!);
    t.equal(answer.status, 418);
    t.equal(answer.headers.get('x-kind'), 'teapot');
    t.equal(await answer.text(), 'short and stout');
  });

  t.test('a custom runtime streams through the Runtime API', async (t) => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'custom-streamer', Runtime: 'provided.al2023', Role: ROLE, Handler: 'unused', Timeout: 10,
      Code: { ZipFile: await buildZip({ bootstrap: { content: CUSTOM_BOOTSTRAP, mode: 0o755 } }) },
    }));
    const ok = await readStream(await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'custom-streamer', Payload: JSON.stringify({ lines: 3 }) })));
    t.same(ok.chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ line: 1 }, { line: 2 }, { line: 3 }]);
    t.ok(ok.chunks.length >= 2, `written in pieces, read in pieces (${ok.chunks.length})`);
    t.equal(ok.complete?.ErrorCode, undefined);
    const failed = await readStream(await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'custom-streamer', Payload: JSON.stringify({ lines: 2, fail: true }) })));
    t.equal(failed.chunks.join('').trim().split('\n').length, 2, 'the lines before the failure');
    t.equal(failed.complete?.ErrorCode, 'CustomFailure', 'the error trailers end the stream');
    t.match(JSON.parse(failed.complete?.ErrorDetails ?? '{}'), { errorType: 'CustomFailure', errorMessage: 'gave up at 2' });
  });

  t.test('a content type HTTP cannot carry falls back; the region keeps serving', async (t) => {
    await create('odd-type', { 'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, s) => {
  s.setContentType('text/plain; x=\u2192');
  s.end('ok');
});
` });
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'odd-type' }));
    t.equal(out.ResponseStreamContentType, 'application/octet-stream');
    t.same((await readStream(out)).chunks, ['ok']);
    const again = await lambda.send(new InvokeCommand({ FunctionName: 'buffered', Payload: '{}' }));
    t.equal(again.StatusCode, 200, 'the coordinator is still up');
  });

  // Last: it kills the only zone node.
  t.test('a zone node lost mid-stream ends the stream with the platform error', async (t) => {
    const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ queue: 'go-ahead' }) }));
    const read = await readStream(out, async () => {
      const node = cluster.zoneNodes[0]!;
      node.handle.signal('SIGKILL');
      await node.handle.exited;
    });
    t.same(read.chunks, ['first;'], 'what was sent before the loss arrived');
    t.equal(read.complete?.ErrorCode, 'ServiceException', 'InvokeComplete names the platform failure');
    t.match(read.complete?.ErrorDetails ?? '', /az-a-node-1|lost|zone/i);
  });
});
