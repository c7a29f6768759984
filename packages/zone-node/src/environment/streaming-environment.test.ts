/**
 * Response streaming in real environments (issue 17): Node's `awslambda.streamifyResponse` in a
 * process and in a worker, and a custom runtime posting in the Runtime API's streaming mode. The
 * bytes reach the caller's stream target as the handler writes them (in order, the content type
 * with the first), or come back joined as the payload when nobody reads a stream; failures midway,
 * timeouts and the streaming limit end the invocation with what was written before them delivered.
 */
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { writeCodeDir } from '../test-util/code-dir.js';
import { testEnvironment, type TestEnvironment } from '../test-util/environment-harness.js';
import { functionSpecFor } from '../test-util/function-spec.js';
import type { ResponseStreamTarget } from './response-stream.js';
import type { EnvironmentInvokeResult, IsolationMode } from './types.js';

/** A target that records each write with its content type; `onWrite` sees each as it comes. */
interface RecordingTarget extends ResponseStreamTarget {
  writes: Array<{ data: Buffer; contentType: string | undefined }>;
  text(): string;
  bytes(): Buffer;
}

function recordingTarget(maxBytes = 1024 * 1024, onWrite?: (text: string) => void): RecordingTarget {
  const writes: Array<{ data: Buffer; contentType: string | undefined }> = [];
  return {
    maxBytes,
    writes,
    write(data, contentType) {
      writes.push({ data: Buffer.from(data), contentType });
      onWrite?.(Buffer.from(data).toString('utf8'));
    },
    text: () => Buffer.concat(writes.map((w) => w.data)).toString('utf8'),
    bytes: () => Buffer.concat(writes.map((w) => w.data)),
  };
}

const text = (r: EnvironmentInvokeResult): string | undefined => (r.payload ? Buffer.from(r.payload).toString('utf8') : undefined);
const logs = (r: EnvironmentInvokeResult): string => JSON.stringify(r.logLines);

/** Streaming handlers, one behaviour per `event.do`; `sync` and `badMark` are the malformed ones. */
const NODE_CODE = `import { pipeline as pipelineCb, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  switch (event.do) {
    case 'write':
      responseStream.setContentType('text/plain; charset=utf-8');
      responseStream.write('one;');
      await sleep(10);
      responseStream.write(Buffer.from('two;'));
      await sleep(10);
      responseStream.end('three:' + context.awsRequestId);
      return;
    case 'default-type':
      responseStream.write('x');
      responseStream.end();
      return;
    case 'empty':
      responseStream.setContentType('application/json');
      responseStream.end();
      return;
    case 'pipeline':
      responseStream.setContentType('text/csv');
      await pipeline(Readable.from(['a,', 'b,', Buffer.from('c')]), responseStream);
      return;
    case 'pipeline-callback':
      await new Promise((resolve, reject) => pipelineCb(Readable.from(['x', 'y', 'z']), responseStream, (err) => (err ? reject(err) : resolve())));
      return;
    case 'http': {
      const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'x-custom': 'yes' }, cookies: ['a=1'] });
      stream.write('hello ');
      stream.end('body');
      return;
    }
    case 'throw':
      responseStream.write('before;');
      await sleep(10);
      throw new TypeError('broke after writing');
    case 'late-type':
      responseStream.write('x');
      responseStream.setContentType('text/late');
      responseStream.end();
      return;
    case 'timeout':
      responseStream.write('early;');
      await sleep(60_000);
      return;
    case 'big':
      for (let i = 0; i < event.n; i++) responseStream.write(Buffer.alloc(event.size, 120));
      responseStream.end();
      return;
    case 'endless':
      for (;;) {
        responseStream.write('x'.repeat(4));
        await sleep(5);
      }
    case 'end-later':
      responseStream.write('now;');
      setTimeout(() => responseStream.end('later'), 80);
      return;
    case 'never-end':
      responseStream.write('open');
      return;
    case 'destroy':
      responseStream.write('cut');
      responseStream.destroy();
      return;
    case 'uncaught':
      responseStream.write('before-crash;');
      setTimeout(() => { throw new RangeError('uncaught midway'); }, 10);
      await sleep(60_000);
      return;
  }
});

export const sync = awslambda.streamifyResponse((event, responseStream) => {
  responseStream.end('never');
});

export const badMark = async () => 'x';
badMark[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'bidirectional';
`;

function nodeSuite(t: Test, isolation: IsolationMode): void {
  const harness = (tt: Test, overrides: Partial<FunctionSpec> = {}): TestEnvironment =>
    testEnvironment(tt, {
      spec: functionSpecFor('streaming', { runtime: 'nodejs20.x', handler: 'index.handler', ...overrides }),
      codeDir: writeCodeDir(tt, { 'index.mjs': NODE_CODE }, 'zonesim-stream-'),
      isolation,
    });

  t.test('writes reach the target in order, the content type with the first; no payload, streamed', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'write' }, { requestId: 'stream-1', stream: target });
    t.equal(r.outcome, 'success', logs(r));
    t.same(
      target.writes.map((w) => [w.data.toString('utf8'), w.contentType]),
      [
        ['one;', 'text/plain; charset=utf-8'],
        ['two;', undefined],
        ['three:stream-1', undefined],
      ],
      'each write as one piece, in order; the context is the third argument',
    );
    t.equal(r.streamed, true);
    t.equal(r.contentType, 'text/plain; charset=utf-8');
    t.equal(r.payload, undefined, 'the bytes went to the stream, not into a payload');
    t.ok(r.environmentKept);
    t.ok(r.logLines.includes('END RequestId: stream-1'));

    // Warm, without a target: the same handler's writes come back joined.
    const joined = await h.invoke({ do: 'write' }, { requestId: 'joined-2' });
    t.equal(joined.outcome, 'success', logs(joined));
    t.equal(text(joined), 'one;two;three:joined-2');
    t.notOk(joined.streamed, 'nobody read a stream');
    t.equal(joined.contentType, 'text/plain; charset=utf-8');
    t.equal(joined.initMs, undefined, 'warm');
    t.equal(target.writes.length, 3, "the first invocation's target sees nothing of the second");
  });

  t.test('the default content type is application/octet-stream; an empty stream keeps the one set', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'default-type' }, { stream: target });
    t.equal(r.outcome, 'success', logs(r));
    t.same(target.writes.map((w) => [w.data.toString('utf8'), w.contentType]), [['x', 'application/octet-stream']]);
    t.equal(r.contentType, 'application/octet-stream');

    const empty = recordingTarget();
    const e = await h.invoke({ do: 'empty' }, { stream: empty });
    t.equal(e.outcome, 'success', logs(e));
    t.same(empty.writes, [], 'no bytes, no writes');
    t.equal(e.streamed, true);
    t.equal(e.contentType, 'application/json');

    const joined = await h.invoke({ do: 'empty' });
    t.equal(joined.outcome, 'success');
    t.equal(text(joined) ?? '', '', 'an empty payload');
    t.equal(joined.contentType, 'application/json');
  });

  t.test('stream.pipeline(Readable.from([...]), responseStream) streams and ends the invocation', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'pipeline' }, { stream: target });
    t.equal(r.outcome, 'success', logs(r));
    t.equal(target.text(), 'a,b,c');
    t.equal(target.writes[0]?.contentType, 'text/csv');
    t.equal(r.streamed, true);
    const cb = await h.invoke({ do: 'pipeline-callback' });
    t.equal(cb.outcome, 'success', logs(cb));
    t.equal(text(cb), 'xyz', 'the callback pipeline, joined');
  });

  t.test('HttpResponseStream.from puts the JSON prelude and 8 NUL bytes before the body', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'http' }, { stream: target });
    t.equal(r.outcome, 'success', logs(r));
    const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-custom': 'yes' }, cookies: ['a=1'] });
    t.same(target.bytes(), Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from('hello body')]));
    t.equal(target.writes[0]?.contentType, 'application/vnd.awslambda.http-integration-response');
    t.equal(target.writes[0]?.data.toString('utf8'), prelude, 'the prelude is the first write');
    t.equal(r.contentType, 'application/vnd.awslambda.http-integration-response');
    const joined = await h.invoke({ do: 'http' });
    t.same(Buffer.from(joined.payload ?? []), target.bytes(), 'joined: the same bytes');
  });

  t.test("a non-async streaming handler fails with errorType 'string'", async (t) => {
    const h = harness(t, { handler: 'index.sync' });
    const r = await h.invoke({}, { stream: recordingTarget() });
    t.equal(r.outcome, 'function-error', logs(r));
    t.match(r.functionError, { errorType: 'string', errorMessage: 'Streaming does not support non-async handlers.' });
    t.equal(r.streamed, true);
    t.ok(r.environmentKept, 'a handled failure keeps the environment');
  });

  t.test('a handler that throws after writing: function-error, the bytes delivered, environment kept', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'throw' }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.match(r.functionError, { errorType: 'TypeError', errorMessage: 'broke after writing' });
    t.equal(target.text(), 'before;');
    t.equal(r.streamed, true);
    t.ok(r.environmentKept);
    t.ok(r.logLines.some((l) => l.includes('Invoke Error') && l.includes('broke after writing')), 'logged as an Invoke Error');
    const again = await h.invoke({ do: 'write' }, { requestId: 'after-throw' });
    t.equal(text(again), 'one;two;three:after-throw', 'the environment still streams');
  });

  t.test('setContentType after a write is Runtime.InvalidStreamingOperation', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'late-type' }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.match(r.functionError, { errorType: 'Runtime.InvalidStreamingOperation', errorMessage: 'Cannot set content-type, too late.' });
    t.equal(target.text(), 'x');
    t.equal(r.streamed, true);
    t.ok(r.environmentKept);
  });

  t.test('a timeout mid-stream is Sandbox.Timedout; the bytes written before it were delivered', async (t) => {
    const h = harness(t, { timeoutSec: 1 });
    let earlyAt = 0;
    const target = recordingTarget(1024, () => (earlyAt ||= Date.now()));
    const r = await h.invoke({ do: 'timeout' }, { requestId: 'slow-1', stream: target });
    const endedAt = Date.now();
    t.equal(r.outcome, 'function-error');
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: slow-1 Error: Task timed out after 1.00 seconds' });
    t.equal(target.text(), 'early;');
    t.ok(endedAt - earlyAt >= 500, 'the early bytes came while the handler ran, not at the end');
    t.equal(r.streamed, true);
    t.notOk(r.environmentKept, 'a timeout discards the environment');
    t.match(r.logLines.find((l) => l.startsWith('REPORT ')) ?? '', /Status: timeout/);
  });

  t.test('a streaming mark other than response fails INIT with Runtime.MalformedStreamingHandler', async (t) => {
    const h = harness(t, { handler: 'index.badMark' });
    const r = await h.invoke({}, { stream: recordingTarget() });
    t.equal(r.outcome, 'function-error');
    t.match(r.functionError, { errorType: 'Runtime.MalformedStreamingHandler', errorMessage: 'Only response streaming is supported.' });
    t.notOk(r.environmentKept);
    t.ok(r.logLines.some((l) => l.startsWith('INIT_REPORT') && l.includes('Runtime.MalformedStreamingHandler')), logs(r));
    t.equal(h.env.state, 'dead');
  });

  t.test('the invocation ends when the stream ends, not when the handler returns', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'end-later' }, { stream: target });
    t.equal(r.outcome, 'success', logs(r));
    t.equal(target.text(), 'now;later', 'the write after the handler returned is part of the response');
    t.ok(r.durationMs >= 60, `the invocation lasted until the end (${r.durationMs} ms)`);

    // Returned with the stream still open and nothing left to run: the loop drained (RIC's NodeJsExit).
    const open = recordingTarget();
    const o = await h.invoke({ do: 'never-end' }, { stream: open });
    t.equal(o.outcome, 'function-error');
    t.equal(o.functionError?.errorType, 'Runtime.NodeJsExit');
    t.equal(open.text(), 'open');
    t.equal(o.streamed, true);
    t.ok(o.environmentKept);

    // Destroyed instead of ended.
    const cut = recordingTarget();
    const d = await h.invoke({ do: 'destroy' }, { stream: cut });
    t.match(d.functionError, { errorType: 'string', errorMessage: 'Response stream is not finished.' });
    t.equal(cut.text(), 'cut');
    t.ok(d.environmentKept);
  });

  t.test('an uncaught error mid-stream: the bytes before it delivered, the environment discarded', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'uncaught' }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.match(r.functionError, { errorType: 'RangeError', errorMessage: 'uncaught midway' });
    t.equal(target.text(), 'before-crash;');
    t.equal(r.streamed, true);
    t.notOk(r.environmentKept);
  });

  t.test("past the target's limit: Function.ResponseSizeTooLarge, no byte past it delivered", async (t) => {
    const h = harness(t);
    const target = recordingTarget(10);
    const r = await h.invoke({ do: 'big', n: 3, size: 5 }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.same(r.functionError, { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (10 bytes).' });
    t.equal(target.text(), 'x'.repeat(10), 'exactly the limit went out');
    t.equal(r.streamed, true);
    t.equal(r.payload, undefined);
    t.notOk(r.environmentKept, 'the runtime was stopped: its handler would have gone on writing');
    t.notOk(r.logLines.some((l) => /Runtime exited|Runtime\.ExitError/.test(l)), 'the log names the limit, not the stop');

    const atLimit = recordingTarget(10);
    const ok = await harness(t).invoke({ do: 'big', n: 2, size: 5 }, { stream: atLimit });
    t.equal(ok.outcome, 'success', 'exactly at the limit is fine');
    t.equal(atLimit.text(), 'x'.repeat(10));
  });

  t.test('a handler that never stops writing ends at the limit, not at its timeout', async (t) => {
    const r = await harness(t, { timeoutSec: 30 }).invoke({ do: 'endless' }, { stream: recordingTarget(64) });
    t.match(r.functionError, { errorType: 'Function.ResponseSizeTooLarge' }, 'not Sandbox.Timedout');
    t.ok(r.durationMs < 30_000, `ended before its timeout (${r.durationMs} ms)`);
  });
}

t.test('Node.js, process isolation', async (t) => nodeSuite(t, 'process'));
t.test('Node.js, worker isolation', async (t) => nodeSuite(t, 'worker'));

/**
 * A custom runtime in Node that answers each event in the Runtime API's streaming mode (a chunked
 * POST), per `event.do`: pieces with pauses between them, a failure in the error trailers, more
 * than the limit, or a sleep past the timeout.
 */
const CUSTOM_BOOTSTRAP = `#!/usr/bin/env node
const http = require('node:http');
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const next = () => new Promise((resolve, reject) => http.get(api + '/next', (res) => {
  const parts = [];
  res.on('data', (c) => parts.push(c));
  res.on('end', () => resolve({ id: res.headers['lambda-runtime-aws-request-id'], event: JSON.parse(Buffer.concat(parts).toString()) }));
}).on('error', reject));
function open(id, contentType) {
  const req = http.request(api + '/' + id + '/response', { method: 'POST', headers: {
    'Lambda-Runtime-Function-Response-Mode': 'streaming',
    'Transfer-Encoding': 'chunked',
    'Content-Type': contentType,
    Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
  } });
  const status = new Promise((resolve) => {
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => resolve('error'));
  });
  req.flushHeaders();
  return { req, status, write: (s) => new Promise((r) => req.write(s, () => r())) };
}
(async () => {
  for (;;) {
    const { id, event } = await next();
    const s = open(id, 'text/plain');
    switch (event.do) {
      case 'fail': {
        await s.write('partial;');
        await sleep(10);
        const body = JSON.stringify({ errorType: 'Custom.Broke', errorMessage: 'broke midway', stackTrace: ['at step two'] });
        s.req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'Custom.Broke', 'Lambda-Runtime-Function-Error-Body': Buffer.from(body).toString('base64') });
        s.req.end();
        break;
      }
      case 'big':
        for (let i = 0; i < 4; i++) { await s.write('x'.repeat(5)); await sleep(10); }
        s.req.end();
        break;
      case 'sleep':
        await s.write('early;');
        await sleep(30000);
        break;
      default:
        await s.write('c1;');
        await sleep(10);
        await s.write('c2;');
        await sleep(10);
        await s.write('c3');
        s.req.end();
    }
    console.log('answered ' + (await s.status));
  }
})();
`;

t.test('custom runtime (provided.al2023): the Runtime API streaming mode', async (t) => {
  // Unsandboxed (no sandbox component): the bootstrap's `env node` finds the machine's node on PATH.
  const harness = (tt: Test, overrides: Partial<FunctionSpec> = {}): TestEnvironment =>
    testEnvironment(tt, {
      spec: functionSpecFor('custom-stream', { runtime: 'provided.al2023', handler: 'function.handler', ...overrides }),
      codeDir: writeCodeDir(tt, { bootstrap: { content: CUSTOM_BOOTSTRAP, mode: 0o755 } }, 'zonesim-stream-custom-'),
    });

  t.test('chunks reach the target in order with the content type; joined without a target', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({}, { stream: target });
    t.equal(r.outcome, 'success', logs(r));
    t.equal(target.text(), 'c1;c2;c3');
    t.equal(target.writes[0]?.contentType, 'text/plain');
    t.ok(target.writes.slice(1).every((w) => w.contentType === undefined), 'the content type with the first write only');
    t.equal(r.streamed, true);
    t.equal(r.contentType, 'text/plain');
    t.equal(r.payload, undefined);
    t.ok(r.environmentKept);

    const joined = await h.invoke({});
    t.equal(joined.outcome, 'success', logs(joined));
    t.equal(text(joined), 'c1;c2;c3');
    t.notOk(joined.streamed);
    t.equal(joined.contentType, 'text/plain');
    // The runtime prints the status after its answer: the line lands in this log or the next one.
    t.ok([...r.logLines, ...joined.logLines].includes('answered 202'), 'the runtime was told 202');
  });

  t.test('error trailers: function-error with the posted error, the bytes before it delivered, environment kept', async (t) => {
    const h = harness(t);
    const target = recordingTarget();
    const r = await h.invoke({ do: 'fail' }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.same(r.functionError, { errorType: 'Custom.Broke', errorMessage: 'broke midway', stackTrace: ['at step two'] });
    t.equal(target.text(), 'partial;');
    t.equal(r.streamed, true);
    t.ok(r.environmentKept);
    const after = await h.invoke({}, { stream: recordingTarget() });
    t.equal(after.outcome, 'success', 'the runtime answers the next event');
  });

  t.test("past the target's limit: 413 to the runtime, Function.ResponseSizeTooLarge to the caller", async (t) => {
    const h = harness(t);
    const target = recordingTarget(12);
    const r = await h.invoke({ do: 'big' }, { stream: target });
    t.equal(r.outcome, 'function-error', logs(r));
    t.same(r.functionError, { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (12 bytes).' });
    t.ok(target.bytes().byteLength <= 12, 'no byte past the limit went out');
    t.equal(r.streamed, true);
    const after = await h.invoke({}, { stream: recordingTarget() });
    t.equal(after.outcome, 'success', logs(after));
    t.ok([...r.logLines, ...after.logLines].includes('answered 413'), 'the runtime was told 413');
  });

  t.test('a timeout mid-stream: Sandbox.Timedout with the early bytes delivered', async (t) => {
    const h = harness(t, { timeoutSec: 1 });
    const target = recordingTarget();
    const r = await h.invoke({ do: 'sleep' }, { requestId: 'custom-slow', stream: target });
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: custom-slow Error: Task timed out after 1.00 seconds' });
    t.equal(target.text(), 'early;');
    t.equal(r.streamed, true);
    t.notOk(r.environmentKept);
  });
});
