import t from 'tap';
import type { AsyncEvent } from './async-event.js';
import { buildDestinationRecord, fitRecord } from './destination-record.js';
import { destinationEventId } from './destinations.js';

const event = (extra: Partial<AsyncEvent> = {}): AsyncEvent => ({
  eventId: 'req-1',
  functionName: 'f',
  qualifier: 'live',
  payload: Buffer.from('{"order":7}'),
  receivedAt: 0,
  attempt: 1,
  retriesOnError: 0,
  backoffs: 0,
  maxRetryAttempts: 2,
  maxEventAgeSec: 60,
  onSuccess: undefined,
  onFailure: undefined,
  destinationDepth: 0,
  nextAttemptAt: 0,
  status: 'in-flight',
  leaseUntil: undefined,
  claimToken: 1,
  attemptOpen: true,
  deliveries: 1,
  duplicates: 0,
  redrives: 0,
  lastError: undefined,
  outcome: undefined,
  finishedAt: undefined,
  ...extra,
});

const base = { at: Date.UTC(2025, 0, 2, 3, 4, 5, 678), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f:live' };

t.test('success through an alias: the executed version comes from the outcome', async (t) => {
  const r = buildDestinationRecord({ ...base, event: event(), condition: 'Success', outcome: { kind: 'success', payload: Buffer.from('"done"'), executedVersion: '3' } });
  t.same(r, {
    version: '1.0',
    timestamp: '2025-01-02T03:04:05.678Z',
    requestContext: { requestId: 'req-1', functionArn: base.functionArn, condition: 'Success', approximateInvokeCount: 1 },
    requestPayload: { order: 7 },
    responseContext: { statusCode: 200, executedVersion: '3' },
    responsePayload: 'done',
  });
});

t.test('a function error without a payload still says errorType and errorMessage; an alias without a known version omits it', async (t) => {
  const r = buildDestinationRecord({ ...base, event: event({ attempt: 3 }), condition: 'RetriesExhausted', outcome: { kind: 'function-error', errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' } });
  t.same(r.responseContext, { statusCode: 200, functionError: 'Unhandled' });
  t.same(r.responsePayload, { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' });
  t.equal(r.requestContext.approximateInvokeCount, 3);
});

t.test('EventAgeExceeded after a restart uses the stored last error', async (t) => {
  const r = buildDestinationRecord({
    ...base,
    event: event({ qualifier: '$LATEST', lastError: { kind: 'platform-error', statusCode: 500, errorType: 'ZONE_LOST', errorMessage: 'zone b down', at: 1 } }),
    condition: 'EventAgeExceeded',
  });
  t.same(r.responseContext, { statusCode: 500, executedVersion: '$LATEST' });
  t.same(r.responsePayload, { errorType: 'ZONE_LOST', errorMessage: 'zone b down' });
});

t.test('a payload that is not JSON is kept as text', async (t) => {
  const r = buildDestinationRecord({ ...base, event: event({ payload: Buffer.from('not json') }), condition: 'Success', outcome: { kind: 'success' } });
  t.equal(r.requestPayload, 'not json');
  t.equal(r.responsePayload, null);
});

t.test('fitRecord drops the response payload, then the request payload, as Lambda drops oversized payloads', async (t) => {
  const big = 'x'.repeat(2_000);
  const r = buildDestinationRecord({ ...base, event: event({ payload: Buffer.from(JSON.stringify(big)) }), condition: 'Success', outcome: { kind: 'success', payload: JSON.stringify(big) } });
  t.equal(fitRecord(r, 10_000), r, 'small enough: unchanged');
  const noResponse = fitRecord(r, 3_000);
  t.equal(noResponse.responsePayload, null);
  t.equal(noResponse.requestPayload, big);
  const neither = fitRecord(r, 1_000);
  t.same([neither.requestPayload, neither.responsePayload], [null, null]);
  t.same(neither.requestContext, r.requestContext, 'the context is kept');
});

t.test('destination event ids are stable per source, condition and redrive, and UUID-shaped', async (t) => {
  const a = destinationEventId({ eventId: 'req-1', redrives: 0 }, 'RetriesExhausted');
  t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(destinationEventId({ eventId: 'req-1', redrives: 0 }, 'RetriesExhausted'), a);
  t.not(destinationEventId({ eventId: 'req-1', redrives: 1 }, 'RetriesExhausted'), a);
  t.not(destinationEventId({ eventId: 'req-1', redrives: 0 }, 'Success'), a);
});
