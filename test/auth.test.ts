// Lambda API issue: with an access key and secret configured, every API request must carry a valid
// SigV4 signature made with them (403 with AWS's exception otherwise); without them, nothing changes.
import { createRequire } from 'node:module';
import t, { type Test } from 'tap';
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { HOST_SINK_ZONE_ARGS, testCluster } from './harness/cluster.js';
import { runZonesim } from './harness/cli.js';
import { deploy } from './harness/lambda.js';

const KEY = { accessKeyId: 'AKIDZONESIMTEST', secretAccessKey: 'sEcReT/zonesim+test' };
const SDK_PATH = createRequire(import.meta.url).resolve('@aws-sdk/client-lambda');

function client(t: Test, endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): LambdaClient {
  const c = new LambdaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.teardown(() => c.destroy());
  return c;
}

/** Runs `zonesim` with the API credentials in its environment, as a user who exported them. */
async function zonesimWithKeys(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  process.env['ZONESIM_ACCESS_KEY_ID'] = KEY.accessKeyId;
  process.env['ZONESIM_SECRET_ACCESS_KEY'] = KEY.secretAccessKey;
  try {
    return await runZonesim(args);
  } finally {
    delete process.env['ZONESIM_ACCESS_KEY_ID'];
    delete process.env['ZONESIM_SECRET_ACCESS_KEY'];
  }
}

t.test('auth on: signed clients work, everyone else gets 403 with the AWS exception', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, credentials: KEY });
  const lambda = client(t, cluster.apiUrl, KEY);
  const zip = await buildZip({ 'index.mjs': 'export const handler = async (e) => ({ echo: e });' });

  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName: 'auth-fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/auth', Handler: 'index.handler', Code: { ZipFile: zip },
  }));
  t.equal(created.State, 'Active');
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'auth-fn', Qualifier: '$LATEST', Payload: Buffer.from('{"n":1}') }));
  t.equal(out.StatusCode, 200);
  t.same(JSON.parse(new TextDecoder().decode(out.Payload)), { echo: { n: 1 } }, 'the zone node fetched the code (cluster token) and ran it');
  t.same((await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName), ['auth-fn']);
  // The tags path carries the ARN: the SDK signs it double-encoded.
  await lambda.send(new TagResourceCommand({ Resource: created.FunctionArn!, Tags: { team: 'zonesim' } }));
  t.same((await lambda.send(new ListTagsCommand({ Resource: created.FunctionArn! }))).Tags, { team: 'zonesim' });

  const wrongSecret = client(t, cluster.apiUrl, { ...KEY, secretAccessKey: 'not-the-secret' });
  await t.rejects(wrongSecret.send(new ListFunctionsCommand({})), { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
  await t.rejects(
    wrongSecret.send(new InvokeCommand({ FunctionName: 'auth-fn', Payload: Buffer.from('{}') })),
    { name: 'InvalidSignatureException', message: /does not match the signature you provided/ },
  );
  const unknownKey = client(t, cluster.apiUrl, { accessKeyId: 'AKIDSTRANGER', secretAccessKey: KEY.secretAccessKey });
  await t.rejects(unknownKey.send(new ListFunctionsCommand({})), { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });

  for (const [method, path] of [['GET', '/2015-03-31/functions'], ['POST', '/2015-03-31/functions/auth-fn/invocations'], ['GET', '/zonesim/v1/zones']] as const) {
    const res = await fetch(cluster.apiUrl + path, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
    t.equal(res.status, 403, `unsigned ${method} ${path}`);
    t.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    t.same(await res.json(), { Type: 'User', message: 'Missing Authentication Token' });
  }
  const health = await fetch(`${cluster.apiUrl}/zonesim/v1/health`);
  t.equal(health.status, 200, 'the health check stays open');
  const sneaky = await fetch(`${cluster.apiUrl}/zonesim/v1/code/../functions/auth-fn/code.zip`);
  t.equal(sneaky.status, 403, 'dot segments do not reach around the check');
});

t.test('auth on: a function calls another with the AWS SDK, using the credentials the platform gives it', async (t) => {
  // The handler loads the repository's SDK by its host path, which a sandboxed environment cannot
  // see (zonesim has no built-in SDK yet: issue 17), so this cluster runs unsandboxed.
  const cluster = await testCluster(t, { zoneCount: 1, credentials: KEY, zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const lambda = client(t, cluster.apiUrl, KEY);
  t.equal((await deploy(cluster.apiUrl, 'unsigned-deploy', { 'index.mjs': 'export const handler = async () => 1;' })).status, 403, 'the harness\'s unsigned deploy is refused');
  const callee = await buildZip({ 'index.mjs': 'export const handler = async (e) => ({ doubled: e.n * 2 });' });
  // The SDK is not in the function's package; the handler loads the repository's copy by path.
  const caller = await buildZip({
    'index.js': `const { LambdaClient, InvokeCommand } = require(${JSON.stringify(SDK_PATH)});
      exports.handler = async (e) => {
        const lambda = new LambdaClient({ maxAttempts: 1 });
        const out = await lambda.send(new InvokeCommand({ FunctionName: 'callee', Payload: JSON.stringify({ n: e.n }) }));
        return { fromCallee: JSON.parse(Buffer.from(out.Payload).toString()), endpointFromEnv: Boolean(process.env.AWS_ENDPOINT_URL_LAMBDA) };
      };`,
  });
  const common = { Runtime: 'nodejs20.x' as const, Role: 'arn:aws:iam::000000000000:role/auth', Handler: 'index.handler' };
  await lambda.send(new CreateFunctionCommand({ ...common, FunctionName: 'callee', Code: { ZipFile: callee } }));
  await lambda.send(new CreateFunctionCommand({ ...common, FunctionName: 'caller', Code: { ZipFile: caller }, Timeout: 20 }));
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'caller', Payload: Buffer.from('{"n":21}') }));
  const result = JSON.parse(new TextDecoder().decode(out.Payload));
  t.equal(out.FunctionError, undefined, JSON.stringify(result));
  t.same(result, { fromCallee: { doubled: 42 }, endpointFromEnv: true });
});

t.test('auth on: the CLI signs when ZONESIM_ACCESS_KEY_ID and ZONESIM_SECRET_ACCESS_KEY are set', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1, credentials: KEY });
  const endpoint = ['--endpoint-url', cluster.apiUrl];
  const zip = await buildZip({ 'index.mjs': 'export const handler = async (e) => ({ got: e });' });
  await client(t, cluster.apiUrl, KEY).send(new CreateFunctionCommand({
    FunctionName: 'cli-fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/auth', Handler: 'index.handler', Code: { ZipFile: zip },
  }));
  const invoked = await zonesimWithKeys(['invoke', 'cli-fn', '--payload', '{"x":1}', ...endpoint]);
  t.equal(invoked.code, 0, invoked.stderr);
  t.same(JSON.parse(invoked.stdout), { got: { x: 1 } });
  const listed = await zonesimWithKeys(['ls', ...endpoint]);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, /cli-fn/);
  const zones = await zonesimWithKeys(['zones', ...endpoint]);
  t.equal(zones.code, 0, zones.stderr);

  const unsigned = await runZonesim(['invoke', 'cli-fn', ...endpoint]);
  t.equal(unsigned.code, 1);
  t.match(unsigned.stderr, /HTTP 403 MissingAuthenticationTokenException/);
});

t.test('auth off: unsigned requests pass', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  const res = await fetch(`${cluster.apiUrl}/2015-03-31/functions`);
  t.equal(res.status, 200);
  t.same(await res.json(), { Functions: [] });
  t.equal((await deploy(cluster.apiUrl, 'open-fn', { 'index.mjs': 'export const handler = async () => 1;' })).status, 201);
});
