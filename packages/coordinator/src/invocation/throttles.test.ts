import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { ScalingRate } from '../concurrency/scaling-rate.js';
import { serviceException } from '../errors.js';
import { ThrottleCause, ThrottleReason, Throttles, throttleError, throttleReasonOf } from './throttles.js';

t.test("each cause answers Lambda's 429 with its Reason, message and Retry-After", async (t) => {
  const expected = {
    [ThrottleCause.AccountConcurrency]: ['ConcurrentInvocationLimitExceeded', 'Rate Exceeded.', undefined],
    [ThrottleCause.ReservedConcurrency]: ['ReservedFunctionConcurrentInvocationLimitExceeded', 'Rate Exceeded.', undefined],
    [ThrottleCause.ScalingRate]: ['FunctionInvocationRateLimitExceeded', 'Rate Exceeded.', 1],
    [ThrottleCause.NoRoom]: ['ConcurrentInvocationLimitExceeded', 'Rate Exceeded.', 1],
    [ThrottleCause.AsyncQueueFull]: ['ConcurrentInvocationLimitExceeded', 'The asynchronous event queue is full.', 1],
  } as const;
  for (const [cause, [reason, message, retryAfterSec]] of Object.entries(expected)) {
    const e = throttleError(cause as ThrottleCause);
    t.match(e, { name: 'LambdaApiError', type: 'TooManyRequestsException', status: 429, message }, cause);
    t.equal(e.retryAfterSec, retryAfterSec, `${cause} Retry-After`);
    t.same(e.body(), { Reason: reason, Type: 'User', message }, `${cause} body`);
    t.equal(throttleReasonOf(e), reason);
  }
  t.equal(throttleReasonOf(serviceException('no')), undefined, 'a 500 is no throttle');
});

t.test('acquire: reserved, then the account pool; release gives it back', async (t) => {
  const concurrency = new ConcurrencyLimits(101);
  const throttles = new Throttles({ concurrency });
  concurrency.setReserved('r', 1);
  const a = throttles.acquire('r');
  t.ok(a.ok);
  t.match(throttles.acquire('r'), { ok: false, error: { extra: { Reason: ThrottleReason.ReservedFunctionConcurrentInvocationLimitExceeded } } });
  if (a.ok) a.release();
  t.ok(throttles.acquire('r').ok, 'free again');
  for (let i = 0; i < 100; i++) t.ok(throttles.acquire(`f${i}`).ok);
  t.match(throttles.acquire('g'), { ok: false, error: { extra: { Reason: ThrottleReason.ConcurrentInvocationLimitExceeded } } });
});

t.test('new environments follow the scaling rate; none without one', async (t) => {
  const clock = new ManualClock();
  const throttles = new Throttles({ concurrency: new ConcurrencyLimits(), scaling: new ScalingRate({ perTenSeconds: 2, timeScale: 1, clock }) });
  t.equal(throttles.newEnvironment('f'), undefined);
  t.equal(throttles.newEnvironment('f'), undefined);
  t.match(throttles.newEnvironment('f'), { status: 429, extra: { Reason: 'FunctionInvocationRateLimitExceeded' } });
  t.equal(throttles.newEnvironment('other'), undefined, 'per function');
  clock.advance(5_000);
  t.equal(throttles.newEnvironment('f'), undefined, 'refilled');
  const unlimited = new Throttles({ concurrency: new ConcurrencyLimits() });
  for (let i = 0; i < 10_000; i++) if (unlimited.newEnvironment('f')) t.fail('throttled without a scaling rate');
});

t.test('a throttled async event is retried unless reserved concurrency is 0', async (t) => {
  const concurrency = new ConcurrencyLimits();
  const throttles = new Throttles({ concurrency });
  concurrency.setReserved('zero', 0);
  concurrency.setReserved('one', 1);
  const reserved = throttleError(ThrottleCause.ReservedConcurrency);
  t.equal(throttles.retryable('zero', reserved), false);
  t.equal(throttles.retryable('one', reserved), true);
  t.equal(throttles.retryable('zero', throttleError(ThrottleCause.NoRoom)), true, 'only the reserved throttle ends it');
  t.equal(throttles.retryable('free', throttleError(ThrottleCause.AccountConcurrency)), true);
});
