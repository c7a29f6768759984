// Issue 17, "no silent drops": every setting CreateFunction and UpdateFunctionConfiguration accept is
// honoured or refused with an error naming it. LoggingConfig JSON makes the runtimes' records and
// the platform's lines Lambda's JSON records, filtered by ApplicationLogLevel and SystemLogLevel;
// TracingConfig Active passes a sampled trace header; VpcConfig and KMSKeyArn are stored and
// returned; Layers are honoured (test/layers.test.ts: a layer that does not exist is refused here);
// DeadLetterConfig, FileSystemConfigs, SnapStart on versions and fields the API does not have are
// refused.
import t from 'tap';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { machinePython } from '../packages/zone-node/src/environment/python-runtime.js';
import { testCluster } from './harness/cluster.js';
import { api } from './harness/lambda.js';

const ROLE = 'arn:aws:iam::000000000000:role/settings';
const PYTHON = await machinePython();

const NODE = `export const handler = async () => {
  console.debug('too fine');
  console.info('hidden below WARN');
  console.warn('kept', { n: 1 });
  console.error(new TypeError('shown with its type'));
  return { trace: process.env._X_AMZN_TRACE_ID, format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL };
};
`;

const PY = `import logging
logger = logging.getLogger("orders")
def handler(event, context):
    logger.debug("hidden at INFO")
    logger.info("order %s placed", 7)
    print("a plain print stays text")
    return "ok"
`;

const tailLines = (out: { LogResult?: string }): string[] => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8').split('\n').filter((l) => l !== '');
const records = (lines: string[]): Array<Record<string, unknown>> =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

t.test('function settings are honoured or refused, never dropped', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const zip = await buildZip({ 'index.mjs': NODE });
  const base: CreateFunctionCommandInput = { FunctionName: 'x', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip } };

  t.test('LoggingConfig JSON, TracingConfig Active, VpcConfig and KMSKeyArn on a Node function', async (t) => {
    const created = await lambda.send(new CreateFunctionCommand({
      ...base,
      FunctionName: 'json-node',
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'WARN', SystemLogLevel: 'INFO' },
      TracingConfig: { Mode: 'Active' },
      VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
      KMSKeyArn: 'arn:aws:kms:us-east-1:000000000000:key/abc',
    }));
    t.same(created.LoggingConfig, { LogFormat: 'JSON', ApplicationLogLevel: 'WARN', SystemLogLevel: 'INFO', LogGroup: '/aws/lambda/json-node' });
    t.same(created.TracingConfig, { Mode: 'Active' });
    t.same(created.VpcConfig, { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'], Ipv6AllowedForDualStack: false, VpcId: '' });
    t.equal(created.KMSKeyArn, 'arn:aws:kms:us-east-1:000000000000:key/abc');

    const out = await lambda.send(new InvokeCommand({ FunctionName: 'json-node', LogType: 'Tail' }));
    const body = JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
    t.match(body.trace, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/, 'Active tracing: a sampled header');
    t.same([body.format, body.level], ['JSON', 'WARN']);
    const lines = tailLines(out);
    const recs = records(lines);
    t.equal(recs.length, lines.length, `every line is a JSON record: ${lines.join(' | ')}`);
    const app = recs.filter((r) => 'level' in r);
    t.same(app.map((r) => r['level']), ['WARN', 'ERROR'], 'DEBUG and INFO are below the ApplicationLogLevel');
    t.match(app[0], { message: "kept { n: 1 }", requestId: /\S+/ });
    t.match(app[1], { errorType: 'TypeError', errorMessage: 'shown with its type' });
    const types = recs.filter((r) => 'type' in r).map((r) => r['type']);
    t.same(types, ['platform.start', 'platform.runtimeDone', 'platform.report']);
    const report = recs.find((r) => r['type'] === 'platform.report') as { record: { metrics: Record<string, number>; status: string } };
    t.equal(report.record.status, 'success');
    t.equal(report.record.metrics['memorySizeMB'], 128);
    t.type(report.record.metrics['initDurationMs'], 'number', 'the cold start reports its INIT');

    // Back to text, out of the VPC: the next environment is a new one with text logs.
    const updated = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'json-node', LoggingConfig: { LogFormat: 'Text' }, VpcConfig: { SubnetIds: [], SecurityGroupIds: [] } }));
    t.same(updated.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/json-node' });
    t.equal(updated.VpcConfig, undefined);
    t.same(updated.TracingConfig, { Mode: 'Active' }, 'what an update does not name stays');
    const text = tailLines(await lambda.send(new InvokeCommand({ FunctionName: 'json-node', LogType: 'Tail' })));
    t.ok(text.some((l) => /^START RequestId: \S+ Version: \$LATEST$/.test(l)), text.join(' | '));
    t.ok(text.some((l) => /\tINFO\thidden below WARN$/.test(l)), 'text format has no level filter');
  });

  t.test('SystemLogLevel WARN leaves no platform records', async (t) => {
    await lambda.send(new CreateFunctionCommand({ ...base, FunctionName: 'quiet', LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN' } }));
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'quiet' }));
    t.same(conf.LoggingConfig, { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: '/aws/lambda/quiet' });
    const recs = records(tailLines(await lambda.send(new InvokeCommand({ FunctionName: 'quiet', LogType: 'Tail' }))));
    t.same(recs.filter((r) => 'type' in r), []);
    t.same(recs.map((r) => r['level']), ['INFO', 'WARN', 'ERROR']);
  });

  t.test('a Python function with LogFormat JSON', { skip: PYTHON ? false : 'no python3 here' }, async (t) => {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'json-py', Runtime: 'python3.12', Role: ROLE, Handler: 'app.handler', Code: { ZipFile: await buildZip({ 'app.py': PY }) },
      LoggingConfig: { LogFormat: 'JSON' },
    }));
    const lines = tailLines(await lambda.send(new InvokeCommand({ FunctionName: 'json-py', LogType: 'Tail' })));
    const app = records(lines).filter((r) => 'level' in r);
    t.equal(app.length, 1, lines.join(' | '));
    t.match(app[0], { level: 'INFO', message: 'order 7 placed', logger: 'orders', requestId: /\S+/, timestamp: /Z$/ });
    t.ok(lines.includes('a plain print stays text'));
    t.ok(records(lines).some((r) => r['type'] === 'platform.initStart'), 'INIT_START as platform.initStart');
  });

  t.test('what zonesim cannot honour is refused, naming it', async (t) => {
    const refusals: Array<[Partial<CreateFunctionCommandInput>, RegExp]> = [
      [{ Layers: ['arn:aws:lambda:us-east-1:000000000000:layer:lib:1'] }, /Layer version .* does not exist/],
      [{ DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' } }, /DeadLetterConfig/],
      [{ FileSystemConfigs: [{ Arn: 'arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-1', LocalMountPath: '/mnt/x' }] }, /FileSystemConfigs/],
      [{ SnapStart: { ApplyOn: 'PublishedVersions' } }, /SnapStart/],
      [{ CodeSigningConfigArn: 'arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-1' }, /CodeSigningConfigArn/],
      [{ LoggingConfig: { LogFormat: 'Text', ApplicationLogLevel: 'DEBUG' } }, /LogFormat is JSON/],
    ];
    for (const [extra, message] of refusals) {
      const err = await lambda.send(new CreateFunctionCommand({ ...base, FunctionName: 'refused', ...extra })).catch((e: unknown) => e);
      t.type(err, InvalidParameterValueException, JSON.stringify(extra));
      t.match((err as Error).message, message);
    }
    const unknown = await api(cluster.apiUrl, 'POST', '/2015-03-31/functions', { FunctionName: 'refused', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip.toString('base64') }, MemorySizee: 256 });
    t.equal(unknown.status, 400);
    t.equal(unknown.errorType, 'InvalidParameterValueException');
    t.match(unknown.json.message, /no field MemorySizee/);
    t.equal((await api(cluster.apiUrl, 'GET', '/2015-03-31/functions/refused')).status, 404, 'nothing was created');
    // What templates send to ask for nothing is accepted.
    const empty = await lambda.send(new CreateFunctionCommand({ ...base, FunctionName: 'empty-extras', Layers: [], DeadLetterConfig: {}, SnapStart: { ApplyOn: 'None' } }));
    t.equal(empty.FunctionName, 'empty-extras');
    const badUpdate = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'empty-extras', Layers: ['arn:aws:lambda:us-east-1:000000000000:layer:lib:1'] })).catch((e: unknown) => e);
    t.type(badUpdate, InvalidParameterValueException);
  });
});
