import t from 'tap';
import { ConcurrencyLimits, type ConcurrencyRelease } from './concurrency-limits.js';

const held = (r: ConcurrencyRelease | string): ConcurrencyRelease => {
  if (typeof r !== 'function') throw new Error(`refused: ${r}`);
  return r;
};

t.test('reserved concurrency is a ceiling of its own', async (t) => {
  const limits = new ConcurrencyLimits(1000);
  limits.setReserved('f', 2);
  const a = held(limits.tryAcquire('f'));
  held(limits.tryAcquire('f'));
  t.equal(limits.tryAcquire('f'), 'reserved');
  a();
  a();
  t.equal(limits.inFlight('f'), 1, 'release is idempotent');
  t.type(limits.tryAcquire('f'), 'function');
  limits.setReserved('zero', 0);
  t.equal(limits.tryAcquire('zero'), 'reserved', 'reserved 0 refuses everything');
});

t.test('unreserved functions share the rest of the account, never below 100', async (t) => {
  const limits = new ConcurrencyLimits(150);
  t.throws(() => limits.setReserved('big', 60), /below its minimum value of \[100\]/);
  limits.setReserved('big', 50);
  t.equal(limits.unreservedLimit, 100);
  for (let i = 0; i < 100; i++) held(limits.tryAcquire(`fn-${i % 7}`));
  t.equal(limits.tryAcquire('other'), 'account');
  t.type(limits.tryAcquire('big'), 'function', 'the reserved pool is still available');
});
