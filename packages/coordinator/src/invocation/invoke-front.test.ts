/** Lambda's Invoke as values: the checks, the three invocation types and the answer's headers. */
import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { MAX_LOG_TAIL_BYTES, type FunctionSpec, type InvokeResult } from '@zonesim/protocol';
import { LambdaApiError } from '../errors.js';
import type { NewAsyncEvent } from '../async/index.js';
import type { FunctionRecord } from '../registry/function-record.js';
import type { InvocationOutcome, InvocationRequest, InvocationTarget } from './invocation-outcome.js';
import type { InvocationPipeline } from './invocation-pipeline.js';
import { InvokeFront, MAX_ASYNC_PAYLOAD_BYTES } from './invoke-front.js';
import { ThrottleCause, throttleError } from './throttles.js';

const TARGET = {
  record: { name: 'fn', version: '$LATEST', eventInvokeConfig: { maximumRetryAttempts: 1 } } as unknown as FunctionRecord,
  view: { name: 'fn', version: '3' },
  spec: { version: '3' } as FunctionSpec,
} as InvocationTarget;

function result(outcome: 'success' | 'function-error', extra: Partial<InvokeResult> = {}): InvokeResult {
  return {
    type: 'invoke-result',
    invocationId: 'i-1',
    outcome,
    placement: { zone: 'az-b', nodeId: 'az-b-node-1', environmentId: 'env-7', cold: true },
    timings: { receivedAt: 0, startedAt: 0, endedAt: 0, initMs: 12.345, durationMs: 3.21, billedMs: 4, maxMemoryUsedMb: 50 },
    environmentKept: true,
    ...extra,
  } as InvokeResult;
}

function front(answer: (r: InvocationRequest) => InvocationOutcome) {
  const runs: InvocationRequest[] = [];
  const accepted: NewAsyncEvent[] = [];
  const pipeline = {
    resolve: (name: string) => {
      if (name !== 'fn') throw new LambdaApiError('ResourceNotFoundException', 404, 'Function not found');
      return TARGET;
    },
    run: async (r: InvocationRequest) => {
      runs.push(r);
      return answer(r);
    },
  } as unknown as InvocationPipeline;
  const f = new InvokeFront(
    { account: { region: 'us-east-1', accountId: '000000000000' } },
    { pipeline, asyncInvocations: { accept: async (e) => void accepted.push(e) }, clock: new ManualClock() },
  );
  return { f, runs, accepted };
}

const ok = (r: InvocationRequest): InvocationOutcome => ({ kind: 'success', requestId: r.requestId!, target: TARGET, result: result('success'), payload: Buffer.from('"hi"') });

t.test('the head: invocation type, log type, function reference, body limit', async (t) => {
  const { f } = front(ok);
  t.throws(() => f.parse({ functionName: 'fn', invocationType: 'Later' }), { name: 'LambdaApiError', type: 'InvalidParameterValueException', status: 400 });
  t.throws(() => f.parse({ functionName: 'fn', logType: 'All' }), { name: 'LambdaApiError', type: 'ValidationException', status: 400 });
  t.throws(() => f.parse({ functionName: 'arn:aws:lambda:eu-west-1:000000000000:function:fn' }), { name: 'LambdaApiError', type: 'ResourceNotFoundException' });
  t.match(f.parse({ functionName: 'fn:live', logType: 'Tail' }), { ref: { name: 'fn', qualifier: 'live' }, invocationType: 'RequestResponse', logTail: true, bodyLimit: 6 * 1024 * 1024 });
  t.match(f.parse({ functionName: 'fn', invocationType: 'Event', logType: 'Tail' }), { logTail: false, bodyLimit: MAX_ASYNC_PAYLOAD_BYTES });
});

t.test('DryRun answers 204 with the version it would run; nothing runs', async (t) => {
  const { f, runs, accepted } = front(ok);
  const a = await f.invoke(f.parse({ functionName: 'fn', invocationType: 'DryRun' }), Buffer.alloc(0), 'r-1');
  t.same(a, { status: 204, headers: { 'content-length': 0, 'x-amzn-requestid': 'r-1', 'x-amz-executed-version': '3' }, body: Buffer.alloc(0) });
  t.equal(runs.length + accepted.length, 0);
});

t.test('Event is committed with its settings, then answered 202; an empty body is {}', async (t) => {
  const { f, runs, accepted } = front(ok);
  const a = await f.invoke(f.parse({ functionName: 'fn', invocationType: 'Event' }), Buffer.alloc(0), 'r-2');
  t.same(a.headers, { 'content-length': 0, 'x-amzn-requestid': 'r-2' });
  t.equal(a.status, 202);
  t.match(accepted, [{ eventId: 'r-2', functionName: 'fn', qualifier: '$LATEST', maxRetryAttempts: 1 }]);
  t.equal(accepted[0]?.payload.toString(), '{}');
  t.equal(runs.length, 0);
});

t.test('RequestResponse: the pipeline runs the resolved target; 200 with Lambda and zonesim headers', async (t) => {
  const tail = 'x'.repeat(MAX_LOG_TAIL_BYTES + 10) + 'END';
  const { f, runs } = front((r) => ({ kind: 'success', requestId: r.requestId!, target: TARGET, result: result('success', { logTail: tail }), payload: Buffer.from('"hi"') }));
  const context = Buffer.from('{"custom":1}').toString('base64');
  const a = await f.invoke(f.parse({ functionName: 'fn', logType: 'Tail', clientContext: context }), Buffer.from('{"a":1}'), 'r-3');
  t.match(runs[0], { requestId: 'r-3', invocationType: 'RequestResponse', functionName: 'fn', target: TARGET, logTail: true, clientContext: '{"custom":1}' });
  t.equal(a.status, 200);
  t.equal(a.body.toString(), '"hi"');
  t.match(a.headers, {
    'content-type': 'application/json',
    'content-length': 4,
    'x-amzn-requestid': 'r-3',
    'x-amz-executed-version': '3',
    'x-zonesim-zone': 'az-b',
    'x-zonesim-node': 'az-b-node-1',
    'x-zonesim-environment': 'env-7',
    'x-zonesim-cold': 'true',
    'x-zonesim-duration-ms': '3.21',
    'x-zonesim-billed-ms': 4,
    'x-zonesim-init-ms': '12.35',
  });
  const logged = Buffer.from(String(a.headers['x-amz-log-result']), 'base64');
  t.equal(logged.length, MAX_LOG_TAIL_BYTES, 'the last 4 KB of the log');
  t.ok(logged.toString().endsWith('END'));
  t.notOk('x-amz-function-error' in a.headers);
});

t.test('a function error is a 200 with X-Amz-Function-Error and the error as the body', async (t) => {
  const fe = { errorType: 'Error', errorMessage: 'boom', trace: ['at x'] };
  const { f } = front((r) => ({ kind: 'function-error', requestId: r.requestId!, target: TARGET, result: result('function-error', { functionError: fe }), functionError: fe }));
  const a = await f.invoke(f.parse({ functionName: 'fn' }), Buffer.from('{}'), 'r-4');
  t.equal(a.status, 200);
  t.equal(a.headers['x-amz-function-error'], 'Unhandled');
  t.same(JSON.parse(a.body.toString()), fe);
});

t.test('checks after resolution, in order; throttles and platform errors are thrown as they are', async (t) => {
  const { f, runs } = front(ok);
  await t.rejects(f.invoke(f.parse({ functionName: 'nope' }), Buffer.from('not json'), 'r'), { name: 'LambdaApiError', status: 404 }, 'the function first');
  await t.rejects(f.invoke(f.parse({ functionName: 'fn', clientContext: '!!' }), Buffer.from('not json'), 'r'), { name: 'LambdaApiError', type: 'InvalidRequestContentException', status: 400 }, 'then the payload');
  await t.rejects(f.invoke(f.parse({ functionName: 'fn', clientContext: Buffer.from('7').toString('base64') }), Buffer.from('{}'), 'r'), { name: 'LambdaApiError', type: 'InvalidParameterValueException' }, 'then the client context');
  t.equal(runs.length, 0);
  const throttle = throttleError(ThrottleCause.ReservedConcurrency);
  const throttled = front((r) => ({ kind: 'throttled', requestId: r.requestId!, target: TARGET, error: throttle, reason: 'x', retryable: true }));
  await t.rejects(throttled.f.invoke(throttled.f.parse({ functionName: 'fn' }), Buffer.from('{}'), 'r'), throttle);
});
