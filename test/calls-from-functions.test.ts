// Issue 17, "Node.js as Lambda ships it" and "calls from functions stay in the region": a Node
// handler that does not bundle the AWS SDK imports @aws-sdk/client-sqs from the runtime (as Lambda's
// nodejs18.x and later provide it) and reaches a queue by its name (GetQueueUrl, which carries no
// queue URL, used to be aimed at real AWS); a Python function's boto3 calls to services the region
// does not run (S3, DynamoDB) fail at once with a clear error naming the service, never reaching AWS.
import t from 'tap';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildZip } from '@zonesim/code';
import { machinePython } from '../packages/zone-node/src/environment/python-runtime.js';
import { testCluster } from './harness/cluster.js';

const ROLE = 'arn:aws:iam::000000000000:role/calls';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const PYTHON = await machinePython();

const NODE_HANDLER = `import { SQSClient, GetQueueUrlCommand, SendMessageCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: event.queue }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ from: 'inside' }) }));
  const listed = await sqs.send(new ListQueuesCommand({}));
  return { QueueUrl, queues: listed.QueueUrls, endpoint: process.env.AWS_ENDPOINT_URL };
};
`;

const PYTHON_HANDLER = `import boto3
from botocore.exceptions import ClientError

def call(fn):
    try:
        fn()
        return {"code": "none"}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}

def lambda_handler(event, context):
    return {
        "s3": call(lambda: boto3.client("s3").list_buckets()),
        "dynamodb": call(lambda: boto3.client("dynamodb").list_tables()),
        "sqs": boto3.client("sqs").get_queue_url(QueueName=event["queue"])["QueueUrl"],
    }
`;

t.test('calls from functions stay in the region', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => {
    lambda.destroy();
    sqs.destroy();
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' }));

  t.test('a Node handler uses the runtime\'s SDK, unbundled, and reaches SQS by queue name', async (t) => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'node-sqs', Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler', Timeout: 10,
      Code: { ZipFile: await buildZip({ 'index.mjs': NODE_HANDLER }) },
    }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'node-sqs', Payload: Buffer.from(JSON.stringify({ queue: 'inbox' })) }));
    const body = JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
    t.equal(out.FunctionError, undefined, JSON.stringify(body));
    t.equal(body.QueueUrl, QueueUrl);
    t.same(body.queues, [QueueUrl]);
    t.equal(body.endpoint, cluster.apiUrl);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    t.same(got.Messages?.map((m) => JSON.parse(m.Body!)), [{ from: 'inside' }], 'the message sent from inside the function arrived');
  });

  t.test('boto3 to services the region does not run: 501 NotImplemented naming the service', { skip: PYTHON?.boto3 ? false : 'no python3 with boto3 here' }, async (t) => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-others', Runtime: 'python3.12', Role: ROLE, Handler: 'app.lambda_handler', Timeout: 10,
      Code: { ZipFile: await buildZip({ 'app.py': PYTHON_HANDLER }) },
    }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'py-others', Payload: Buffer.from(JSON.stringify({ queue: 'inbox' })) }));
    const body = JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
    t.equal(out.FunctionError, undefined, JSON.stringify(body));
    for (const service of ['s3', 'dynamodb']) {
      t.equal(body[service].code, 'NotImplemented', `${service}: ${JSON.stringify(body[service])}`);
      t.equal(body[service].status, 501);
      t.match(body[service].message, new RegExp(`does not run the AWS service '${service}'`));
    }
    t.equal(body.sqs, QueueUrl, 'SQS from boto3 reaches the region too');
  });
});
