import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock, systemClock, type Clock } from '@zonesim/common';
import { AsyncDispatcher } from './async-dispatcher.js';
import { DEAD_LETTER_DESTINATION, type AsyncEvent, type NewAsyncEvent } from './async-event.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import type { DestinationRecord } from './destination-record.js';
import type { AsyncDispatcherOptions } from './dispatcher-options.js';
import { EventStore } from './event-store.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST';
const SINK = 'arn:aws:lambda:us-east-1:000000000000:function:sink';

const fnError: AttemptOutcome = {
  kind: 'function-error',
  errorType: 'Error',
  errorMessage: 'boom',
  payload: JSON.stringify({ errorType: 'Error', errorMessage: 'boom', trace: ['Error: boom'] }),
};
const throttled: AttemptOutcome = { kind: 'throttled', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' };
const success: AttemptOutcome = { kind: 'success', payload: '{"ok":true}' };

/** A fresh directory per call (tap's `testdir()` is one directory per test, recreated on each call). */
function freshDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-async-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Call {
  eventId: string;
  attempt: number;
  at: number;
}

interface Harness {
  clock: ManualClock;
  store: EventStore;
  dispatcher: AsyncDispatcher;
  calls: Call[];
  delivered: Array<{ arn: string; record: DestinationRecord; source: AsyncEvent }>;
  enqueue(event?: Partial<NewAsyncEvent>): Promise<string>;
  /** Moves the manual clock forward in steps of `step` ms, letting attempts settle after each. */
  advance(ms: number, step?: number): Promise<void>;
}

let ids = 0;

/**
 * A dispatcher on a real store with a manual clock, a scripted `invoke` (one outcome per attempt,
 * the last one repeating) and a recording function-destination.
 */
function setup(
  t: Test,
  script: (event: AsyncEvent, attempt: number) => AttemptOutcome | Promise<AttemptOutcome>,
  options: AsyncDispatcherOptions & { deliverFails?: boolean } = {},
): Harness {
  const clock = new ManualClock();
  const store = new EventStore({ dataDir: freshDir(t) }, { clock });
  const calls: Call[] = [];
  const delivered: Harness['delivered'] = [];
  const { deliverFails, ...dispatcherOptions } = options;
  const dispatcher = new AsyncDispatcher(
    {
      store,
      clock,
      random: () => 0.5,
      invoke: async (event, attempt) => {
        calls.push({ eventId: event.eventId, attempt, at: clock.now() });
        return script(event, attempt);
      },
      deliverToFunction: async (arn, record, source) => {
        if (deliverFails) throw new Error('destination unreachable');
        delivered.push({ arn, record, source });
      },
    },
    { jitter: 0, pollIntervalMs: 100, ...dispatcherOptions },
  );
  t.teardown(async () => {
    await dispatcher.stop();
    store.close();
  });
  return {
    clock,
    store,
    dispatcher,
    calls,
    delivered,
    async enqueue(event = {}) {
      const eventId = event.eventId ?? `req-${++ids}`;
      await store.enqueue({ eventId, functionName: 'f', payload: Buffer.from('{"n":1}'), ...event });
      dispatcher.wake();
      await dispatcher.whenIdle();
      return eventId;
    },
    async advance(ms, step = 100) {
      for (let done = 0; done < ms; done += step) {
        clock.advance(Math.min(step, ms - done));
        await dispatcher.whenIdle();
      }
    },
  };
}

/** Outcomes in order; the last one repeats. */
const sequence = (...outcomes: AttemptOutcome[]) => (_e: AsyncEvent, attempt: number): AttemptOutcome =>
  outcomes[Math.min(attempt, outcomes.length) - 1]!;

t.test('fails twice then succeeds: delivered on the 3rd attempt, ~1 min then ~2 min apart', async (t) => {
  const h = setup(t, sequence(fnError, fnError, success));
  await h.dispatcher.start();
  const t0 = h.clock.now();
  const id = await h.enqueue({ onSuccess: SINK });
  await h.advance(200_000, 1_000);
  t.same(h.calls.map((c) => [c.attempt, c.at - t0]), [[1, 0], [2, 60_000], [3, 180_000]]);
  t.equal(h.delivered.length, 1);
  t.match(h.delivered[0], { arn: SINK, record: { requestContext: { requestId: id, condition: 'Success', approximateInvokeCount: 3 }, responsePayload: { ok: true } } });
  t.match(h.store.get(id), { status: 'done', outcome: 'Success', attempt: 3, retriesOnError: 2 });
  t.match(h.dispatcher.counters, { attempts: 3, functionErrors: 2, retries: 2, successes: 1, finished: { Success: 1 }, duplicates: 0 });
});

t.test('always failing: after 2 retries, RetriesExhausted to the on-failure function, in Lambda\'s record shape', async (t) => {
  const h = setup(t, sequence(fnError));
  await h.dispatcher.start();
  const id = await h.enqueue({ onFailure: SINK });
  await h.advance(200_000, 1_000);
  t.equal(h.calls.length, 3, '1 attempt + 2 retries');
  t.equal(h.delivered.length, 1);
  const { arn, record } = h.delivered[0]!;
  t.equal(arn, SINK);
  t.same(record, {
    version: '1.0',
    timestamp: new Date(h.calls[2]!.at).toISOString(),
    requestContext: { requestId: id, functionArn: ARN, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: { n: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'boom', trace: ['Error: boom'] },
  });
  t.match(h.store.get(id), { status: 'done', outcome: 'RetriesExhausted' });
  t.equal(h.store.stats().dead, 0, 'delivered to the function, not dead-lettered');
  t.match(h.dispatcher.counters, { finished: { RetriesExhausted: 1 }, destinationDeliveries: 1 });
});

t.test('always failing without an on-failure destination: the dead-letter store gets it, with the record', async (t) => {
  const h = setup(t, sequence(fnError));
  await h.dispatcher.start();
  const id = await h.enqueue();
  await h.advance(200_000, 1_000);
  const [dl] = h.store.listDeadLetters();
  t.match(dl, {
    id,
    functionName: 'f',
    attempts: 3,
    condition: 'RetriesExhausted',
    reason: 'RetriesExhausted',
    record: { requestContext: { requestId: id, condition: 'RetriesExhausted', approximateInvokeCount: 3 }, responseContext: { functionError: 'Unhandled' } },
    lastError: { kind: 'function-error', errorType: 'Error', errorMessage: 'boom' },
  });
  t.same(JSON.parse(dl!.payload.toString()), { n: 1 });
  t.match(h.store.get(id), { status: 'dead' });
  t.same(h.dispatcher.counters.deadLettered, { RetriesExhausted: 1 });

  const explicit = await h.enqueue({ onFailure: DEAD_LETTER_DESTINATION, maxRetryAttempts: 0 });
  t.match(h.store.getDeadLetter(explicit), { condition: 'RetriesExhausted', attempts: 1 });
  t.equal(h.delivered.length, 0);
});

t.test('maxRetryAttempts 0: the first function error ends the event', async (t) => {
  const h = setup(t, sequence(fnError, success));
  await h.dispatcher.start();
  const id = await h.enqueue({ maxRetryAttempts: 0, onFailure: SINK });
  await h.advance(200_000, 1_000);
  t.equal(h.calls.length, 1);
  t.match(h.delivered[0]!.record.requestContext, { condition: 'RetriesExhausted', approximateInvokeCount: 1 });
  t.match(h.store.get(id), { retriesOnError: 0, outcome: 'RetriesExhausted' });
});

t.test('maxRetryAttempts 1: one retry, after about a minute', async (t) => {
  const h = setup(t, sequence(fnError));
  await h.dispatcher.start();
  const t0 = h.clock.now();
  await h.enqueue({ maxRetryAttempts: 1 });
  await h.advance(300_000, 1_000);
  t.same(h.calls.map((c) => c.at - t0), [0, 60_000]);
  t.match(h.store.listDeadLetters()[0], { attempts: 2, condition: 'RetriesExhausted' });
});

t.test('throttled until too old: backoff 1 s, 2 s, 4 s ... then EventAgeExceeded at the maximum age', async (t) => {
  const h = setup(t, sequence(throttled));
  await h.dispatcher.start();
  const t0 = h.clock.now();
  const id = await h.enqueue({ maxEventAgeSec: 60, onFailure: SINK });
  await h.advance(70_000);
  t.same(h.calls.map((c) => c.at - t0), [0, 1_000, 3_000, 7_000, 15_000, 31_000], 'the next backoff (32 s) would pass the age: it ends at 60 s');
  t.equal(h.delivered.length, 1);
  const { record } = h.delivered[0]!;
  t.same(record.requestContext, { requestId: id, functionArn: ARN, condition: 'EventAgeExceeded', approximateInvokeCount: 6 });
  t.same(record.responseContext, { statusCode: 429, executedVersion: '$LATEST' });
  t.same(record.responsePayload, { errorType: 'TooManyRequestsException', errorMessage: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  t.equal(record.timestamp, new Date(t0 + 60_000).toISOString(), 'ended at its maximum age, not at the next backoff');
  t.match(h.store.get(id), { retriesOnError: 0, backoffs: 6, outcome: 'EventAgeExceeded' });
  t.match(h.dispatcher.counters, { throttles: 6, backoffs: 6, retries: 0, expiredBeforeAttempt: 1, finished: { EventAgeExceeded: 1 } });
});

t.test('the backoff is capped at 5 minutes', async (t) => {
  const h = setup(t, sequence(throttled), { timeScale: 60 });
  await h.dispatcher.start();
  const t0 = h.clock.now();
  await h.enqueue();
  await h.advance(30_000, 100);
  const gaps = h.calls.slice(1).map((c, i) => c.at - h.calls[i]!.at);
  // Scaled by 60: 1 s..5 min become 16.7 ms..5 s, rounded up to the 100 ms poll.
  t.same(gaps.slice(-2), [5_000, 5_000], `gaps ${gaps.join(',')} end at the cap`);
  t.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]!), 'backoff never shrinks');
  t.ok(h.calls.at(-1)!.at - t0 <= 30_000);
});

t.test('throttles and platform errors do not consume the function-error retries', async (t) => {
  const lost: AttemptOutcome = { kind: 'platform-error', code: 'ZONE_LOST', message: 'zone a went down' };
  const h = setup(t, sequence(throttled, lost, fnError, throttled, fnError, success));
  await h.dispatcher.start();
  const id = await h.enqueue({ onSuccess: SINK });
  await h.advance(400_000, 1_000);
  t.equal(h.calls.length, 6);
  t.match(h.delivered[0]!.record.requestContext, { condition: 'Success', approximateInvokeCount: 6 });
  t.match(h.store.get(id), { retriesOnError: 2, status: 'done' });
  t.match(h.dispatcher.counters, { throttles: 2, platformErrors: 1, functionErrors: 2, retries: 2, backoffs: 3, successes: 1 });
});

t.test('an event already past its maximum age ends with EventAgeExceeded without running', async (t) => {
  const h = setup(t, sequence(success));
  await h.dispatcher.start();
  const id = await h.enqueue({ maxEventAgeSec: 60, receivedAt: h.clock.now() - 60_000 });
  t.equal(h.calls.length, 0, 'never invoked');
  const dl = h.store.getDeadLetter(id)!;
  t.match(dl, { condition: 'EventAgeExceeded', reason: 'EventAgeExceeded', attempts: 0 });
  t.same(dl.record, {
    version: '1.0',
    timestamp: new Date(h.clock.now()).toISOString(),
    requestContext: { requestId: id, functionArn: ARN, condition: 'EventAgeExceeded', approximateInvokeCount: 0 },
    requestPayload: { n: 1 },
    responseContext: { executedVersion: '$LATEST' },
    responsePayload: null,
  });
});

t.test('time scale 60: a 1-minute retry takes 1 s, a 2-minute one 2 s, and a 60 s maximum age 1 s', async (t) => {
  const h = setup(t, sequence(fnError, fnError, success), { timeScale: 60 });
  await h.dispatcher.start();
  const t0 = h.clock.now();
  await h.enqueue();
  await h.advance(5_000, 50);
  t.same(h.calls.map((c) => c.at - t0), [0, 1_000, 3_000]);

  const aged = setup(t, sequence(throttled), { timeScale: 60 });
  await aged.dispatcher.start();
  const id = await aged.enqueue({ maxEventAgeSec: 60 });
  await aged.advance(999, 1);
  t.equal(aged.store.get(id)!.status, 'queued', 'not yet too old at 999 ms');
  await aged.advance(1, 1);
  t.match(aged.store.getDeadLetter(id), { condition: 'EventAgeExceeded' });
});

t.test('time scale 60 on the real clock: a function-error retry comes about 1 s later', async (t) => {
  const store = new EventStore({ dataDir: freshDir(t) }, { clock: systemClock });
  const times: number[] = [];
  let delivered!: () => void;
  const done = new Promise<void>((r) => (delivered = r));
  const dispatcher = new AsyncDispatcher(
    {
      store,
      clock: systemClock as Clock,
      invoke: async () => {
        times.push(performance.now());
        return times.length === 1 ? fnError : success;
      },
      deliverToFunction: async () => delivered(),
    },
    { timeScale: 60, pollIntervalMs: 20 },
  );
  // systemClock's timers are unref'd (a coordinator's server keeps it alive); hold the loop open here.
  const keepAlive = setInterval(() => undefined, 1_000);
  t.teardown(async () => {
    clearInterval(keepAlive);
    await dispatcher.stop();
    store.close();
  });
  await dispatcher.start();
  await store.enqueue({ eventId: 'real', functionName: 'f', payload: Buffer.from('{}'), onSuccess: SINK });
  dispatcher.wake();
  await done;
  const gap = times[1]! - times[0]!;
  // 60 s / 60 = 1 s, ±10 % jitter, plus up to one 20 ms poll.
  t.ok(gap >= 880 && gap < 1_600, `retry ${gap.toFixed(0)} ms after the first attempt`);
});

t.test('the concurrency bound is respected', async (t) => {
  let running = 0;
  let peak = 0;
  const release: Array<() => void> = [];
  const h = setup(
    t,
    () => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<AttemptOutcome>((resolve) =>
        release.push(() => {
          running--;
          resolve(success);
        }),
      );
    },
    { maxConcurrentAttempts: 4 },
  );
  await h.dispatcher.start();
  await Promise.all(Array.from({ length: 20 }, (_, i) => h.store.enqueue({ eventId: `c${i}`, functionName: 'f', payload: Buffer.from('{}') })));
  h.dispatcher.wake();
  await new Promise((r) => setImmediate(r));
  t.equal(running, 4, 'four attempts start at once');
  t.equal(h.dispatcher.inFlight, 4);
  t.equal(h.store.stats().inFlight, 4, 'the other events stay queued, not claimed');
  while (h.calls.length < 20 || running > 0) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  await h.dispatcher.whenIdle();
  t.equal(peak, 4);
  t.equal(h.store.stats().done, 20);
});

t.test('a platform error that may have run makes the next delivery a counted duplicate', async (t) => {
  const lostMidRun: AttemptOutcome = { kind: 'platform-error', code: 'ZONE_LOST', message: 'zone died', mayHaveRun: true };
  const h = setup(t, sequence(lostMidRun, success));
  await h.dispatcher.start();
  const id = await h.enqueue();
  await h.advance(2_000);
  t.equal(h.calls.length, 2);
  t.match(h.store.get(id), { status: 'done', deliveries: 2, duplicates: 1 });
  t.equal(h.dispatcher.counters.duplicates, 1);
  t.match(h.store.stats(), { deliveries: 2, duplicates: 1 });
});

t.test('invoke throwing is a platform error: backed off, not lost', async (t) => {
  let n = 0;
  const h = setup(t, () => {
    if (++n === 1) throw Object.assign(new Error('router exploded'), { code: 'NO_CAPACITY' });
    return success;
  });
  await h.dispatcher.start();
  const id = await h.enqueue();
  t.match(h.store.get(id), { status: 'queued', lastError: { kind: 'platform-error', errorType: 'NO_CAPACITY', errorMessage: 'router exploded' } });
  await h.advance(1_000);
  t.match(h.store.get(id), { status: 'done', duplicates: 1 });
});

t.test('a throttle that cannot be retried (reserved concurrency 0) goes straight to the on-failure path', async (t) => {
  const h = setup(t, sequence({ kind: 'throttled', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryable: false }));
  await h.dispatcher.start();
  const id = await h.enqueue();
  t.equal(h.calls.length, 1);
  t.match(h.store.getDeadLetter(id), { condition: 'RetriesExhausted', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
});

t.test('an on-failure function that cannot take the record: the event is dead-lettered instead', async (t) => {
  const h = setup(t, sequence(fnError), { deliverFails: true });
  await h.dispatcher.start();
  const id = await h.enqueue({ maxRetryAttempts: 0, onFailure: SINK });
  t.match(h.store.getDeadLetter(id), { condition: 'RetriesExhausted', reason: 'DestinationDeliveryFailed' });
  t.match(h.dispatcher.counters, { destinationFailures: 1, deadLettered: { DestinationDeliveryFailed: 1 } });

  // A failed on-success delivery is counted, but the event is still a success (not dead-lettered).
  const s = setup(t, sequence(success), { deliverFails: true });
  await s.dispatcher.start();
  const ok = await s.enqueue({ onSuccess: SINK });
  t.match(s.store.get(ok), { status: 'done', outcome: 'Success' });
  t.match(s.dispatcher.counters, { destinationFailures: 1, finished: { Success: 1 } });
});

t.test('default function destination: the record becomes an async event of the destination function, with a loop guard', async (t) => {
  const clock = new ManualClock();
  const store = new EventStore({ dataDir: freshDir(t) }, { clock });
  const seen: AsyncEvent[] = [];
  const dispatcher = new AsyncDispatcher(
    { store, clock, invoke: async (e) => (seen.push(e), e.functionName === 'f' ? fnError : success) },
    { jitter: 0, maxDestinationDepth: 2 },
  );
  t.teardown(async () => {
    await dispatcher.stop();
    store.close();
  });
  await dispatcher.start();
  await store.enqueue({ eventId: 'src', functionName: 'f', payload: Buffer.from('{"a":1}'), maxRetryAttempts: 0, onFailure: SINK });
  dispatcher.wake();
  await dispatcher.whenIdle();
  t.same(seen.map((e) => e.functionName), ['f', 'sink'], 'the sink ran with the record as its event');
  const sink = seen[1]!;
  t.match(sink, { qualifier: '$LATEST', destinationDepth: 1 });
  t.match(JSON.parse(sink.payload.toString()), {
    version: '1.0',
    requestContext: { requestId: 'src', functionArn: ARN, condition: 'RetriesExhausted', approximateInvokeCount: 1 },
    requestPayload: { a: 1 },
  });
  t.match(store.get('src'), { status: 'done', outcome: 'RetriesExhausted' });

  // Depth 2 is the limit: an event already 2 hops deep cannot hand its record on.
  await store.enqueue({ eventId: 'deep', functionName: 'f', payload: Buffer.from('{}'), maxRetryAttempts: 0, onFailure: SINK, destinationDepth: 2 });
  dispatcher.wake();
  await dispatcher.whenIdle();
  t.match(store.getDeadLetter('deep'), { reason: 'RecursiveInvocation', condition: 'RetriesExhausted' });
  t.equal(seen.length, 3, 'no sink event for the too-deep chain');
});

t.test('wake() runs a fresh event at once, without waiting for a poll', async (t) => {
  const h = setup(t, sequence(success), { pollIntervalMs: 3_600_000 });
  await h.dispatcher.start();
  await h.enqueue();
  t.equal(h.calls.length, 1);
});

t.test('stop() leaves a stuck attempt in flight after its grace; the next start re-delivers it as a duplicate', async (t) => {
  const clock = new ManualClock();
  const dataDir = freshDir(t);
  const store = new EventStore({ dataDir }, { clock });
  t.teardown(() => store.close());
  let signal: AbortSignal | undefined;
  const stuck = new AsyncDispatcher(
    {
      store,
      clock,
      invoke: (_e, _a, o) => {
        signal = o.signal;
        return new Promise<AttemptOutcome>(() => undefined);
      },
    },
    { stopGraceMs: 1_000 },
  );
  await stuck.start();
  await store.enqueue({ eventId: 'x', functionName: 'f', payload: Buffer.from('{}') });
  stuck.wake();
  await new Promise((r) => setImmediate(r));
  t.equal(stuck.inFlight, 1);
  const stopping = stuck.stop();
  t.equal(stuck.stop(), stopping, 'stop is safe twice');
  clock.advance(1_000);
  await stopping;
  t.equal(stuck.state, 'stopped');
  t.ok(signal?.aborted, 'the abandoned attempt was told through its signal');
  t.match(stuck.counters, { abandoned: 1 });
  t.match(store.get('x'), { status: 'in-flight', attemptOpen: true });

  const calls: number[] = [];
  const next = new AsyncDispatcher({ store, clock, invoke: async (_e, attempt) => (calls.push(attempt), success) });
  await next.start();
  await next.start();
  await next.whenIdle();
  t.same(calls, [2]);
  t.match(store.get('x'), { status: 'done', deliveries: 2, duplicates: 1 });
  t.equal(next.counters.duplicates, 1);
  await next.stop();
  await next.stop();
});

t.test('an invoke that never settles is timed out as a platform error that may have run', async (t) => {
  let n = 0;
  const h = setup(t, () => (++n === 1 ? new Promise<AttemptOutcome>(() => undefined) : success), { attemptTimeoutMs: 5_000 });
  await h.dispatcher.start();
  await h.store.enqueue({ eventId: 'hang', functionName: 'f', payload: Buffer.from('{}') });
  h.dispatcher.wake();
  while (h.calls.length === 0) await new Promise((r) => setImmediate(r));
  h.clock.advance(4_999);
  await new Promise((r) => setImmediate(r));
  t.match(h.store.get('hang'), { status: 'in-flight' }, 'still waiting just before the timeout');
  h.clock.advance(1);
  await h.dispatcher.whenIdle();
  t.match(h.store.get('hang'), { status: 'queued', lastError: { kind: 'platform-error', errorType: 'ATTEMPT_TIMEOUT' } });
  await h.advance(2_000);
  t.match(h.store.get('hang'), { status: 'done', deliveries: 2, duplicates: 1 });
  t.match(h.dispatcher.counters, { platformErrors: 1, successes: 1 });
});

t.test('options are validated with the field named', async (t) => {
  const store = new EventStore({ dataDir: freshDir(t) }, { clock: systemClock });
  t.teardown(() => store.close());
  const make = (o: AsyncDispatcherOptions) => () => new AsyncDispatcher({ store, clock: systemClock, invoke: async () => success }, o);
  t.throws(make({ timeScale: 0 }), /timeScale must be a number > 0/);
  t.throws(make({ jitter: 1 }), /jitter must be a number in \[0, 1\)/);
  t.throws(make({ maxConcurrentAttempts: 0 }), /maxConcurrentAttempts must be an integer >= 1/);
  t.throws(make({ pollIntervalMs: 1.5 }), /pollIntervalMs/);
  t.throws(make({ accountId: '1' }), /accountId/);
  t.equal(new AsyncDispatcher({ store, clock: systemClock, invoke: async () => success }, { timeScale: 60 }).options.scaledLeaseMs, 1_000);
  t.equal(new AsyncDispatcher({ store, clock: systemClock, invoke: async () => success }, { timeScale: 600 }).options.scaledLeaseMs, 1_000, 'not below 1 s');
});
