import t from 'tap';
import type { AsyncEvent } from './async-event.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { backoffDelayMs, decideAfterAttempt, expiresAt, functionErrorDelayMs, isExpired, scaleDelay, type TimingRules } from './retry-rules.js';

const exact: TimingRules = { timeScale: 1, jitter: 0, random: () => 0.5 };
const NOW = 1_700_000_000_000;

const event = (extra: Partial<AsyncEvent> = {}): AsyncEvent => ({
  eventId: 'e',
  functionName: 'f',
  qualifier: '$LATEST',
  payload: Buffer.from('{}'),
  receivedAt: NOW,
  attempt: 1,
  retriesOnError: 0,
  backoffs: 0,
  maxRetryAttempts: 2,
  maxEventAgeSec: 21_600,
  onSuccess: undefined,
  onFailure: undefined,
  destinationDepth: 0,
  nextAttemptAt: NOW,
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

const fnError: AttemptOutcome = { kind: 'function-error', errorType: 'Error', errorMessage: 'x' };
const throttle: AttemptOutcome = { kind: 'throttled', reason: 'ConcurrentInvocationLimitExceeded' };

t.test("Lambda's delays: ~1 min then ~2 min for function errors; 1 s doubling to 5 min for backoff", async (t) => {
  t.same([0, 1, 2].map(functionErrorDelayMs), [60_000, 120_000, 120_000]);
  t.same([0, 1, 2, 3, 8, 9, 100].map(backoffDelayMs), [1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000]);
});

t.test('scaleDelay divides by the time scale and jitters within ±jitter', async (t) => {
  t.equal(scaleDelay(60_000, { ...exact, timeScale: 60 }), 1_000);
  t.equal(scaleDelay(60_000, { timeScale: 1, jitter: 0.1, random: () => 0 }), 54_000);
  t.equal(scaleDelay(60_000, { timeScale: 1, jitter: 0.1, random: () => 0.999_999_9 }), 66_000);
  t.equal(scaleDelay(1_000, { ...exact, timeScale: 3 }), 334, 'rounded up to whole ms');
});

t.test('age: expired exactly at receivedAt + max age (scaled)', async (t) => {
  const e = event({ maxEventAgeSec: 60 });
  t.equal(expiresAt(e, 1), NOW + 60_000);
  t.notOk(isExpired(e, NOW + 59_999, 1));
  t.ok(isExpired(e, NOW + 60_000, 1));
  t.ok(isExpired(e, NOW + 1_000, 60), 'scaled by 60: one second');
});

t.test('function errors use the retries, then RetriesExhausted', async (t) => {
  t.same(decideAfterAttempt(event(), fnError, NOW, exact), {
    action: 'retry',
    regime: 'function-error',
    nextAttemptAt: NOW + 60_000,
    retriesOnError: 1,
    backoffs: 0,
  });
  t.match(decideAfterAttempt(event({ retriesOnError: 1 }), fnError, NOW, exact), { action: 'retry', nextAttemptAt: NOW + 120_000, retriesOnError: 2 });
  t.same(decideAfterAttempt(event({ retriesOnError: 2 }), fnError, NOW, exact), { action: 'finish', condition: 'RetriesExhausted', reason: 'RetriesExhausted' });
  t.match(decideAfterAttempt(event({ maxRetryAttempts: 0 }), fnError, NOW, exact), { action: 'finish', condition: 'RetriesExhausted' });
});

t.test('throttles back off without using the retries; a retry is never scheduled past the expiry', async (t) => {
  t.same(decideAfterAttempt(event({ retriesOnError: 2, backoffs: 3 }), throttle, NOW, exact), {
    action: 'retry',
    regime: 'backoff',
    nextAttemptAt: NOW + 8_000,
    retriesOnError: 2,
    backoffs: 4,
  });
  const old = event({ maxEventAgeSec: 60, receivedAt: NOW - 50_000 });
  t.match(decideAfterAttempt(old, { kind: 'platform-error', code: 'ZONE_LOST', message: '' }, NOW, { ...exact }), { nextAttemptAt: NOW + 1_000 });
  t.match(decideAfterAttempt(old, fnError, NOW, exact), { action: 'retry', nextAttemptAt: NOW + 10_000 }, 'clamped to the expiry');
  t.match(decideAfterAttempt(event(), { ...throttle, retryable: false }, NOW, exact), { action: 'finish', condition: 'RetriesExhausted', reason: 'ConcurrentInvocationLimitExceeded' });
  t.same(decideAfterAttempt(event(), { kind: 'success' }, NOW, exact), { action: 'finish', condition: 'Success', reason: 'Success' });
});
