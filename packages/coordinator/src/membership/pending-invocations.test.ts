import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { PendingInvocations } from './pending-invocations.js';

const result = (invocationId: string) => ({
  type: 'invoke-rejected' as const,
  invocationId,
  error: { code: 'NODE_AT_CAPACITY', message: 'full' },
});

t.test('answers settle their invocation and free its memory', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const p = pending.add('i1', 'k', 256, 1000);
  t.equal(pending.size, 1);
  t.equal(pending.busyMemoryMb, 256);
  t.same(pending.settle(result('i1')), { specKey: 'k' });
  t.equal((await p).invocationId, 'i1');
  t.equal(pending.size, 0);
  t.equal(pending.busyMemoryMb, 0);
  t.equal(clock.pendingTimers, 0, 'deadline timer cleared');
  t.equal(pending.settle(result('i1')), undefined, 'a late duplicate is ignored');
});

t.test('a silent node fails the invocation at its deadline with LINK_LOST', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const p = pending.add('i1', 'k', 128, 1000);
  clock.advance(999);
  t.equal(pending.size, 1);
  clock.advance(1);
  await t.rejects(p, { code: 'LINK_LOST' });
  t.equal(pending.size, 0);
});

t.test('dropAll fails everything in flight', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const ps = [pending.add('a', 'k', 128, 1000), pending.add('b', 'k', 128, 1000)];
  pending.dropAll('link closed');
  for (const p of ps) await t.rejects(p, { code: 'LINK_LOST', message: 'link closed' });
  t.equal(pending.busyMemoryMb, 0);
  t.equal(clock.pendingTimers, 0);
});

t.test('a refusal says whether the node had accepted the invocation first', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const before = pending.add('i1', 'k', 128, 1000);
  const after = pending.add('i2', 'k', 128, 1000);
  pending.markAccepted('i2');
  pending.settle(result('i1'));
  pending.settle(result('i2'));
  t.match(await before, { type: 'invoke-rejected', afterAccept: false });
  t.match(await after, { type: 'invoke-rejected', afterAccept: true });
});
