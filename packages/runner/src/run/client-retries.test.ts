import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock, SeededRandom } from '@zonesim/common';
import { NdjsonWriter, type Arrival, type HistoryOp, type ResolvedClient } from '@zonesim/scenario';
import type { ClusterClient, InvokeAnswer } from '../client/cluster-client.js';
import { backoffMs, failureKind, RetryBudget } from './client-retries.js';
import { LoadDriver } from './load-driver.js';

const RETRIES: NonNullable<ResolvedClient['retries']> = { max: 3, on: ['throttle', 'error', 'timeout'], baseMs: 100, maxMs: 1_000, multiplier: 2, jitter: 'full' };
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('which answers are retried', async (t) => {
  t.equal(failureKind({ status: 200 }, 200), undefined);
  t.equal(failureKind({ status: 429, errorType: 'TooManyRequestsException' }, 200), 'throttle');
  t.equal(failureKind({ status: 502, errorType: 'ServiceException' }, 200), 'error');
  t.equal(failureKind({ status: null, errorType: 'ECONNRESET' }, 200), 'error');
  t.equal(failureKind({ status: null, errorType: 'ClientTimeout' }, 200), 'timeout');
  t.equal(failureKind({ status: 400, errorType: 'InvalidRequestContentException' }, 200), undefined, 'a bad request is not retried');
  t.equal(failureKind({ status: 202 }, 202), undefined);
});

t.test('exponential backoff, capped, with full, equal or no jitter', async (t) => {
  const random = new SeededRandom('b');
  t.same([1, 2, 3, 4, 5].map((n) => backoffMs({ ...RETRIES, jitter: 'none' }, n, random)), [100, 200, 400, 800, 1_000]);
  for (let n = 1; n <= 6; n++) {
    const ceiling = Math.min(1_000, 100 * 2 ** (n - 1));
    const full = backoffMs(RETRIES, n, random);
    const equal = backoffMs({ ...RETRIES, jitter: 'equal' }, n, random);
    t.ok(full >= 0 && full <= ceiling, `full jitter ${full} in [0, ${ceiling}]`);
    t.ok(equal >= ceiling / 2 && equal <= ceiling, `equal jitter ${equal} in [${ceiling / 2}, ${ceiling}]`);
  }
});

t.test('a retry budget allows ratio x calls plus a floor over a sliding window', async (t) => {
  const clock = new ManualClock();
  const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0, windowMs: 10_000 }, clock);
  for (let i = 0; i < 100; i++) budget.deposit();
  const allowed = Array.from({ length: 15 }, () => budget.tryWithdraw()).filter(Boolean).length;
  t.equal(allowed, 10, 'a tenth of 100 calls');
  clock.advance(11_000);
  t.notOk(budget.tryWithdraw(), 'the window slid past the calls: nothing to retry against');
  const floor = new RetryBudget({ ratio: 0, minPerSecond: 2, windowMs: 5_000 }, clock);
  t.equal(Array.from({ length: 20 }, () => floor.tryWithdraw()).filter(Boolean).length, 10, '2 per second over 5 s without any call');
});

async function drive(t: Test, client: ResolvedClient, answers: InvokeAnswer[]): Promise<{ ops: HistoryOp[]; calls: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-retries-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  let calls = 0;
  const cluster: ClusterClient = {
    invoke: async () => answers[Math.min(calls++, answers.length - 1)]!,
    sendMessage: async () => ({ status: 200 }),
    invokeWithLogTail: async () => undefined,
  };
  const history = new NdjsonWriter<HistoryOp>(join(dir, 'history.ndjson'));
  const driver = new LoadDriver({ client: cluster, clock, history, target: (fn) => ({ name: fn, timeoutMs: 1_000 }), clients: new Map([[0, client]]), random: new SeededRandom('r') });
  const running = driver.run([{ seq: 0, workload: 0, function: 'f', invocation: 'sync', atMs: 0 } as Arrival], clock.now(), new AbortController().signal);
  for (let i = 0; i < 200; i++) {
    clock.advance(50);
    await settle();
  }
  await running;
  await driver.drain();
  await history.close();
  const ops = (await readFile(join(dir, 'history.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as HistoryOp);
  return { ops, calls };
}

t.test('the load driver retries a failed call after a backoff and records one operation with its attempts', async (t) => {
  const { ops, calls } = await drive(t, { retries: RETRIES }, [{ status: 429 }, { status: null, errorType: 'ClientTimeout' }, { status: 200, requestId: 'r' }]);
  t.equal(calls, 3);
  t.equal(ops.length, 1, 'one operation, as the caller sees it');
  t.match(ops[0], { result: 'ok', status: 200, attempts: 3 });
  t.ok(ops[0]!.endedAt > ops[0]!.intendedAt, 'its latency includes the backoff');

  const gaveUp = await drive(t, { retries: { ...RETRIES, max: 2 } }, [{ status: 503 }]);
  t.equal(gaveUp.calls, 3, 'the first call and 2 retries');
  t.match(gaveUp.ops[0], { result: 'fail', status: 503, attempts: 3 });

  const notRetried = await drive(t, { retries: { ...RETRIES, on: ['throttle'] } }, [{ status: 503 }]);
  t.equal(notRetried.calls, 1, 'an error is not retried when only throttles are');

  const budgeted = await drive(t, { retries: RETRIES, budget: { ratio: 0, minPerSecond: 0, windowMs: 10_000 } }, [{ status: 429 }]);
  t.equal(budgeted.calls, 1, 'an empty budget allows no retry');
  t.match(budgeted.ops[0], { result: 'fail', budgetExhausted: true });
  t.notOk('attempts' in budgeted.ops[0]!, 'a single call records no attempts');
});
