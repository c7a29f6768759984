import t from 'tap';
import { ManualClock } from '@zonesim/common';
import type { InvokeChunk, InvokeResult } from '@zonesim/protocol';
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

// Response streaming (issue 17): `invoke-chunk` frames reach the invocation's listener.
const chunkOf = (invocationId: string, text: string, contentType?: string): InvokeChunk => ({
  type: 'invoke-chunk',
  invocationId,
  data: new TextEncoder().encode(text),
  ...(contentType === undefined ? {} : { contentType }),
});

const okResult = (invocationId: string): InvokeResult => ({
  type: 'invoke-result',
  invocationId,
  outcome: 'success',
  placement: { zone: 'z', nodeId: 'n', environmentId: 'e-1', cold: false },
  timings: { receivedAt: 0, startedAt: 0, endedAt: 1, durationMs: 1, billedMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 10 },
  environmentKept: true,
  streamed: true,
});

t.test('chunks reach the listener in order, the content type with the one that carried it', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const got: Array<[string, string | undefined]> = [];
  const p = pending.add('i1', 'k', 128, 1000, (data, contentType) => got.push([Buffer.from(data).toString(), contentType]));
  t.equal(pending.chunk(chunkOf('i1', 'one', 'text/plain')), true);
  t.equal(pending.chunk(chunkOf('i1', 'two')), true);
  t.equal(pending.chunk(chunkOf('i1', '')), true, 'an empty chunk is delivered too');
  t.equal(pending.chunk(chunkOf('i1', 'three')), true);
  t.same(got, [
    ['one', 'text/plain'],
    ['two', undefined],
    ['', undefined],
    ['three', undefined],
  ]);
  t.equal(pending.size, 1, 'a chunk does not settle the invocation');
  t.equal(pending.busyMemoryMb, 128);
  t.equal(clock.pendingTimers, 1, 'nor clear its deadline');
  pending.settle(okResult('i1'));
  t.match(await p, { type: 'invoke-result', invocationId: 'i1', streamed: true });
});

t.test('the listener gets the bytes of the frame itself', async (t) => {
  const pending = new PendingInvocations(new ManualClock());
  const seen: Uint8Array[] = [];
  const p = pending.add('i1', 'k', 128, 1000, (data) => seen.push(data));
  const frame = chunkOf('i1', 'bytes', 'application/octet-stream');
  pending.chunk(frame);
  t.equal(seen[0], frame.data);
  pending.dropAll('done');
  await t.rejects(p);
});

t.test('a chunk marks the invocation accepted: a drop after it says accepted', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const streamed = pending.add('i1', 'k', 128, 1000, () => {});
  const silent = pending.add('i2', 'k', 128, 1000, () => {});
  pending.chunk(chunkOf('i1', 'x', 'text/plain'));
  pending.dropAll('link closed');
  await t.rejects(streamed, { code: 'LINK_LOST', accepted: true });
  await t.rejects(silent, { code: 'LINK_LOST', accepted: false });
});

t.test('a chunk before a refusal makes it a refusal after accepting', async (t) => {
  const pending = new PendingInvocations(new ManualClock());
  const p = pending.add('i1', 'k', 128, 1000, () => {});
  pending.chunk(chunkOf('i1', 'x'));
  pending.settle(result('i1'));
  t.match(await p, { type: 'invoke-rejected', afterAccept: true });
});

t.test('a chunk for an unknown invocation, or one without a listener, returns false and changes nothing', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const got: string[] = [];
  const withListener = pending.add('i1', 'k', 128, 1000, (data) => got.push(Buffer.from(data).toString()));
  const noListener = pending.add('i2', 'k', 128, 1000);
  t.equal(pending.chunk(chunkOf('nope', 'x')), false, 'unknown id');
  t.equal(pending.chunk(chunkOf('i2', 'x')), false, 'no listener: the invoke did not ask for a stream');
  t.same(got, [], 'no other listener hears it');
  t.equal(pending.size, 2);
  pending.dropAll('link closed');
  await t.rejects(withListener, { code: 'LINK_LOST', accepted: false });
  await t.rejects(noListener, { code: 'LINK_LOST', accepted: false }, 'a chunk without a listener does not mark it accepted');
});

t.test('chunks after the invocation settled (answer, deadline or drop) are ignored', async (t) => {
  const clock = new ManualClock();
  const pending = new PendingInvocations(clock);
  const got: string[] = [];
  const listen = (data: Uint8Array): void => {
    got.push(Buffer.from(data).toString());
  };
  const answered = pending.add('a', 'k', 128, 1000, listen);
  pending.chunk(chunkOf('a', 'before'));
  pending.settle(okResult('a'));
  await answered;
  t.equal(pending.chunk(chunkOf('a', 'after answer')), false);

  const timedOut = pending.add('b', 'k', 128, 1000, listen);
  clock.advance(1000);
  await t.rejects(timedOut, { code: 'LINK_LOST', accepted: true });
  t.equal(pending.chunk(chunkOf('b', 'after deadline')), false);

  const dropped = pending.add('c', 'k', 128, 1000, listen);
  pending.dropAll('link closed');
  await t.rejects(dropped);
  t.equal(pending.chunk(chunkOf('c', 'after drop')), false);

  t.same(got, ['before']);
  t.equal(pending.size, 0);
});

t.test(
  'a listener that throws does not throw out of chunk()',
  {},
  async (t) => {
    const pending = new PendingInvocations(new ManualClock());
    const p = pending.add('i1', 'k', 128, 1000, () => {
      throw new TypeError('Invalid character in header content ["content-type"]');
    });
    t.doesNotThrow(() => pending.chunk(chunkOf('i1', 'x', 'text/plain; x=\u2192')));
    pending.dropAll('done');
    await p.catch(() => {});
  },
);
