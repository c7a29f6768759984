import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock } from '@zonesim/common';
import { QueueService } from './queue-service.js';
import type { QueueServiceOptions } from './queue-options.js';

async function service(t: Test, options: Omit<QueueServiceOptions, 'dataDir'> = {}, clock = new ManualClock()): Promise<{ q: QueueService; clock: ManualClock; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-queues-'));
  const q = new QueueService({ dataDir: dir, ...options }, { region: 'us-east-1', accountId: '000000000000', baseUrl: () => 'http://127.0.0.1:4599' }, { clock });
  q.start();
  t.teardown(async () => {
    q.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { q, clock, dir };
}

t.test('visibility timeout, receive counts, stale receipt handles', async (t) => {
  const { q, clock } = await service(t);
  const queue = q.createQueue('work', { VisibilityTimeout: '10' });
  t.equal(q.queueUrl('work'), 'http://127.0.0.1:4599/000000000000/work');
  t.equal(q.byUrl('http://other-host:1/000000000000/work').name, 'work', 'any host');
  t.throws(() => q.byUrl('http://x/111111111111/work'), { code: 'QueueDoesNotExist' }, 'another account');
  const sent = await q.send(queue, { body: 'hello' });
  t.equal(sent.md5Body, '5d41402abc4b2a76b9719d911017c592');
  const [first] = await q.receive(queue);
  t.equal(first!.receiveCount, 1);
  t.equal(first!.duplicate, false);
  t.same(await q.receive(queue), [], 'invisible for 10 s');
  t.same(q.counts(queue), { visible: 0, notVisible: 1, delayed: 0 });
  clock.advance(10_000);
  const [second] = await q.receive(queue);
  t.equal(second!.receiveCount, 2, 'visible again after the timeout; the count goes on');
  t.equal(second!.duplicate, true, 'the first receive may have been processed: this delivery may be a duplicate');
  q.delete(queue, first!.receiptHandle);
  t.same(q.counts(queue), { visible: 0, notVisible: 1, delayed: 0 }, 'a stale handle deletes nothing');
  t.throws(() => q.changeVisibility(queue, first!.receiptHandle, 0), { code: 'MessageNotInflight' });
  q.delete(queue, second!.receiptHandle);
  t.same(q.counts(queue), { visible: 0, notVisible: 0, delayed: 0 });
  q.delete(queue, second!.receiptHandle);
  t.pass('deleting twice succeeds, as in SQS');
  t.throws(() => q.delete(queue, 'not-a-handle'), { code: 'ReceiptHandleIsInvalid' });
  t.same(q.records(0, 10).map((r) => [r.state, r.receiveCount, r.duplicates]), [['deleted', 2, 1]], 'a tombstone keeps the history');
});

t.test('a receive the platform knows failed makes the next delivery a retry, not a duplicate', async (t) => {
  const { q, clock } = await service(t);
  const queue = q.createQueue('work', { VisibilityTimeout: '5' });
  await q.send(queue, { body: 'x' });
  const [m] = await q.receive(queue);
  q.releaseFailed(queue, [m!.receiptHandle]);
  clock.advance(5_000);
  const [again] = await q.receive(queue);
  t.equal(again!.receiveCount, 2);
  t.equal(again!.duplicate, false);
  q.delete(queue, again!.receiptHandle, true);
  t.same(q.records(0, 10).map((r) => [r.state, r.successes, r.duplicates]), [['deleted', 1, 0]]);
});

t.test('redrive after maxReceiveCount, delay, long polling, purge, retention', async (t) => {
  const { q, clock } = await service(t, { sweepIntervalMs: 1_000 });
  const dlq = q.createQueue('dlq');
  t.throws(() => q.createQueue('work', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope', maxReceiveCount: 2 }) }), { code: 'InvalidParameterValue' }, 'the dead-letter queue must exist');
  const queue = q.createQueue('work', { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: q.queueArn('dlq'), maxReceiveCount: 2 }) });
  t.throws(() => q.createQueue('work', { VisibilityTimeout: '1' }), { code: 'QueueNameExists' });
  await q.send(queue, { body: 'poison' });
  t.equal((await q.receive(queue)).length, 1);
  t.equal((await q.receive(queue)).length, 1);
  t.same(await q.receive(queue), [], 'received twice: moved instead of handed out');
  const [dead] = await q.receive(dlq);
  t.equal(dead!.body, 'poison');
  t.equal(dead!.deadLetterFrom, 'work');
  t.equal(q.stats().deadLettered, 1);

  // DelaySeconds, and a long poll that is woken when the message becomes visible.
  const polled = q.createQueue('polled');
  await q.send(polled, { body: 'later', delaySeconds: 3 });
  t.same(q.counts(polled), { visible: 0, notVisible: 0, delayed: 1 });
  const waiting = q.receive(polled, { waitTimeSeconds: 20 });
  t.equal(q.stats().longPolls, 1);
  clock.advance(3_000);
  t.equal((await waiting)[0]?.body, 'later', 'the long poll returns when the delay ends');
  // A long poll woken by a send.
  const woken = q.receive(polled, { waitTimeSeconds: 20 });
  await q.send(polled, { body: 'now' });
  t.equal((await woken)[0]?.body, 'now');
  // ... and one that ends empty at its wait.
  const empty = q.receive(dlq, { waitTimeSeconds: 2 });
  clock.advance(2_000);
  t.same(await empty, []);

  await q.send(polled, { body: 'gone' });
  t.equal(q.purge(polled), 3, 'every message, in flight or not');
  t.throws(() => q.purge(polled), { code: 'PurgeQueueInProgress' }, 'once per 60 s');
  clock.advance(60_000);
  t.equal(q.purge(polled), 0);

  const short = q.createQueue('short', { MessageRetentionPeriod: '60' });
  await q.send(short, { body: 'old' });
  clock.advance(61_000);
  t.same(q.counts(short), { visible: 0, notVisible: 0, delayed: 0 }, 'past its retention period');
  t.equal(q.records(0, 100).find((r) => r.queue === 'short')?.state, 'expired');
});

t.test('bounds are reported, not silent; attributes and messages are checked as SQS checks them', async (t) => {
  const { q, clock } = await service(t, { maxMessagesPerQueue: 2, maxLongPolls: 1 });
  const queue = q.createQueue('small', { MaximumMessageSize: '1024' });
  await q.send(queue, { body: 'a' });
  await q.send(queue, { body: 'b' });
  await t.rejects(q.send(queue, { body: 'c' }), { code: 'OverLimit' });
  const poll = q.receive(q.createQueue('idle'), { waitTimeSeconds: 1 });
  await t.rejects(q.receive(q.byName('idle'), { waitTimeSeconds: 1 }), { code: 'RequestThrottled' }, 'one long poll at a time');
  clock.advance(1_000);
  await poll;
  t.throws(() => q.prepare(queue, { body: 'x'.repeat(1025) }), { code: 'InvalidParameterValue' });
  t.throws(() => q.prepare(queue, { body: 'bad \u0001 char' }), { code: 'InvalidMessageContents' });
  t.throws(() => q.prepare(queue, { body: 'x', messageAttributes: { 'AWS.reserved': { DataType: 'String', StringValue: 'v' } } }), { code: 'InvalidParameterValue' });
  t.throws(() => q.prepare(queue, { body: 'x', messageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }), { code: 'InvalidParameterValue' });
  t.throws(() => q.createQueue('q', { VisibilityTimeout: '43201' }), { code: 'InvalidAttributeValue' });
  t.throws(() => q.createQueue('q', { Bogus: '1' }), { code: 'InvalidAttributeName' });
  t.throws(() => q.createQueue('q.fifo', { FifoQueue: 'true' }), { code: 'UnsupportedOperation' }, 'FIFO is not built');
  t.throws(() => q.createQueue('bad name!'), { code: 'InvalidParameterValue' });
});

t.test('queues and messages survive a restart of the service', async (t) => {
  const { q, dir } = await service(t);
  const queue = q.createQueue('durable', { VisibilityTimeout: '7' });
  await q.send(queue, { body: 'kept', messageAttributes: { k: { DataType: 'String', StringValue: 'v' } } });
  q.stop();
  const again = new QueueService({ dataDir: dir }, { region: 'us-east-1', accountId: '000000000000', baseUrl: () => 'http://x' }, { clock: new ManualClock() });
  again.start();
  t.teardown(() => again.stop());
  const restored = again.byName('durable');
  t.equal(restored.settings.VisibilityTimeout, 7);
  const [m] = await again.receive(restored, {});
  t.equal(m?.body, 'kept');
  t.same(m?.attributes, { k: { dataType: 'String', stringValue: 'v' } });
});
