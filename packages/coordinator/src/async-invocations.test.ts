/**
 * An async attempt's outcome from the invocation pipeline, as the dispatcher's retry rules see it:
 * which outcomes use the function-error retries, which back off, which end the event at once.
 */
import t from 'tap';
import type { FunctionSpec, InvokeResult } from '@zonesim/protocol';
import { classifyAttempt } from './async-invocations.js';
import { decideAfterAttempt } from './async/retry-rules.js';
import type { AsyncEvent } from './async/async-event.js';
import { resourceConflict, resourceNotFound, serviceException } from './errors.js';
import type { InvocationOutcome, InvocationTarget } from './invocation/invocation-outcome.js';
import { ThrottleCause, throttleError } from './invocation/throttles.js';
import { InvocationLostError } from './membership/pending-invocations.js';

const NOW = 1_700_000_000_000;
const TARGET = { spec: { version: '4' } as FunctionSpec } as InvocationTarget;
const RESULT = {} as InvokeResult;
const event = { receivedAt: NOW, maxEventAgeSec: 21_600, retriesOnError: 0, maxRetryAttempts: 2, backoffs: 0 } as AsyncEvent;
const decide = (o: InvocationOutcome, failover = true) => decideAfterAttempt(event, classifyAttempt(o, { failover }).attempt, NOW, { timeScale: 1, jitter: 0, random: () => 0.5 });

t.test('success and function errors ran: flushed before settling; function errors use the retries', async (t) => {
  const ok = classifyAttempt({ kind: 'success', requestId: 'e', target: TARGET, result: RESULT, payload: Buffer.from('{"a":1}') }, { failover: true });
  t.match(ok, { attempt: { kind: 'success', executedVersion: '4' }, ran: true, dropped: false });
  t.equal(String(ok.attempt.kind === 'success' && ok.attempt.payload), '{"a":1}');
  const fe = { errorType: 'Error', errorMessage: 'boom', trace: ['at x'] };
  const failed = classifyAttempt({ kind: 'function-error', requestId: 'e', target: TARGET, result: RESULT, functionError: fe }, { failover: true });
  t.same(failed, { attempt: { kind: 'function-error', errorType: 'Error', errorMessage: 'boom', payload: JSON.stringify(fe), executedVersion: '4' }, ran: true, dropped: false });
  t.match(decide({ kind: 'function-error', requestId: 'e', target: TARGET, result: RESULT, functionError: fe }), { action: 'retry', regime: 'function-error' });
});

t.test('throttles back off, except reserved concurrency 0, which ends the event', async (t) => {
  const throttled = (retryable: boolean): InvocationOutcome => ({ kind: 'throttled', requestId: 'e', target: TARGET, error: throttleError(ThrottleCause.ReservedConcurrency), reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryable });
  t.match(classifyAttempt(throttled(true), { failover: true }), { attempt: { kind: 'throttled', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryable: true }, ran: false });
  t.match(decide(throttled(true)), { action: 'retry', regime: 'backoff' });
  t.match(decide(throttled(false)), { action: 'finish', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
});

t.test('resolution: a deleted function ends the event (404); one not Active yet backs off (409)', async (t) => {
  const missing: InvocationOutcome = { kind: 'platform-error', stage: 'resolve', requestId: 'e', error: resourceNotFound('Function not found: f'), mayHaveRun: false };
  t.same(classifyAttempt(missing, { failover: true }).attempt, { kind: 'platform-error', code: 'ResourceNotFoundException', message: 'Function not found: f', statusCode: 404, retryable: false });
  t.match(decide(missing), { action: 'finish', reason: 'ResourceNotFoundException' });
  const pending: InvocationOutcome = { kind: 'platform-error', stage: 'resolve', requestId: 'e', error: resourceConflict('not yet'), mayHaveRun: false };
  t.same(classifyAttempt(pending, { failover: true }).attempt, { kind: 'platform-error', code: 'ResourceConflictException', message: 'not yet', statusCode: 409 });
  t.match(decide(pending), { action: 'retry', regime: 'backoff' });
});

t.test('a zone lost mid-run: a platform error that may have run, or with failover off a dropped event', async (t) => {
  const lost: InvocationOutcome = { kind: 'platform-error', stage: 'route', requestId: 'e', target: TARGET, error: serviceException('lost', new InvocationLostError('lost', true)), mayHaveRun: true };
  t.same(classifyAttempt(lost, { failover: true }), { attempt: { kind: 'platform-error', code: 'ServiceException', message: 'lost', mayHaveRun: true }, ran: false, dropped: false });
  t.match(decide(lost), { action: 'retry', regime: 'backoff' });
  t.same(classifyAttempt(lost, { failover: false }), { attempt: { kind: 'success', executedVersion: '4' }, ran: false, dropped: true });
  const before: InvocationOutcome = { ...lost, mayHaveRun: false };
  t.match(classifyAttempt(before, { failover: false }), { attempt: { kind: 'platform-error', mayHaveRun: false }, dropped: false }, 'nothing ran: not dropped even with failover off');
});
