// Issue 7 with authentication on: SQS's JSON protocol is signed for the service `sqs` and checked
// like the Lambda API; a wrong key gets SQS's error shape; a function URL with AuthType NONE takes
// unsigned requests, one with AWS_IAM needs a valid signature.
import t from 'tap';
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateFunctionCommand, CreateFunctionUrlConfigCommand, LambdaClient, UpdateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { signRequest } from '@zonesim/coordinator';
import { testCluster } from './harness/cluster.js';

const KEY = { accessKeyId: 'AKIDZONESIMSQS', secretAccessKey: 'sEcReT/zonesim+sqs' };

t.test('auth on: SQS signed for sqs, function URLs by their AuthType', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, credentials: KEY });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: KEY, maxAttempts: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: KEY, maxAttempts: 1 });
  const stranger = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { ...KEY, secretAccessKey: 'wrong' }, maxAttempts: 1 });
  t.teardown(() => {
    sqs.destroy();
    lambda.destroy();
    stranger.destroy();
  });

  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'signed' }))).QueueUrl!;
  t.ok((await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hi' }))).MessageId, 'a signed SQS client works');
  const refused = (await stranger.send(new ListQueuesCommand({})).then(() => ({}), (e: unknown) => e)) as { name: string; $metadata: { httpStatusCode: number } };
  t.equal(refused.$metadata.httpStatusCode, 403);
  t.equal(refused.name, 'SignatureDoesNotMatch', "SQS's name for a bad signature");
  const unsigned = await fetch(cluster.apiUrl, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' }, body: '{}' });
  t.equal(unsigned.status, 403);
  t.equal(unsigned.headers.get('x-amzn-query-error'), 'MissingAuthenticationToken;Sender');

  const zip = await buildZip({ 'index.mjs': 'export const handler = async (e) => ({ statusCode: 200, body: "ok " + e.requestContext.http.method });' });
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'web', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/web', Handler: 'index.handler', Code: { ZipFile: zip } }));
  const fnUrl = (await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'NONE' }))).FunctionUrl!;
  const open = await fetch(`${fnUrl}x`);
  t.equal(open.status, 200, 'AuthType NONE: no signature needed even with authentication on');
  t.equal(await open.text(), 'ok GET');

  await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'AWS_IAM' }));
  t.equal((await fetch(`${fnUrl}x`)).status, 403, 'AWS_IAM: unsigned is refused');
  const signed = signRequest({ method: 'GET', url: `${fnUrl}x`, headers: {}, region: 'us-east-1', service: 'lambda', credentials: KEY });
  const ok = await fetch(`${fnUrl}x`, { headers: signed });
  t.equal(ok.status, 200, 'AWS_IAM: a valid signature for lambda is taken');
  const bad = signRequest({ method: 'GET', url: `${fnUrl}x`, headers: {}, region: 'us-east-1', service: 'lambda', credentials: { ...KEY, secretAccessKey: 'wrong' } });
  t.equal((await fetch(`${fnUrl}x`, { headers: bad })).status, 403, 'AWS_IAM: a wrong signature is refused');
});
