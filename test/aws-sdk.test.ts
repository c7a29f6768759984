// Issue 3: the official AWS SDK for JavaScript v3 works against zonesim unchanged. Results and
// exception classes are asserted, not raw HTTP.
import t from 'tap';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvalidRequestContentException,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { testCluster } from './harness/cluster.js';

t.test('the AWS SDK v3 drives zonesim unchanged', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({
    endpoint: cluster.apiUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  t.teardown(() => lambda.destroy());
  const zip = await buildZip({
    'index.mjs': `export const handler = async (event, context) => {
      if (event.fail) throw new TypeError('bad input');
      console.log('hello from the sdk test');
      return { echo: event, version: context.functionVersion, client: context.clientContext ?? null };
    };`,
  });

  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName: 'sdk-fn',
    Runtime: 'nodejs20.x',
    Role: 'arn:aws:iam::000000000000:role/sdk',
    Handler: 'index.handler',
    Code: { ZipFile: zip },
    MemorySize: 192,
    Timeout: 5,
    Environment: { Variables: { STAGE: '1' } },
  }));
  t.equal(created.FunctionName, 'sdk-fn');
  t.equal(created.MemorySize, 192);
  t.equal(created.State, 'Active');
  t.type(created.LastModified, 'string');

  await t.rejects(lambda.send(new CreateFunctionCommand({
    FunctionName: 'sdk-fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/sdk', Handler: 'index.handler', Code: { ZipFile: zip },
  })), ResourceConflictException);
  await t.rejects(lambda.send(new CreateFunctionCommand({
    FunctionName: 'bad-zip', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/sdk', Handler: 'index.handler', Code: { ZipFile: new TextEncoder().encode('not a zip') },
  })), InvalidParameterValueException);

  const out = await lambda.send(new InvokeCommand({
    FunctionName: 'sdk-fn',
    Payload: new TextEncoder().encode(JSON.stringify({ hi: 1 })),
    LogType: 'Tail',
    ClientContext: Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64'),
  }));
  t.equal(out.StatusCode, 200);
  t.equal(out.FunctionError, undefined);
  t.equal(out.ExecutedVersion, '$LATEST');
  const body = JSON.parse(new TextDecoder().decode(out.Payload));
  t.same(body.echo, { hi: 1 });
  t.same(body.client, { custom: { k: 'v' } }, 'X-Amz-Client-Context reaches context.clientContext');
  t.match(Buffer.from(out.LogResult ?? '', 'base64').toString(), /hello from the sdk test[\s\S]*REPORT RequestId/);

  const failed = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-fn', Payload: new TextEncoder().encode('{"fail":true}') }));
  t.equal(failed.FunctionError, 'Unhandled');
  t.equal(JSON.parse(new TextDecoder().decode(failed.Payload)).errorType, 'TypeError');

  const event = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-fn', InvocationType: 'Event', Payload: new TextEncoder().encode('{}') }));
  t.equal(event.StatusCode, 202);
  const dry = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-fn', InvocationType: 'DryRun' }));
  t.equal(dry.StatusCode, 204);

  await t.rejects(lambda.send(new InvokeCommand({ FunctionName: 'nope' })), ResourceNotFoundException);
  await t.rejects(lambda.send(new InvokeCommand({ FunctionName: 'sdk-fn', Payload: new TextEncoder().encode('{oops') })), InvalidRequestContentException);

  const updated = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'sdk-fn', Timeout: 7 }));
  t.equal(updated.Timeout, 7);
  const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'sdk-fn', Description: 'v1' }));
  t.equal(v1.Version, '1');
  const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'sdk-fn' }));
  t.same(versions.Versions?.map((v) => v.Version), ['$LATEST', '1']);
  const alias = await lambda.send(new CreateAliasCommand({ FunctionName: 'sdk-fn', Name: 'prod', FunctionVersion: '1' }));
  t.equal(alias.AliasArn, 'arn:aws:lambda:us-east-1:000000000000:function:sdk-fn:prod');
  const viaAlias = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-fn', Qualifier: 'prod', Payload: new TextEncoder().encode('{}') }));
  t.equal(viaAlias.ExecutedVersion, '1');

  const eic = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'sdk-fn', MaximumRetryAttempts: 0 }));
  t.equal(eic.MaximumRetryAttempts, 0);
  t.ok(eic.LastModified instanceof Date, 'LastModified parses as a timestamp');
  const eics = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'sdk-fn' }));
  t.equal(eics.FunctionEventInvokeConfigs?.length, 1);
  t.equal(eics.FunctionEventInvokeConfigs?.[0]?.MaximumRetryAttempts, 0);

  const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-fn' }));
  t.equal(got.Configuration?.Timeout, 7);
  t.match(got.Code?.Location, /^http:\/\/127\.0\.0\.1:\d+\//);
  const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'sdk-fn', Qualifier: '1' }));
  t.equal(conf.Version, '1');
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:sdk-fn';
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { team: 'zones', tier: 'gold' } }));
  await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['tier'] }));
  t.same((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'zones' }, 'tags');
  const listed = await lambda.send(new ListFunctionsCommand({}));
  t.same(listed.Functions?.map((f) => f.FunctionName), ['sdk-fn']);

  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'sdk-fn' }));
  await t.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-fn' })), ResourceNotFoundException);
});
