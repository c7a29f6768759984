// Issue 17: resource-based policies through the official SDK. AddPermission returns the statement
// Lambda writes (principal forms, conditions), GetPolicy returns the document with a revision id,
// RemovePermission deletes; each version and alias has its own policy; Lambda's errors for a taken
// statement id, a stale revision id, a missing statement or policy, and $LATEST as a qualifier.
import t from 'tap';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  GetPolicyCommand,
  InvalidParameterValueException,
  LambdaClient,
  PolicyLengthExceededException,
  PreconditionFailedException,
  PublishVersionCommand,
  RemovePermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { testCluster } from './harness/cluster.js';

t.test('AddPermission, GetPolicy and RemovePermission round-trip with Lambda\'s document and errors', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName: 'guarded', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/p', Handler: 'index.handler',
    Code: { ZipFile: await buildZip({ 'index.mjs': 'export const handler = async () => 1;\n' }) },
  }));
  const arn = created.FunctionArn!;

  await t.rejects(lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' })), ResourceNotFoundException, 'no policy yet');

  const added = await lambda.send(new AddPermissionCommand({
    FunctionName: 'guarded', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com',
    SourceArn: 'arn:aws:s3:::my-bucket', SourceAccount: '123456789012',
  }));
  t.same(JSON.parse(added.Statement!), {
    Sid: 's3-invoke', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: arn,
    Condition: { StringEquals: { 'AWS:SourceAccount': '123456789012' }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::my-bucket' } },
  });
  await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'account', Action: 'lambda:GetFunction', Principal: '210987654321' }));
  await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));

  const got = await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' }));
  const doc = JSON.parse(got.Policy!) as { Version: string; Id: string; Statement: Array<Record<string, unknown>> };
  t.equal(doc.Version, '2012-10-17');
  t.equal(doc.Id, 'default');
  t.same(doc.Statement.map((s) => s['Sid']), ['s3-invoke', 'account', 'url']);
  t.same(doc.Statement[1]!['Principal'], { AWS: 'arn:aws:iam::210987654321:root' });
  t.same(doc.Statement[2]!['Principal'], '*');
  t.same(doc.Statement[2]!['Condition'], { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } });
  t.type(got.RevisionId, 'string');

  await t.rejects(
    lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'account', Action: 'lambda:InvokeFunction', Principal: '*' })),
    ResourceConflictException,
    'a statement id is unique',
  );
  await t.rejects(
    lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'late', Action: 'lambda:InvokeFunction', Principal: '*', RevisionId: 'stale' })),
    PreconditionFailedException,
  );
  await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'late', Action: 'lambda:InvokeFunction', Principal: '*', RevisionId: got.RevisionId! }));

  await lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'account' }));
  const after = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded' }))).Policy!) as { Statement: Array<{ Sid: string }> };
  t.same(after.Statement.map((s) => s.Sid), ['s3-invoke', 'url', 'late']);
  await t.rejects(lambda.send(new RemovePermissionCommand({ FunctionName: 'guarded', StatementId: 'account' })), ResourceNotFoundException);

  // Versions and aliases have their own policies; $LATEST is not a qualifier a policy takes.
  await lambda.send(new PublishVersionCommand({ FunctionName: 'guarded' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'guarded', Name: 'live', FunctionVersion: '1' }));
  const onAlias = await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', Qualifier: 'live', StatementId: 'alias-only', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' }));
  t.equal(JSON.parse(onAlias.Statement!).Resource, `${arn}:live`);
  t.same(JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'guarded', Qualifier: 'live' }))).Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['alias-only']);
  await t.rejects(lambda.send(new GetPolicyCommand({ FunctionName: 'guarded', Qualifier: '1' })), ResourceNotFoundException, 'version 1 has none');
  await t.rejects(
    lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', Qualifier: '$LATEST', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*' })),
    InvalidParameterValueException,
  );
  await t.rejects(
    lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', Qualifier: '9', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*' })),
    ResourceNotFoundException,
    'an unknown version',
  );
  await lambda.send(new DeleteAliasCommand({ FunctionName: 'guarded', Name: 'live' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: 'guarded', Name: 'live', FunctionVersion: '1' }));
  await t.rejects(lambda.send(new GetPolicyCommand({ FunctionName: 'guarded', Qualifier: 'live' })), ResourceNotFoundException, 'an alias policy goes with the alias');

  // Lambda's 20 KB limit on the document.
  let refused: unknown;
  for (let i = 0; i < 200 && refused === undefined; i++) {
    await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: `bulk-${i}`, Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: `arn:aws:sns:us-east-1:123456789012:${'t'.repeat(200)}-${i}` }))
      .catch((err: unknown) => (refused = err));
  }
  t.type(refused, PolicyLengthExceededException);

  // Bad input: Lambda's validation errors, nothing stored.
  const bad = await lambda.send(new AddPermissionCommand({ FunctionName: 'guarded', StatementId: 'has space', Action: 'lambda:InvokeFunction', Principal: '*' })).catch((e: { name: string; message: string }) => e);
  t.match(bad, { name: 'ValidationException', message: /statementId/ });
});
