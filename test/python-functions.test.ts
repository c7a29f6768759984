// Issue 17, Python: through the official SDK (@aws-sdk/client-lambda) a Python function deploys,
// answers, fails with Lambda's error shapes, times out, exceeds its memory and fails over when its
// zone node is killed; a Python function calls another function with boto3 from inside, reaching
// this platform (AWS_ENDPOINT_URL_LAMBDA), never real AWS.
import t from 'tap';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { machinePython } from '../packages/zone-node/src/environment/python-runtime.js';
import { testCluster } from './harness/cluster.js';
import { api, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const ROLE = 'arn:aws:iam::000000000000:role/py';
const PYTHON = await machinePython();
if (!PYTHON && process.env['ZONESIM_REQUIRE_PYTHON'] === '1') throw new Error('ZONESIM_REQUIRE_PYTHON=1 but no python3 (3.8 or later) was found');

const HANDLER = `import json, os, time

state = {"calls": 0}

def lambda_handler(event, context):
    state["calls"] += 1
    action = event.get("do")
    if action == "fail":
        raise KeyError("missing-order")
    if action == "sleep":
        time.sleep(30)
    if action == "hog":
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    print("handled", context.aws_request_id)
    return {"calls": state["calls"], "event": event, "zone_task": os.environ["LAMBDA_TASK_ROOT"] != ""}
`;

const CALLER = `import json, boto3

client = boto3.client("lambda")

def lambda_handler(event, context):
    answer = client.invoke(FunctionName="py-callee", Payload=json.dumps({"from": context.function_name}))
    return {"status": answer["StatusCode"], "payload": json.loads(answer["Payload"].read())}
`;

const decode = (out: InvokeCommandOutput): unknown => JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
const tail = (out: InvokeCommandOutput): string => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

interface ZonesView {
  zones: Array<{ zone: string; health: string }>;
}

t.test('a Python function through the SDK: answers, errors, timeout, memory, failover, boto3 inside', { skip: PYTHON ? false : 'no python3 on this machine' }, async (t) => {
  const cluster = await testCluster(t, { zoneCount: 3 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());

  const zip = await buildZip({ 'lambda_function.py': HANDLER });
  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName: 'py-fn', Runtime: 'python3.12', Role: ROLE, Handler: 'lambda_function.lambda_handler', Code: { ZipFile: zip }, MemorySize: 128, Timeout: 2,
  }));
  t.equal(created.Runtime, 'python3.12');
  t.equal(created.State, 'Active');

  const first = await lambda.send(new InvokeCommand({ FunctionName: 'py-fn', Payload: Buffer.from(JSON.stringify({ n: 1 })), LogType: 'Tail' }));
  t.equal(first.StatusCode, 200);
  t.equal(first.FunctionError, undefined);
  t.same(decode(first), { calls: 1, event: { n: 1 }, zone_task: true });
  t.match(tail(first), new RegExp(`INIT_START Runtime Version: python:${PYTHON!.version.replace(/\./g, '\\.')}`));
  t.match(tail(first), /handled \S+/);
  t.match(tail(first), /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\tRuntime Version: python:/);
  const warm = await lambda.send(new InvokeCommand({ FunctionName: 'py-fn', Payload: Buffer.from('{"n":2}') }));
  t.same(decode(warm), { calls: 2, event: { n: 2 }, zone_task: true }, 'the interpreter stays warm');

  const failed = await lambda.send(new InvokeCommand({ FunctionName: 'py-fn', Payload: Buffer.from('{"do":"fail"}') }));
  t.equal(failed.FunctionError, 'Unhandled');
  const error = decode(failed) as { errorType: string; errorMessage: string; requestId: string; stackTrace: string[] };
  t.equal(error.errorType, 'KeyError');
  t.equal(error.errorMessage, "'missing-order'");
  t.type(error.requestId, 'string');
  t.match(error.stackTrace.at(-1), /lambda_function\.py", line 9, in lambda_handler/);

  const slow = await lambda.send(new InvokeCommand({ FunctionName: 'py-fn', Payload: Buffer.from('{"do":"sleep"}') }));
  t.equal(slow.FunctionError, 'Unhandled');
  t.match(decode(slow), { errorType: 'Sandbox.Timedout', errorMessage: /Task timed out after 2\.00 seconds/ });

  const hog = await lambda.send(new InvokeCommand({ FunctionName: 'py-fn', Payload: Buffer.from('{"do":"hog"}') }));
  t.equal(hog.FunctionError, 'Unhandled');
  t.match(decode(hog), { errorType: 'Runtime.OutOfMemory' });

  // Failover: kill the zone node that ran it (zonesim names the zone in a header the SDK does not
  // expose, so this one call is raw HTTP); the next invoke runs in another zone.
  const ran = await invoke(cluster.apiUrl, 'py-fn', { n: 3 });
  t.equal(ran.status, 200, ran.text);
  const zone = ran.headers.get('x-zonesim-zone') ?? undefined;
  t.ok(zone, 'the zone that ran it is known');
  const victim = cluster.zoneNodes.find((z) => z.zone === zone)!;
  victim.handle.signal('SIGKILL');
  await victim.handle.exited;
  await waitFor(async () => ((await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as ZonesView).zones.find((z) => z.zone === zone)?.health === 'down', 10_000, 'the killed zone to be down');
  const after = await invoke(cluster.apiUrl, 'py-fn', { n: 4 });
  t.equal(after.status, 200, after.text);
  t.same(after.json, { calls: 1, event: { n: 4 }, zone_task: true }, 'a cold start in another zone');
  t.not(after.headers.get('x-zonesim-zone'), zone);
  t.equal(after.headers.get('x-zonesim-cold'), 'true');

  // boto3 from inside a function: it reaches this platform.
  if (PYTHON!.boto3) {
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-callee', Runtime: 'python3.11', Role: ROLE, Handler: 'callee.handler',
      Code: { ZipFile: await buildZip({ 'callee.py': 'def handler(event, context):\n    return {"hello": event["from"], "by": context.function_name}\n' }) },
    }));
    await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-caller', Runtime: 'python3.13', Role: ROLE, Handler: 'caller.lambda_handler', Timeout: 10,
      Code: { ZipFile: await buildZip({ 'caller.py': CALLER }) },
    }));
    const chained = await lambda.send(new InvokeCommand({ FunctionName: 'py-caller', Payload: Buffer.from('{}') }));
    t.equal(chained.FunctionError, undefined, JSON.stringify(decode(chained)));
    t.same(decode(chained), { status: 200, payload: { hello: 'py-caller', by: 'py-callee' } });
  } else t.comment(`skipped the boto3 case: ${PYTHON!.executable} cannot import boto3`);
});

