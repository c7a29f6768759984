// Issue 7: the built-in queue service speaks SQS's JSON protocol, so @aws-sdk/client-sqs works
// against it unchanged: create, send, receive, delete (the SDK checks MD5OfMessageBody), message
// attributes with SQS's MD5, errors the SDK turns into its exception classes, batches, visibility,
// long polling, redrive to a dead-letter queue, purge, and durability across a kill -9.
import t from 'tap';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { testCluster } from './harness/cluster.js';
import { api } from './harness/lambda.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

t.test('@aws-sdk/client-sqs creates a queue, sends, receives and deletes', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => sqs.destroy());

  const created = await sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '2' } }));
  t.equal(created.QueueUrl, `${cluster.apiUrl}/000000000000/orders`);
  const again = await sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '2' } }));
  t.equal(again.QueueUrl, created.QueueUrl, 'CreateQueue with the same attributes is idempotent');
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl!;
  t.equal(url, created.QueueUrl);

  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl: url,
    MessageBody: 'derp',
    MessageAttributes: {
      timestamp: { DataType: 'Number', StringValue: '1493147359900' },
      blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2, 3]) },
    },
  }));
  t.equal(sent.MD5OfMessageBody, '58fd9edd83341c29f1aebba81c31e257');
  t.ok(sent.MD5OfMessageAttributes, 'an attribute digest');
  t.match(sent.MessageId, /^[0-9a-f-]{36}$/);

  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['timestamp'], MessageSystemAttributeNames: ['All'] }));
  t.equal(got.Messages?.length, 1);
  const m = got.Messages![0]!;
  t.equal(m.Body, 'derp');
  t.equal(m.MessageId, sent.MessageId);
  t.equal(m.MD5OfBody, sent.MD5OfMessageBody);
  t.same(m.MessageAttributes, { timestamp: { DataType: 'Number', StringValue: '1493147359900' } }, 'only the attributes asked for');
  t.equal(m.MD5OfMessageAttributes, '235c5c510d26fb653d073faed50ae77c', 'SQS digests the attributes it returns');
  t.equal(m.Attributes?.ApproximateReceiveCount, '1');
  t.ok(Number(m.Attributes?.SentTimestamp) > 0);

  const invisible = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  t.equal(invisible.Attributes?.ApproximateNumberOfMessages, '0');
  t.equal(invisible.Attributes?.ApproximateNumberOfMessagesNotVisible, '1');
  t.equal(invisible.Attributes?.QueueArn, 'arn:aws:sqs:us-east-1:000000000000:orders');
  t.equal(invisible.Attributes?.VisibilityTimeout, '2');

  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
  const empty = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  t.same(empty.Attributes, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' }, 'deleted');

  // Errors come back as the SDK's exception classes, with SQS's query codes.
  const missing = await sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })).catch((e: unknown) => e);
  t.ok(missing instanceof QueueDoesNotExist, 'QueueDoesNotExist');
  t.equal((missing as { Code?: string }).Code, 'AWS.SimpleQueueService.NonExistentQueue');
  t.equal((missing as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode, 400);
  const tooLong = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })).catch((e: unknown) => e);
  t.equal((tooLong as Error).name, 'InvalidParameterValue');
  const badHandle = await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })).catch((e: unknown) => e);
  t.equal((badHandle as Error).name, 'ReceiptHandleIsInvalid');

  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  t.same((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [], []);
});

t.test('batches, visibility, long polling, redrive, purge; sends survive kill -9', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => sqs.destroy());
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'work-dlq' }))).QueueUrl!;
  const url = (await sqs.send(new CreateQueueCommand({
    QueueName: 'work',
    Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq', maxReceiveCount: 2 }) },
  }))).QueueUrl!;

  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: [
      { Id: 'a', MessageBody: 'one' },
      { Id: 'b', MessageBody: 'two' },
      { Id: 'c', MessageBody: '\u0000 not allowed' },
    ],
  }));
  t.same(batch.Successful?.map((s) => s.Id).sort(), ['a', 'b']);
  t.equal(batch.Failed?.[0]?.Id, 'c');
  t.equal(batch.Failed?.[0]?.Code, 'InvalidMessageContents');
  const dup = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }] })).catch((e: unknown) => e);
  t.equal((dup as Error).name, 'BatchEntryIdsNotDistinct');

  // Receive both with a 0 s visibility override: they stay visible; a third receive of each
  // moves them to the dead-letter queue (maxReceiveCount 2).
  for (let round = 1; round <= 2; round++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    t.equal(r.Messages?.length, 2, `round ${round}: both received`);
    t.same(r.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount), [String(round), String(round)]);
  }
  const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  t.equal(third.Messages, undefined, 'past maxReceiveCount: not handed out');
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));
  t.same(dead.Messages?.map((m) => m.Body).sort(), ['one', 'two'], 'both in the dead-letter queue');
  t.equal(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn, 'arn:aws:sqs:us-east-1:000000000000:work');
  const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: dead.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
  t.equal(deleted.Successful?.length, 2);

  // Visibility: received with 30 s, made visible again at once with ChangeMessageVisibility 0.
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'vis' }));
  const v1 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
  t.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined, 'invisible while in flight');
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: v1.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 0 }));
  const v2 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
  t.equal(v2.Messages?.[0]?.Body, 'vis', 'visible again');
  // The first receive's handle is stale now: deleting with it succeeds but deletes nothing (SQS).
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: v1.Messages![0]!.ReceiptHandle! }));
  const stillThere = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
  t.equal(stillThere.Attributes?.ApproximateNumberOfMessagesNotVisible, '1');
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: v2.Messages![0]!.ReceiptHandle! }));

  // Long polling: a receive waiting 5 s returns as soon as a message is sent.
  const started = Date.now();
  const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
  setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' })), 300);
  const late = await waiting;
  t.equal(late.Messages?.[0]?.Body, 'late');
  t.ok(Date.now() - started < 3000, 'answered when the message arrived, not at the end of the wait');

  // Purge, once per 60 s.
  await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  const twice = await sqs.send(new PurgeQueueCommand({ QueueUrl: url })).catch((e: unknown) => e);
  t.equal((twice as Error).name, 'PurgeQueueInProgress');

  // An acknowledged send survives kill -9 of the coordinator.
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'durable' }));
  cluster.coordinator.signal('SIGKILL');
  await cluster.coordinator.exited;
  await cluster.restartCoordinator();
  const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
  t.equal(after.Messages?.[0]?.Body, 'durable', 'the message is still there after the restart');

  // The admin API lists message histories (no bodies) for run checks.
  const records = await api(cluster.apiUrl, 'GET', '/zonesim/v1/queue-messages?after=0&limit=100');
  t.equal(records.status, 200, records.text);
  t.ok(records.json.messages.some((r: { state: string }) => r.state === 'deleted'));
});
