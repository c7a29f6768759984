// Issue 17, layers: through the official SDK, layer versions are published, listed, fetched and
// deleted; a function names up to five, in order; a layer supplies a library to a Node and a Python
// function, the later layer winning where two hold the same file, with the layers' /opt/bin on
// PATH, and a jar to a Java function from /opt/java/lib; functions keep a deleted layer version;
// Lambda's errors for what cannot be named.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  AddLayerVersionPermissionCommand,
  CreateFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PreconditionFailedException,
  PublishLayerVersionCommand,
  RemoveLayerVersionPermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { machineJavaClient } from '../packages/zone-node/src/environment/java-runtime.js';
import { machinePython } from '../packages/zone-node/src/environment/python-runtime.js';
import { HOST_SINK_ZONE_ARGS, tempDir, testCluster } from './harness/cluster.js';

const ROLE = 'arn:aws:iam::000000000000:role/layers';
const PYTHON = await machinePython();

/** A layer whose library answers `word`, for Node and Python, and a tool in bin/. */
async function layerZip(word: string): Promise<Buffer> {
  return buildZip({
    'nodejs/node_modules/greeting/package.json': '{"name":"greeting","main":"index.js"}',
    'nodejs/node_modules/greeting/index.js': `exports.word = ${JSON.stringify(word)};\n`,
    'python/greeting.py': `WORD = ${JSON.stringify(word)}\n`,
    'bin/layer-tool': { content: `#!/bin/sh\necho tool-${word}\n`, mode: 0o755 },
  });
}

const NODE = `const { execFileSync } = require('node:child_process');
exports.handler = async () => ({ word: require('greeting').word, tool: execFileSync('layer-tool').toString().trim() });
`;
const PY = 'import greeting\n\ndef handler(event, context):\n    return greeting.WORD\n';

const answer = (out: { Payload?: Uint8Array; FunctionError?: string }): unknown => JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));

t.test('layers: publish, use in order from Node and Python, list, delete', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());

  const base = await lambda.send(new PublishLayerVersionCommand({
    LayerName: 'base', Description: 'the first', Content: { ZipFile: await layerZip('base') }, CompatibleRuntimes: ['nodejs20.x', 'python3.12'], LicenseInfo: 'MIT',
  }));
  t.equal(base.Version, 1);
  t.match(base.LayerVersionArn, /^arn:aws:lambda:us-east-1:\d{12}:layer:base:1$/);
  t.equal(base.LayerArn, base.LayerVersionArn!.replace(/:1$/, ''));
  t.type(base.Content?.CodeSha256, 'string');
  t.ok((base.Content?.CodeSize ?? 0) > 0);
  const location = await fetch(base.Content!.Location!);
  t.equal(location.status, 200, 'Content.Location downloads the zip');
  const override = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'override', Content: { ZipFile: await layerZip('override') }, CompatibleRuntimes: ['nodejs20.x'] }));
  const base2 = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'base', Content: { ZipFile: await layerZip('base-two') } }));
  t.equal(base2.Version, 2);

  t.test('Node: the later layer wins; /opt/bin is on PATH', async (t) => {
    const created = await lambda.send(new CreateFunctionCommand({
      FunctionName: 'node-layers', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) },
      Layers: [base.LayerVersionArn!, override.LayerVersionArn!],
    }));
    t.same(created.Layers?.map((l) => l.Arn), [base.LayerVersionArn, override.LayerVersionArn]);
    t.ok(created.Layers?.every((l) => (l.CodeSize ?? 0) > 0));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'node-layers' }));
    t.same(answer(out), { word: 'override', tool: 'tool-override' }, JSON.stringify(answer(out)));
    // The other order: base's files win.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'node-layers', Layers: [override.LayerVersionArn!, base.LayerVersionArn!] }));
    t.same(answer(await lambda.send(new InvokeCommand({ FunctionName: 'node-layers' }))), { word: 'base', tool: 'tool-base' });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'node-layers' }));
    t.same(got.Configuration?.Layers?.map((l) => l.Arn), [override.LayerVersionArn, base.LayerVersionArn]);
    // No layers: the library is gone (it was never in the package).
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'node-layers', Layers: [] }));
    const none = await lambda.send(new InvokeCommand({ FunctionName: 'node-layers' }));
    t.equal(none.FunctionError, 'Unhandled');
    t.match(answer(none), { errorMessage: /Cannot find module 'greeting'/ });
  });

  t.test('Python: /opt/python from the layers, the later one winning', { skip: PYTHON ? false : 'no python3 here' }, async (t) => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-layers', Runtime: 'python3.12', Role: ROLE, Handler: 'app.handler', Code: { ZipFile: await buildZip({ 'app.py': PY }) },
      Layers: [override.LayerVersionArn!, base2.LayerVersionArn!],
    }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'py-layers' }));
    t.equal(out.FunctionError, undefined, JSON.stringify(answer(out)));
    t.same(answer(out), 'base-two');
  });

  t.test('list, get, delete: functions keep a deleted version; it cannot be added again', async (t) => {
    const byArn = await lambda.send(new GetLayerVersionByArnCommand({ Arn: base.LayerVersionArn! }));
    t.equal(byArn.Description, 'the first');
    t.equal(byArn.LicenseInfo, 'MIT');
    t.same(byArn.CompatibleRuntimes, ['nodejs20.x', 'python3.12']);
    const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'base' }));
    t.same(versions.LayerVersions?.map((v) => v.Version), [2, 1], 'newest first');
    const layers = await lambda.send(new ListLayersCommand({}));
    t.same(layers.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version]), [['base', 2], ['override', 1]]);
    const forPython = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
    t.same(forPython.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version]), [['base', 1]], 'the newest version that matches');

    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'keeps', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) }, Layers: [override.LayerVersionArn!],
    }));
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'override', VersionNumber: 1 }));
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'override', VersionNumber: 1 }));
    await t.rejects(lambda.send(new GetLayerVersionCommand({ LayerName: 'override', VersionNumber: 1 })), ResourceNotFoundException);
    // A new configuration (a cold start on a fresh spec) still gets the deleted version's files.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keeps', Environment: { Variables: { AGAIN: '1' } } }));
    t.same(answer(await lambda.send(new InvokeCommand({ FunctionName: 'keeps' }))), { word: 'override', tool: 'tool-override' });
    await t.rejects(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'late', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) }, Layers: [override.LayerVersionArn!] })),
      InvalidParameterValueException,
    );
    const republished = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'override', Content: { ZipFile: await layerZip('again') } }));
    t.equal(republished.Version, 2, 'a number is never reused');
  });

  t.test("Lambda's refusals", async (t) => {
    const zip = await buildZip({ 'index.js': NODE });
    const create = (layers: string[]) =>
      lambda.send(new CreateFunctionCommand({ FunctionName: 'refused', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Layers: layers }));
    const six = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await lambda.send(new PublishLayerVersionCommand({ LayerName: `l${i}`, Content: { ZipFile: await layerZip(`l${i}`) } }))).LayerVersionArn!));
    await t.rejects(create(six), { name: 'InvalidParameterValueException', message: /more than 5 layers/ });
    await t.rejects(create([base.LayerVersionArn!, base2.LayerVersionArn!]), { name: 'InvalidParameterValueException', message: /same layer/ });
    await t.rejects(create([`${base.LayerArn}:99`]), { name: 'InvalidParameterValueException', message: /does not exist/ });
    await t.rejects(
      lambda.send(new PublishLayerVersionCommand({ LayerName: 'bad', Content: { ZipFile: Buffer.from('not a zip') } })),
      InvalidParameterValueException,
    );
  });
});

const JAVA = await machineJavaClient();
const JAVA_FIXTURES = fileURLToPath(new URL('./fixtures/java', import.meta.url));

t.test('a layer supplies a jar to a Java function at /opt/java/lib', { skip: JAVA.jdk && JAVA.ricDir ? false : 'no JDK with javac on this machine' }, async (t) => {
  const { jdk, ricDir } = JAVA;
  const work = await tempDir(t);
  // The library in a jar of its own, shipped only in the layer; the handler compiled against it.
  execFileSync(jdk!.javac, ['--release', '17', '-d', join(work, 'lib-classes'), join(JAVA_FIXTURES, 'lib', 'libdemo', 'Shout.java')], { stdio: 'pipe' });
  const jar = join(work, 'shout.jar');
  execFileSync(join(jdk!.home, 'bin', 'jar'), ['cf', jar, '-C', join(work, 'lib-classes'), '.'], { stdio: 'pipe' });
  execFileSync(jdk!.javac, ['--release', '17', '-cp', `${ricDir!}:${jar}`, '-d', join(work, 'classes'), join(JAVA_FIXTURES, 'handlers', 'example', 'UsesLib.java')], { stdio: 'pipe' });

  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'shout', Content: { ZipFile: await buildZip({ 'java/lib/shout.jar': readFileSync(jar) }) }, CompatibleRuntimes: ['java21'] }));
  const code = await buildZip({ 'example/UsesLib.class': readFileSync(join(work, 'classes', 'example', 'UsesLib.class')) });
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'java-layer', Runtime: 'java21', Role: ROLE, Handler: 'example.UsesLib', MemorySize: 512, Timeout: 10, Code: { ZipFile: code }, Layers: [layer.LayerVersionArn!],
  }));
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'java-layer', Payload: JSON.stringify('quiet') }));
  t.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
  t.equal(answer(out), 'QUIET!', "the layer's jar is on the class path");
  // Without the layer the class is missing: the jar came from the layer alone.
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'java-layer', Layers: [] }));
  const without = await lambda.send(new InvokeCommand({ FunctionName: 'java-layer', Payload: JSON.stringify('quiet') }));
  t.equal(without.FunctionError, 'Unhandled');
  t.match(answer(without), { errorType: /NoClassDefFoundError|ClassNotFoundException/ });
});

t.test('layer version permissions: add, get, remove, with Lambda\'s errors', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'shared', Content: { ZipFile: await layerZip('shared') } }));
  const version = { LayerName: 'shared', VersionNumber: layer.Version! };
  await t.rejects(lambda.send(new GetLayerVersionPolicyCommand(version)), ResourceNotFoundException, 'no policy yet');

  const added = await lambda.send(new AddLayerVersionPermissionCommand({ ...version, StatementId: 'org-read', Action: 'lambda:GetLayerVersion', Principal: '*', OrganizationId: 'o-abcdefghij' }));
  t.same(JSON.parse(added.Statement!), {
    Sid: 'org-read', Effect: 'Allow', Principal: '*', Action: 'lambda:GetLayerVersion', Resource: layer.LayerVersionArn,
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
  });
  t.type(added.RevisionId, 'string');
  const second = await lambda.send(new AddLayerVersionPermissionCommand({ ...version, StatementId: 'account-read', Action: 'lambda:GetLayerVersion', Principal: '123456789012', RevisionId: added.RevisionId }));
  t.match(JSON.parse(second.Statement!), { Principal: { AWS: 'arn:aws:iam::123456789012:root' } });
  const got = await lambda.send(new GetLayerVersionPolicyCommand(version));
  t.same(JSON.parse(got.Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['org-read', 'account-read']);
  t.equal(got.RevisionId, second.RevisionId);

  await t.rejects(lambda.send(new AddLayerVersionPermissionCommand({ ...version, StatementId: 'org-read', Action: 'lambda:GetLayerVersion', Principal: '*' })), ResourceConflictException, 'a statement id is used once');
  await t.rejects(lambda.send(new AddLayerVersionPermissionCommand({ ...version, StatementId: 'x', Action: 'lambda:GetLayerVersion', Principal: '*', RevisionId: added.RevisionId })), PreconditionFailedException, 'a stale revision');
  await t.rejects(lambda.send(new AddLayerVersionPermissionCommand({ ...version, StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*' })), { name: 'ValidationException' }, 'only lambda:GetLayerVersion');
  await t.rejects(lambda.send(new AddLayerVersionPermissionCommand({ LayerName: 'shared', VersionNumber: 99, StatementId: 'x', Action: 'lambda:GetLayerVersion', Principal: '*' })), ResourceNotFoundException);

  await lambda.send(new RemoveLayerVersionPermissionCommand({ ...version, StatementId: 'org-read' }));
  t.same(JSON.parse((await lambda.send(new GetLayerVersionPolicyCommand(version))).Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['account-read']);
  await t.rejects(lambda.send(new RemoveLayerVersionPermissionCommand({ ...version, StatementId: 'org-read' })), ResourceNotFoundException, 'removed once');
  await lambda.send(new RemoveLayerVersionPermissionCommand({ ...version, StatementId: 'account-read' }));
  await t.rejects(lambda.send(new GetLayerVersionPolicyCommand(version)), ResourceNotFoundException, 'the last statement gone: no policy');
});

t.test('without a sandbox the layers are found through the runtimes\' search paths; the 250 MB limit counts them', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const lib = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'lib', Content: { ZipFile: await layerZip('unsandboxed') } }));
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'node-plain', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) }, Layers: [lib.LayerVersionArn!] }));
  t.same(answer(await lambda.send(new InvokeCommand({ FunctionName: 'node-plain' }))), { word: 'unsandboxed', tool: 'tool-unsandboxed' }, 'NODE_PATH and PATH name the layers\' directory on the host');
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'py-plain', Runtime: 'python3.12', Role: ROLE, Handler: 'app.handler', Code: { ZipFile: await buildZip({ 'app.py': PY }) }, Layers: [lib.LayerVersionArn!] }));
  t.same(answer(await lambda.send(new InvokeCommand({ FunctionName: 'py-plain' }))), 'unsandboxed', "Python's path names it too");

  // Two layers of 130 MB unzipped each (they zip small): each fits, together they pass 250 MB.
  const big = async (name: string): Promise<string> =>
    (await lambda.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await buildZip({ 'data.bin': Buffer.alloc(130 * 1024 * 1024) }) } }))).LayerVersionArn!;
  const [a, b] = [await big('big-a'), await big('big-b')];
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'one-big', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) }, Layers: [a] }));
  await t.rejects(
    lambda.send(new CreateFunctionCommand({ FunctionName: 'two-big', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': NODE }) }, Layers: [a, b] })),
    { name: 'InvalidParameterValueException', message: /Function code combined with layers exceeds the maximum allowed size of 262144000 bytes/ },
  );
  await t.rejects(
    lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'one-big', Layers: [a, b] })),
    { name: 'InvalidParameterValueException', message: /combined with layers exceeds/ },
    'UpdateFunctionConfiguration counts them too',
  );
});
