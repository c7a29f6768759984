import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { silentLogger, systemClock } from '@zonesim/common';
import type { InvokeResult } from '@zonesim/protocol';
import { LambdaApiError } from '../errors.js';
import { QueueService } from '../queues/queue-service.js';
import type { EventSourceMappingRecord } from './event-source-mapping.js';
import { SqsPoller } from './sqs-poller.js';
import type { TriggerInvocation, TriggerOutcome } from './trigger-invoker.js';

// The pollers against a real queue service (in a temp dir) and a fake invoke: what each outcome
// of an invocation does to the batch's messages. A visibility timeout of 1 s brings failed messages
// back within the test (0 would let a second poller take a message while the first still runs it:
// a real duplicate).

async function setup(t: Test, attributes: Record<string, string> = { VisibilityTimeout: '1' }) {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-poller-'));
  const queues = new QueueService({ dataDir: dir }, { region: 'us-east-1', accountId: '000000000000', baseUrl: () => 'http://x' }, { clock: systemClock });
  queues.start();
  const queue = queues.createQueue('q', attributes);
  t.teardown(async () => {
    queues.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { queues, queue };
}

const mapping = (extra: Partial<EventSourceMappingRecord> = {}): EventSourceMappingRecord => ({
  uuid: '00000000-0000-4000-8000-000000000000',
  eventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q',
  functionName: 'fn',
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  functionResponseTypes: [],
  enabled: true,
  state: 'Enabled',
  stateTransitionReason: 'USER_INITIATED',
  lastModified: 0,
  ...extra,
});

const result = (payload = 'null'): InvokeResult => ({ outcome: 'success', payload } as unknown as InvokeResult);

/** Runs a poller until `done` holds, with `invoke` deciding each batch's outcome. */
async function run(queues: QueueService, record: EventSourceMappingRecord, invoke: (i: TriggerInvocation, n: number) => TriggerOutcome, done: () => boolean): Promise<{ calls: TriggerInvocation[] }> {
  const calls: TriggerInvocation[] = [];
  const poller = new SqsPoller(record, {
    queues,
    clock: systemClock,
    log: silentLogger(),
    timeScale: 1,
    invoke: async (i) => {
      calls.push(i);
      return invoke(i, calls.length);
    },
  });
  poller.start();
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await poller.stop();
  return { calls };
}

const ids = (i: TriggerInvocation): string[] => (JSON.parse(Buffer.from(i.payload).toString()) as { Records: Array<{ messageId: string }> }).Records.map((r) => r.messageId);

t.test('success deletes the batch; a function error brings it back as a retry, not a duplicate', async (t) => {
  const { queues, queue } = await setup(t);
  const sent = await queues.send(queue, { body: 'x' });
  const { calls } = await run(
    queues,
    mapping(),
    (_i, n) => (n === 1 ? { kind: 'function-error', requestId: 'r1', errorType: 'Error', result: result() } : { kind: 'success', requestId: `r${n}`, payload: 'null', result: result() }),
    () => queues.records(0, 10)[0]?.state === 'deleted',
  );
  t.equal(calls.length, 2);
  t.same([calls[0]!.attempt, calls[1]!.attempt], [1, 2], 'attempt = ApproximateReceiveCount');
  t.same([calls[0]!.duplicate, calls[1]!.duplicate], [false, false], 'a function error is a retry');
  t.equal(calls[0]!.invocationType, 'SQS');
  t.same(ids(calls[0]!), [sent.messageId]);
  t.match(queues.records(0, 10)[0], { state: 'deleted', receiveCount: 2, successes: 1, duplicates: 0 });
});

t.test('a batch lost with its zone comes back, and its redelivery is a duplicate', async (t) => {
  const { queues, queue } = await setup(t);
  await queues.send(queue, { body: 'x' });
  const lost = new LambdaApiError('ServiceException', 500, 'lost');
  const { calls } = await run(
    queues,
    mapping(),
    (_i, n) => (n === 1 ? { kind: 'platform-error', requestId: 'r1', error: lost, mayHaveRun: true } : { kind: 'success', requestId: `r${n}`, payload: 'null', result: result() }),
    () => queues.records(0, 10)[0]?.state === 'deleted',
  );
  t.equal(calls.length, 2);
  t.equal(calls[1]!.duplicate, true, 'the ledger record of the redelivery says duplicate');
  t.match(queues.records(0, 10)[0], { state: 'deleted', receiveCount: 2, successes: 1, duplicates: 1 });
});

t.test('ReportBatchItemFailures: only the failed items come back; a bad response fails the batch', async (t) => {
  const { queues, queue } = await setup(t);
  const a = await queues.send(queue, { body: 'a' });
  const b = await queues.send(queue, { body: 'b' });
  const c = await queues.send(queue, { body: 'c' });
  const { calls } = await run(
    queues,
    mapping({ functionResponseTypes: ['ReportBatchItemFailures'] }),
    (i, n) => {
      if (n === 1) return { kind: 'success', requestId: 'r1', payload: JSON.stringify({ batchItemFailures: [{ itemIdentifier: b.messageId }] }), result: result() };
      if (n === 2) return { kind: 'success', requestId: 'r2', payload: '{"batchItemFailures":[{"itemIdentifier":"unknown"}]}', result: result() };
      return { kind: 'success', requestId: `r${n}`, payload: '{}', result: result() };
    },
    () => queues.records(0, 10).every((r) => r.state === 'deleted'),
  );
  t.same(ids(calls[0]!).sort(), [a.messageId, b.messageId, c.messageId].sort());
  t.same(ids(calls[1]!), [b.messageId], 'only the failed item came back');
  t.same(ids(calls[2]!), [b.messageId], 'an unknown itemIdentifier failed the whole batch');
  const byId = new Map(queues.records(0, 10).map((r) => [r.messageId, r]));
  t.equal(byId.get(a.messageId)!.receiveCount, 1);
  t.equal(byId.get(b.messageId)!.receiveCount, 3);
});

t.test('batch size and window: up to BatchSize messages gathered within the window', async (t) => {
  const { queues, queue } = await setup(t, { VisibilityTimeout: '30' });
  for (let i = 0; i < 25; i++) await queues.send(queue, { body: `m${i}` });
  const { calls } = await run(
    queues,
    mapping({ batchSize: 12, maximumBatchingWindowInSeconds: 1 }),
    (_i, n) => ({ kind: 'success', requestId: `r${n}`, payload: 'null', result: result() }),
    () => queues.records(0, 100).every((r) => r.state === 'deleted'),
  );
  const sizes = calls.map((c) => ids(c).length).sort((x, y) => y - x);
  t.equal(sizes.reduce((s, n) => s + n, 0), 25);
  t.ok(sizes.every((n) => n <= 12), `batches of at most 12: ${sizes.join(', ')}`);
  t.equal(sizes[0], 12, 'a full batch is gathered');
});
