import t from 'tap';
import { LambdaApiError } from '../errors.js';
import { ConcurrencyLimits } from './concurrency-limits.js';

const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return String((e as LambdaApiError).extra['Reason']);
  }
  return 'none';
};

t.test('reserved concurrency is a ceiling with its own 429 reason', async (t) => {
  const limits = new ConcurrencyLimits(1000);
  limits.setReserved('f', 2);
  const a = limits.acquire('f');
  limits.acquire('f');
  t.equal(reasonOf(() => limits.acquire('f')), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  a();
  a();
  t.equal(limits.inFlight('f'), 1, 'release is idempotent');
  t.doesNotThrow(() => limits.acquire('f'));
  limits.setReserved('zero', 0);
  t.equal(reasonOf(() => limits.acquire('zero')), 'ReservedFunctionConcurrentInvocationLimitExceeded', 'reserved 0 throttles everything');
});

t.test('unreserved functions share the rest of the account, never below 100', async (t) => {
  const limits = new ConcurrencyLimits(150);
  t.throws(() => limits.setReserved('big', 60), /below its minimum value of \[100\]/);
  limits.setReserved('big', 50);
  t.equal(limits.unreservedLimit, 100);
  for (let i = 0; i < 100; i++) limits.acquire(`fn-${i % 7}`);
  t.equal(reasonOf(() => limits.acquire('other')), 'ConcurrentInvocationLimitExceeded');
  t.doesNotThrow(() => limits.acquire('big'), 'the reserved pool is still available');
});
