// Issue 17: where the machine has no python3 or no JDK, Python and Java functions are refused with
// a clear message naming what is missing, through the official SDK, and the zone node keeps
// serving everything else. The zone node here runs with a PATH that holds node alone, no JAVA_HOME,
// and ZONESIM_PYTHON pointing nowhere.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { HOST_SINK_ZONE_ARGS, testCluster } from './harness/cluster.js';

const ROLE = 'arn:aws:iam::000000000000:role/missing';
const body = (out: InvokeCommandOutput): Record<string, unknown> => JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;

t.test('no python3, no JDK: Python and Java functions fail with a clear error; Node still runs', async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'zonesim-node-only-'));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  await symlink(process.execPath, join(bin, 'node'));
  const saved = { PATH: process.env['PATH'], JAVA_HOME: process.env['JAVA_HOME'], ZONESIM_PYTHON: process.env['ZONESIM_PYTHON'] };
  process.env['PATH'] = bin;
  delete process.env['JAVA_HOME'];
  process.env['ZONESIM_PYTHON'] = join(bin, 'no-python3-here');
  let cluster;
  try {
    // The processes take the environment as they start.
    cluster = await testCluster(t, { zoneCount: 1, zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());

  await lambda.send(new CreateFunctionCommand({ FunctionName: 'py', Runtime: 'python3.12', Role: ROLE, Handler: 'app.handler', Code: { ZipFile: await buildZip({ 'app.py': 'def handler(e, c):\n    return 1\n' }) } }));
  const py = await lambda.send(new InvokeCommand({ FunctionName: 'py' }));
  t.equal(py.FunctionError, 'Unhandled');
  t.match(body(py), { errorType: 'Runtime.InvalidRuntime', errorMessage: /python3.*ZONESIM_PYTHON/ });

  await lambda.send(new CreateFunctionCommand({ FunctionName: 'jv', Runtime: 'java21', Role: ROLE, Handler: 'example.Hello', MemorySize: 512, Code: { ZipFile: await buildZip({ 'example/Hello.class': Buffer.from([0xca, 0xfe, 0xba, 0xbe]) }) } }));
  const jv = await lambda.send(new InvokeCommand({ FunctionName: 'jv' }));
  t.equal(jv.FunctionError, 'Unhandled');
  t.match(body(jv), { errorType: 'Runtime.InvalidRuntime', errorMessage: /needs a JDK.*JAVA_HOME/ });

  await lambda.send(new CreateFunctionCommand({ FunctionName: 'js', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await buildZip({ 'index.js': 'exports.handler = async () => "fine";\n' }) } }));
  const js = await lambda.send(new InvokeCommand({ FunctionName: 'js' }));
  t.equal(js.FunctionError, undefined);
  t.equal(Buffer.from(js.Payload ?? new Uint8Array()).toString('utf8'), '"fine"', 'the zone node serves the rest');
});
