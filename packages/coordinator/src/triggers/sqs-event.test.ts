import t from 'tap';
import type { ReceivedMessage } from '../queues/queue-messages.js';
import { PollerScaling } from './poller-scaling.js';
import { batchVerdict, sqsEvent } from './sqs-event.js';

const message = (id: string, extra: Partial<ReceivedMessage> = {}): ReceivedMessage => ({
  messageId: id,
  receiptHandle: `rh-${id}`,
  body: `body ${id}`,
  attributes: undefined,
  md5Body: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
  senderId: '000000000000',
  traceHeader: undefined,
  sentAt: 1545082649183,
  receiveCount: 1,
  firstReceiveAt: 1545082649185,
  duplicate: false,
  deadLetterFrom: undefined,
  ...extra,
});

t.test("Lambda's SQS event: exact field names", async (t) => {
  const e = sqsEvent(
    [message('m1'), message('m2', { receiveCount: 3, attributes: { color: { dataType: 'String', stringValue: 'red' }, raw: { dataType: 'Binary', binaryValue: Buffer.from('hi') } } })],
    'arn:aws:sqs:us-east-2:123456789012:my-queue',
    'us-east-2',
  );
  t.same(e.Records[0], {
    messageId: 'm1',
    receiptHandle: 'rh-m1',
    body: 'body m1',
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: '000000000000', ApproximateFirstReceiveTimestamp: '1545082649185' },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
    awsRegion: 'us-east-2',
  });
  t.equal(e.Records[1]!.attributes['ApproximateReceiveCount'], '3');
  t.same(e.Records[1]!.messageAttributes, {
    color: { stringValue: 'red', stringListValues: [], binaryListValues: [], dataType: 'String' },
    raw: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
  });
  t.match(e.Records[1]!.md5OfMessageAttributes, /^[0-9a-f]{32}$/);
});

t.test('partial batch responses as Lambda reads them', async (t) => {
  const ids = new Set(['a', 'b', 'c']);
  t.same(batchVerdict(undefined, ids), { kind: 'all-succeeded' });
  t.same(batchVerdict('null', ids), { kind: 'all-succeeded' });
  t.same(batchVerdict('{}', ids), { kind: 'all-succeeded' });
  t.same(batchVerdict('{"batchItemFailures":[]}', ids), { kind: 'all-succeeded' });
  t.same(batchVerdict('{"batchItemFailures":null}', ids), { kind: 'all-succeeded' });
  const partial = batchVerdict('{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"c"}]}', ids);
  t.equal(partial.kind, 'partial');
  t.same(partial.kind === 'partial' ? [...partial.failed].sort() : [], ['b', 'c']);
  for (const bad of ['not json', '{"batchItemFailures":[{"itemIdentifier":""}]}', '{"batchItemFailures":[{"itemIdentifier":null}]}', '{"batchItemFailures":[{"itemId":"a"}]}', '{"batchItemFailures":[{"itemIdentifier":"zzz"}]}', '"ok"']) {
    t.equal(batchVerdict(bad, ids).kind, 'all-failed', bad);
  }
});

t.test('poller scaling: starts at 5, adds under backlog within 300/min, drops to 2 when idle, capped', async (t) => {
  const s = new PollerScaling(undefined, 0);
  t.equal(s.target, 5);
  s.onFullBatch(0);
  t.equal(s.target, 5, 'no budget yet at t=0');
  s.onFullBatch(1_000); // 1 s: 5 tokens
  s.onFullBatch(1_000);
  t.equal(s.target, 7);
  for (let i = 0; i < 1000; i++) s.onFullBatch(61_000);
  t.equal(s.target, 7 + 300, 'at most 300 per minute: the bucket holds one minute of budget');
  for (let i = 0; i < 1000; i++) s.onIdle();
  t.equal(s.target, 2, 'idle: down to 2');

  const capped = new PollerScaling(3, 0);
  t.equal(capped.target, 3, 'MaximumConcurrency below 5 caps the start');
  for (let i = 0; i < 10; i++) capped.onFullBatch(60_000 * (i + 1));
  t.equal(capped.target, 3);
  const fast = new PollerScaling(1000, 0, 60);
  fast.onFullBatch(1_000);
  t.equal(fast.target, 6, 'the budget refills timeScale times faster');
});
