/**
 * The invocation pipeline with fakes for the registry, the router and the ledger, and the real
 * concurrency accounting: one resolution per request, every throttle from one place, one ledger
 * record per attempt that got past resolution, concurrency always given back (issue 16).
 */
import t from 'tap';
import { ManualClock, seededEntropy, silentLogger } from '@zonesim/common';
import type { LedgerRecord } from '@zonesim/ledger';
import type { FunctionSpec, InvokeResult } from '@zonesim/protocol';
import { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { LambdaApiError, resourceNotFound, serviceException } from '../errors.js';
import { InvocationLostError } from '../membership/pending-invocations.js';
import type { FunctionRecord, FunctionState, FunctionVersionView } from '../registry/function-record.js';
import type { RouteRequest, RouteTrace } from '../router/router.js';
import { InvocationPipeline, type InvocationRegistry } from './invocation-pipeline.js';
import { ThrottleCause, Throttles, throttleError } from './throttles.js';

const ACCOUNT = { region: 'us-east-1', accountId: '000000000000' };

function view(name: string, version: string): FunctionVersionView {
  return { name, version, architecture: 'x86_64', runtime: 'nodejs20.x', memorySize: 128, ephemeralStorageMb: 512 } as FunctionVersionView;
}

/** A registry of one function `fn` with version 1 and an alias `live` that draws between 1 and 2. */
function fakeRegistry(state: FunctionState = 'Active'): InvocationRegistry & { picks: number } {
  const record = { ...view('fn', '$LATEST'), state } as FunctionRecord;
  let draw = 0;
  const fake = {
    picks: 0,
    get(name: string) {
      if (name !== 'fn') throw resourceNotFound(`Function not found: ${name}`);
      return record;
    },
    resolve(name: string, qualifier: string | undefined, options: { pick?: boolean } = {}) {
      if (name !== 'fn') throw resourceNotFound(`Function not found: ${name}`);
      if (options.pick) fake.picks++;
      if (qualifier === undefined || qualifier === '$LATEST') return record;
      if (qualifier === '1') return view('fn', '1');
      if (qualifier === 'live') return view('fn', options.pick && draw++ % 2 === 1 ? '2' : '1');
      throw resourceNotFound(`Function not found: fn:${qualifier}`);
    },
    spec(v: FunctionVersionView) {
      return { specKey: `fn:${v.version}`, functionName: v.name, version: v.version, memoryMb: 128, timeoutSec: 3 } as FunctionSpec;
    },
  };
  return fake as unknown as InvocationRegistry & { picks: number };
}

function result(outcome: 'success' | 'function-error', extra: Partial<InvokeResult> = {}): InvokeResult {
  return {
    type: 'invoke-result',
    invocationId: 'i-1',
    outcome,
    placement: { zone: 'az-a', nodeId: 'az-a-node-1', environmentId: 'env-1', cold: false },
    timings: { receivedAt: 0, startedAt: 1_700_000_000_001, endedAt: 1_700_000_000_003, durationMs: 2, billedMs: 2, maxMemoryUsedMb: 40 },
    environmentKept: true,
    ...extra,
  } as InvokeResult;
}

type Route = (r: RouteRequest) => Promise<InvokeResult>;

function setup(route: Route, options: { state?: FunctionState; accountLimit?: number } = {}) {
  const clock = new ManualClock();
  const concurrency = new ConcurrencyLimits(options.accountLimit ?? 1000);
  const registry = fakeRegistry(options.state);
  const records: { record: LedgerRecord; trace: RouteTrace | undefined }[] = [];
  const routed: RouteRequest[] = [];
  const pipeline = new InvocationPipeline(
    { account: ACCOUNT },
    {
      registry,
      router: {
        route: (r) => {
          routed.push(r);
          r.trace!.steps = [{ at: clock.now(), nodeId: 'az-a-node-1', zone: 'az-a', reason: 'warm environment on az-a-node-1' }];
          r.trace!.dispatchedAt = clock.now();
          clock.advance(5);
          return route(r);
        },
      },
      throttles: new Throttles({ concurrency }),
      ledger: { record: (record, trace) => records.push({ record, trace }) },
      clock,
      entropy: seededEntropy('pipeline-test'),
      log: silentLogger(),
    },
  );
  return { clock, concurrency, registry, records, routed, pipeline };
}

const payload = new TextEncoder().encode('{"a":1}');

t.test('success: routed once, one ledger record with the placement steps, concurrency given back', async (t) => {
  let inFlightWhileRouting = -1;
  const s = setup(async () => {
    inFlightWhileRouting = s.concurrency.inFlight('fn');
    return result('success', { payload: new TextEncoder().encode('"ok"') });
  });
  const o = await s.pipeline.run({ requestId: 'r-1', invocationType: 'RequestResponse', functionName: 'fn', payload, logTail: true, clientContext: '{}' });
  t.equal(o.kind, 'success');
  if (o.kind !== 'success') return;
  t.equal(o.payload.toString(), '"ok"');
  t.equal(o.target.spec.version, '$LATEST');
  t.equal(inFlightWhileRouting, 1, 'one unit of concurrency held while it runs');
  t.equal(s.concurrency.inFlight('fn'), 0, 'and given back');
  t.match(s.routed[0], { requestId: 'r-1', logTail: true, clientContext: '{}', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn' });
  t.equal(s.records.length, 1);
  const r = s.records[0]!;
  t.match(r.record, {
    requestId: 'r-1',
    attempt: 1,
    invocationType: 'RequestResponse',
    functionName: 'fn',
    version: '$LATEST',
    outcome: 'success',
    zone: 'az-a',
    receivedAt: 1_700_000_000_000,
    dispatchedAt: 1_700_000_000_000,
    respondedAt: 1_700_000_000_005,
    placement: 'warm environment on az-a-node-1',
  });
  t.equal(r.trace?.steps?.length, 1, 'the trace goes with the record (the dashboard explain steps)');
});

t.test('a function error is the runtime error, or Runtime.Unknown when the node gave none', async (t) => {
  const s = setup(async () => result('function-error', { functionError: { errorType: 'Error', errorMessage: 'boom' } }));
  const o = await s.pipeline.run({ invocationType: 'SQS', functionName: 'fn', payload });
  t.match(o, { kind: 'function-error', functionError: { errorType: 'Error', errorMessage: 'boom' } });
  t.match(s.records[0]?.record, { outcome: 'function-error', errorType: 'Error', invocationType: 'SQS' });
  t.match(o.requestId, /^[0-9a-f-]{36}$/, 'a request id from the entropy when the caller gave none');
  const bare = setup(async () => result('function-error'));
  t.match(await bare.pipeline.run({ invocationType: 'FunctionUrl', functionName: 'fn', payload }), { kind: 'function-error', functionError: { errorType: 'Runtime.Unknown', errorMessage: 'unknown error' } });
});

t.test('reserved concurrency throttles before routing, records the throttle, and reserved 0 is not retryable', async (t) => {
  const s = setup(async () => result('success'));
  s.concurrency.setReserved('fn', 0);
  const o = await s.pipeline.run({ invocationType: 'Event', functionName: 'fn', payload });
  t.match(o, { kind: 'throttled', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryable: false, error: { status: 429, type: 'TooManyRequestsException' } });
  t.equal(s.routed.length, 0, 'nothing routed');
  t.match(s.records[0]?.record, { outcome: 'throttled', errorType: 'TooManyRequestsException', throttleReason: 'ReservedFunctionConcurrentInvocationLimitExceeded', billedMs: 0 });
  let release: (() => void) | undefined;
  const held = setup(
    () =>
      new Promise<InvokeResult>((resolve) => {
        release = () => resolve(result('success'));
      }),
  );
  held.concurrency.setReserved('fn', 1);
  const first = held.pipeline.run({ invocationType: 'Event', functionName: 'fn', payload });
  const second = await held.pipeline.run({ invocationType: 'Event', functionName: 'fn', payload });
  t.match(second, { kind: 'throttled', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryable: true }, 'reserved 1 in use: retryable');
  release!();
  t.equal((await first).kind, 'success');
  t.equal(held.concurrency.inFlight('fn'), 0);
});

t.test('the account pool throttles unreserved functions with ConcurrentInvocationLimitExceeded', async (t) => {
  const s = setup(async () => result('success'), { accountLimit: 100 });
  for (let i = 0; i < 100; i++) s.concurrency.tryAcquire(`other-${i}`);
  const o = await s.pipeline.run({ invocationType: 'RequestResponse', functionName: 'fn', payload });
  t.match(o, { kind: 'throttled', reason: 'ConcurrentInvocationLimitExceeded', retryable: true });
  t.equal(o.kind === 'throttled' ? o.error.retryAfterSec : -1, undefined, 'no Retry-After for a concurrency throttle');
});

t.test("the router's throttles (scaling rate, no room) come back as throttled, recorded, with concurrency released", async (t) => {
  for (const cause of [ThrottleCause.ScalingRate, ThrottleCause.NoRoom]) {
    const s = setup(async () => {
      throw throttleError(cause);
    });
    const o = await s.pipeline.run({ invocationType: 'RequestResponse', functionName: 'fn', payload });
    t.match(o, { kind: 'throttled', retryable: true, error: { retryAfterSec: 1 } }, cause);
    t.equal(s.concurrency.inFlight('fn'), 0);
    t.match(s.records[0]?.record, { outcome: 'throttled', dispatchedAt: 1_700_000_000_000 });
  }
});

t.test('a zone lost, its acceptance seen or not: may have run, recorded as lost (issue 19: an acceptance can be lost with the link)', async (t) => {
  const lost = (accepted: boolean) => async (): Promise<InvokeResult> => {
    throw serviceException('Internal error while running the function (NODE_LOST): gone', new InvocationLostError('gone', accepted));
  };
  const after = setup(lost(true));
  t.match(await after.pipeline.run({ invocationType: 'Event', functionName: 'fn', payload }), { kind: 'platform-error', stage: 'route', mayHaveRun: true, error: { type: 'ServiceException' } });
  t.match(after.records[0]?.record, { outcome: 'lost' });
  const before = setup(lost(false));
  t.match(await before.pipeline.run({ invocationType: 'Event', functionName: 'fn', payload }), { kind: 'platform-error', mayHaveRun: true });
  t.match(before.records[0]?.record, { outcome: 'lost', errorType: 'ServiceException' });
  t.equal(before.concurrency.inFlight('fn'), 0);
});

t.test('an error that is not Lambda\'s becomes a ServiceException without its internals', async (t) => {
  const s = setup(async () => {
    throw new TypeError('x is undefined');
  });
  const o = await s.pipeline.run({ invocationType: 'RequestResponse', functionName: 'fn', payload });
  t.match(o, { kind: 'platform-error', stage: 'route', error: { type: 'ServiceException', status: 500, message: 'An internal error occurred.' } });
  t.match(s.records[0]?.record, { outcome: 'service-error', errorType: 'ServiceException' });
});

t.test('resolution failures: 404 and 409, nothing taken, nothing recorded', async (t) => {
  const s = setup(async () => result('success'));
  const missing = await s.pipeline.run({ invocationType: 'Event', functionName: 'nope', payload });
  t.match(missing, { kind: 'platform-error', stage: 'resolve', mayHaveRun: false, error: { status: 404, type: 'ResourceNotFoundException' } });
  t.match(await s.pipeline.run({ invocationType: 'Event', functionName: 'fn', qualifier: '7', payload }), { kind: 'platform-error', stage: 'resolve', error: { status: 404 } });
  const pending = setup(async () => result('success'), { state: 'Pending' });
  const o = await pending.pipeline.run({ invocationType: 'SQS', functionName: 'fn', payload });
  t.match(o, {
    kind: 'platform-error',
    stage: 'resolve',
    error: { status: 409, type: 'ResourceConflictException', message: 'The operation cannot be performed at this time. The function is currently in the following state: Pending' },
  });
  t.throws(() => pending.pipeline.resolve('fn', undefined), LambdaApiError);
  t.equal(s.records.length + pending.records.length, 0);
  t.equal(s.routed.length + pending.routed.length, 0);
  t.equal(s.concurrency.inFlight('fn'), 0);
});

t.test('one resolution per request: a resolved target is run as is, an alias draws once', async (t) => {
  const s = setup(async () => result('success'));
  const target = s.pipeline.resolve('fn', 'live');
  t.equal(s.registry.picks, 1);
  const o = await s.pipeline.run({ invocationType: 'RequestResponse', functionName: 'fn', qualifier: 'live', target, payload });
  t.equal(s.registry.picks, 1, 'no second draw');
  t.equal(o.kind === 'success' && o.target, target);
  t.equal(s.routed[0]?.spec.version, '1');
  t.equal(s.routed[0]?.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:fn:live');
  t.match(s.records[0]?.record, { qualifier: 'live', version: '1' });
  await s.pipeline.run({ invocationType: 'Event', functionName: 'fn', qualifier: 'live', payload });
  t.equal(s.registry.picks, 2, 'each attempt without a target resolves once');
  t.equal(s.routed[1]?.spec.version, '2');
});

t.test("the caller's timestamps: receivedAt, queuedAt capped at it, attempt and duplicate", async (t) => {
  const s = setup(async () => result('success'));
  await s.pipeline.run({ requestId: 'e-1', invocationType: 'Event', functionName: 'fn', payload, attempt: 3, receivedAt: 1_700_000_000_000, queuedAt: 1_700_000_009_000, duplicate: true });
  t.match(s.records[0]?.record, { requestId: 'e-1', attempt: 3, receivedAt: 1_700_000_000_000, queuedAt: 1_700_000_000_000, duplicate: true });
  await s.pipeline.run({ invocationType: 'SQS', functionName: 'fn', payload, attempt: 0, queuedAt: 1_699_999_999_000 });
  t.match(s.records[1]?.record, { attempt: 1, queuedAt: 1_699_999_999_000 });
  t.notOk('duplicate' in s.records[1]!.record);
});
