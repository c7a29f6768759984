// Issue 7: event source mappings from the built-in queues. Lambda's control plane (through
// @aws-sdk/client-lambda), Lambda's SQS event, partial batch responses (only the failed items come
// back), a poison message that ends in the dead-letter queue after maxReceiveCount, enable and
// disable, and async destinations that are queues. A sink the handler writes is the independent
// record of what ran.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readLedger, type LedgerRecord } from '@zonesim/ledger';
import { testCluster, tempDir, HOST_SINK_ZONE_ARGS } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const ACCOUNT = '000000000000';
const arnOf = (q: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${q}`;

/** Appends every record it gets to the sink; fails `poison` always and `flaky` on its first receive. */
const CONSUMER = `
import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  const batchItemFailures = [];
  for (const r of event.Records) {
    appendFileSync(process.env.SINK + '/deliveries.ndjson', JSON.stringify(r) + '\\n');
    if (r.body === 'poison') batchItemFailures.push({ itemIdentifier: r.messageId });
    if (r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1') batchItemFailures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures };
};`;

async function deliveries(sink: string): Promise<any[]> {
  const file = join(sink, 'deliveries.ndjson');
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

t.test('SQS -> function: Lambda event, partial batch failures, poison message to the DLQ, enable/disable', async (t) => {
  const sink = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => {
    sqs.destroy();
    lambda.destroy();
  });
  t.equal((await deploy(cluster.apiUrl, 'consumer', { 'index.mjs': CONSUMER }, { Timeout: 1, Environment: { Variables: { SINK: sink } } })).status, 201);
  await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }));
  const url = (await sqs.send(new CreateQueueCommand({
    QueueName: 'jobs',
    // Lambda advises a visibility timeout of several function timeouts: a cold start must not let
    // a batch reappear while it runs.
    Attributes: { VisibilityTimeout: '3', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('jobs-dlq'), maxReceiveCount: 3 }) },
  }))).QueueUrl!;

  // Lambda's checks.
  const tooShort = await sqs.send(new CreateQueueCommand({ QueueName: 'short', Attributes: { VisibilityTimeout: '0' } }));
  t.ok(tooShort.QueueUrl);
  const vis = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('short'), FunctionName: 'consumer' });
  t.equal(vis.status, 400);
  t.match(vis.json.message, /Queue visibility timeout: 0 seconds is less than Function timeout: 1 seconds/);
  const noQueue = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('nope'), FunctionName: 'consumer' });
  t.equal(noQueue.status, 400);
  t.equal(noQueue.errorType, 'InvalidParameterValueException');
  const bigBatch = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('jobs'), FunctionName: 'consumer', BatchSize: 50 });
  t.equal(bigBatch.status, 400, 'more than 10 needs a batching window');
  const badScaling = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('jobs'), FunctionName: 'consumer', ScalingConfig: { MaximumConcurrency: 1 } });
  t.equal(badScaling.errorType, 'ValidationException');
  const noFunction = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('jobs'), FunctionName: 'ghost' });
  t.equal(noFunction.status, 404);

  const created = await lambda.send(new CreateEventSourceMappingCommand({
    EventSourceArn: arnOf('jobs'),
    FunctionName: 'consumer',
    BatchSize: 5,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ScalingConfig: { MaximumConcurrency: 2 },
  }));
  t.equal(created.$metadata.httpStatusCode, 202);
  t.equal(created.State, 'Creating');
  t.match(created.UUID, /^[0-9a-f-]{36}$/);
  t.equal(created.FunctionArn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:consumer`);
  t.equal(created.EventSourceMappingArn, `arn:aws:lambda:us-east-1:${ACCOUNT}:event-source-mapping:${created.UUID}`);
  t.ok(created.LastModified instanceof Date, 'LastModified parses as a timestamp');
  const dup = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', { EventSourceArn: arnOf('jobs'), FunctionName: 'consumer' });
  t.equal(dup.status, 409);
  t.equal(dup.errorType, 'ResourceConflictException');
  await waitFor(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! }))).State === 'Enabled', 5_000, 'Enabled');

  const bodies = ['a', 'b', 'c', 'flaky', 'poison', 'd', 'e', 'f'];
  const sent = await sqs.send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: bodies.map((b, i) => ({ Id: `m${i}`, MessageBody: b, MessageAttributes: { kind: { DataType: 'String', StringValue: b } } })),
  }));
  const idOf = new Map(sent.Successful!.map((s) => [bodies[Number(s.Id!.slice(1))]!, s.MessageId!]));

  await waitFor(async () => {
    const r = await api(cluster.apiUrl, 'GET', '/zonesim/v1/queue-messages?after=0&limit=100');
    const states = new Map((r.json.messages as Array<{ messageId: string; state: string }>).map((m) => [m.messageId, m.state]));
    return bodies.every((b) => states.get(idOf.get(b)!) === (b === 'poison' ? 'dead-lettered' : 'deleted'));
  }, 30_000, 'every message processed, the poison one dead-lettered');

  const seen = await deliveries(sink);
  const count = (b: string) => seen.filter((r) => r.body === b).length;
  for (const b of ['a', 'b', 'c', 'd', 'e', 'f']) t.equal(count(b), 1, `${b}: delivered once (only failed items come back)`);
  t.equal(count('flaky'), 2, 'flaky: failed once, then succeeded');
  t.equal(count('poison'), 3, 'poison: received maxReceiveCount (3) times');
  t.same(seen.filter((r) => r.body === 'poison').map((r) => r.attributes.ApproximateReceiveCount), ['1', '2', '3']);
  const rec = seen.find((r) => r.body === 'a')!;
  t.equal(rec.messageId, idOf.get('a'));
  t.equal(rec.eventSource, 'aws:sqs');
  t.equal(rec.eventSourceARN, arnOf('jobs'));
  t.equal(rec.awsRegion, 'us-east-1');
  t.equal(rec.md5OfBody, '0cc175b9c0f1b6a831c399e269772661');
  t.same(rec.messageAttributes.kind, { stringValue: 'a', stringListValues: [], binaryListValues: [], dataType: 'String' });
  t.ok(rec.receiptHandle);
  t.same(Object.keys(rec.attributes).sort(), ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);

  // The dead-letter queue holds the poison message, with its source.
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${cluster.apiUrl}/${ACCOUNT}/jobs-dlq`, MessageSystemAttributeNames: ['All'] }));
  t.equal(dead.Messages?.[0]?.MessageId, idOf.get('poison'));
  t.equal(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn, arnOf('jobs'));

  // Disabled: messages wait; enabled again: they are processed.
  const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID!, Enabled: false }));
  t.equal(disabling.State, 'Disabling');
  await waitFor(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! }))).State === 'Disabled', 5_000, 'Disabled');
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later' }));
  await new Promise((r) => setTimeout(r, 1_000));
  const waiting = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
  t.equal(waiting.Attributes?.ApproximateNumberOfMessages, '1', 'a disabled mapping does not poll');
  t.equal((await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID!, Enabled: true, BatchSize: 3 }))).State, 'Enabling');
  await waitFor(async () => (await deliveries(sink)).some((r) => r.body === 'later'), 10_000, 'processed once enabled again');

  const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'consumer' }));
  t.equal(listed.EventSourceMappings?.length, 1);
  t.equal(listed.EventSourceMappings?.[0]?.BatchSize, 3);
  t.equal((await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arnOf('short') }))).EventSourceMappings?.length, 0);
  const deleting = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID! }));
  t.equal(deleting.State, 'Deleting');
  await waitFor(async () => (await api(cluster.apiUrl, 'GET', `/2015-03-31/event-source-mappings/${created.UUID}`)).status === 404, 10_000, 'deleted');

  // Every batch is one ledger record of type SQS; a redelivery carries its receive count as `attempt`.
  await cluster.stop();
  const records: LedgerRecord[] = [];
  for await (const r of readLedger(join(cluster.dataDir, 'coordinator', 'ledger'))) records.push(r);
  const sqsRecords = records.filter((r) => r.invocationType === 'SQS');
  t.ok(sqsRecords.length >= 4, `${sqsRecords.length} SQS batches recorded`);
  t.ok(sqsRecords.some((r) => r.attempt === 3), 'the poison message\'s third receive is attempt 3');
  t.notOk(sqsRecords.some((r) => r.duplicate), 'no duplicates without faults: failures are retries, not duplicates');
});

t.test('async destinations may be queues', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--time-scale', '3600'] });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => sqs.destroy());
  await sqs.send(new CreateQueueCommand({ QueueName: 'ok-records' }));
  await sqs.send(new CreateQueueCommand({ QueueName: 'failed-records' }));
  t.equal((await deploy(cluster.apiUrl, 'worker', { 'index.mjs': 'export const handler = async (e) => { if (e.fail) throw new Error("asked to fail"); return { done: e.n }; };' })).status, 201);
  const bad = await api(cluster.apiUrl, 'PUT', '/2019-09-25/functions/worker/event-invoke-config', { DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sns:us-east-1:000000000000:topic' } } });
  t.equal(bad.status, 400, 'topics are not built');
  const put = await api(cluster.apiUrl, 'PUT', '/2019-09-25/functions/worker/event-invoke-config', {
    MaximumRetryAttempts: 0,
    DestinationConfig: { OnSuccess: { Destination: arnOf('ok-records') }, OnFailure: { Destination: arnOf('failed-records') } },
  });
  t.equal(put.status, 200, put.text);
  const ok = await invoke(cluster.apiUrl, 'worker', { n: 1 }, { 'x-amz-invocation-type': 'Event' });
  const failed = await invoke(cluster.apiUrl, 'worker', { fail: true }, { 'x-amz-invocation-type': 'Event' });
  const receive = async (q: string) => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${cluster.apiUrl}/${ACCOUNT}/${q}`, WaitTimeSeconds: 10 }))).Messages?.[0];
  const success = JSON.parse((await receive('ok-records'))!.Body!);
  t.equal(success.requestContext.condition, 'Success');
  t.equal(success.requestContext.requestId, ok.headers.get('x-amzn-requestid'));
  t.same(success.responsePayload, { done: 1 });
  const failure = JSON.parse((await receive('failed-records'))!.Body!);
  t.equal(failure.requestContext.condition, 'RetriesExhausted');
  t.equal(failure.requestContext.requestId, failed.headers.get('x-amzn-requestid'));
  t.equal(failure.responseContext.functionError, 'Unhandled');
  t.same(failure.requestPayload, { fail: true });
});
