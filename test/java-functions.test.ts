// Issue 17, Java: through the official SDK (@aws-sdk/client-lambda) a Java function (classes compiled
// here with the machine's javac against zonesim's handler API, deployed as a zip of classes and as a
// jar) deploys, answers with POJOs, fails with Lambda's error shapes, times out, exceeds its memory
// and fails over when its zone node is killed. Without a JDK the test skips, saying why, unless
// ZONESIM_REQUIRE_JAVA=1.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { buildZip } from '@zonesim/code';
import { machineJavaClient } from '../packages/zone-node/src/environment/java-runtime.js';
import { testCluster, tempDir } from './harness/cluster.js';
import { api, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const ROLE = 'arn:aws:iam::000000000000:role/java';
const FIXTURES = fileURLToPath(new URL('./fixtures/java/handlers', import.meta.url));
const { jdk, ricDir } = await machineJavaClient();
if ((!jdk || !ricDir) && process.env['ZONESIM_REQUIRE_JAVA'] === '1') throw new Error('ZONESIM_REQUIRE_JAVA=1 but there is no JDK with javac, or the runtime client did not compile');


/** Every file under `dir`, relative path -> bytes. */
function filesOf(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

const decode = (out: InvokeCommandOutput): unknown => JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));

interface ZonesView {
  zones: Array<{ zone: string; health: string }>;
}

t.test('a Java function through the SDK: POJOs, errors, timeout, memory, failover', { skip: jdk && ricDir ? false : 'no JDK with javac on this machine' }, async (t) => {
  const work = await tempDir(t);
  const sources = readdirSync(join(FIXTURES, 'example')).map((f) => join(FIXTURES, 'example', f)).filter((f) => f.endsWith('.java') && !f.endsWith('UsesLib.java'));
  const classes = join(work, 'classes');
  execFileSync(jdk!.javac, ['--release', '17', '-nowarn', '-cp', ricDir!, '-d', classes, ...sources], { stdio: 'pipe' });
  const jar = join(work, 'app.jar');
  execFileSync(join(jdk!.home, 'bin', 'jar'), ['cf', jar, '-C', classes, '.'], { stdio: 'pipe' });

  const cluster = await testCluster(t, { zoneCount: 3 });
  const lambda = new LambdaClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  t.teardown(() => lambda.destroy());
  const zip = await buildZip(filesOf(classes));
  const deploy = (name: string, handler: string, extra: { memory?: number; timeout?: number; runtime?: 'java17' | 'java21'; code?: Buffer } = {}) =>
    lambda.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: extra.runtime ?? 'java17', Role: ROLE, Handler: handler, Code: { ZipFile: extra.code ?? zip },
      MemorySize: extra.memory ?? 512, Timeout: extra.timeout ?? 10,
    }));

  await deploy('hello', 'example.Hello::handleRequest');
  const first = await lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('"zonesim"'), LogType: 'Tail' }));
  t.equal(first.FunctionError, undefined, JSON.stringify(decode(first)));
  t.same(decode(first), 'Hello, zonesim! (call 1)');
  const tail = Buffer.from(first.LogResult ?? '', 'base64').toString('utf8');
  t.match(tail, new RegExp(`INIT_START Runtime Version: java:${jdk!.version.replace(/\./g, '\\.')}`));
  t.match(tail, /hello line 1/);
  t.match(tail, /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\tRuntime Version: java:/);
  t.same(decode(await lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('"again"') }))), 'Hello, again! (call 2)', 'the JVM stays warm');

  // A POJO in, a POJO out, from the jar's classes (a jar is a zip of classes: deployed as is).
  await deploy('pojo', 'example.PojoHandler', { runtime: 'java21', code: readFileSync(jar) });
  const order = { orderId: 'o-7', items: [{ sku: 'a', count: 2, price: 1.5 }], batches: { b1: [1, 2] }, customer: { name: 'Ada', email: 'ada@example.com' }, priority: true, createdAt: 5 };
  const pojo = await lambda.send(new InvokeCommand({ FunctionName: 'pojo', Payload: Buffer.from(JSON.stringify(order)) }));
  t.equal(pojo.FunctionError, undefined, JSON.stringify(decode(pojo)));
  t.match(decode(pojo), { total: 3, lines: ['2 x a'], priority: true });

  await deploy('thrower', 'example.Thrower');
  const failed = await lambda.send(new InvokeCommand({ FunctionName: 'thrower', Payload: Buffer.from('{}') }));
  t.equal(failed.FunctionError, 'Unhandled');
  t.match(decode(failed), {
    errorType: 'java.lang.IllegalStateException',
    errorMessage: 'boom',
    stackTrace: [/example\.Thrower\.fail\(Thrower\.java:16\)/],
    cause: { errorType: 'java.lang.IllegalArgumentException', errorMessage: 'root cause' },
  });
  t.same(decode(await lambda.send(new InvokeCommand({ FunctionName: 'thrower', Payload: Buffer.from('{"ok":true}') }))), 'fine', 'an exception keeps the environment');

  await deploy('missing', 'example.NoSuchClass');
  const missing = await lambda.send(new InvokeCommand({ FunctionName: 'missing', Payload: Buffer.from('{}') }));
  t.match(decode(missing), { errorType: 'java.lang.ClassNotFoundException', errorMessage: /example\.NoSuchClass/ });

  await deploy('sleeper', 'example.Sleeper', { timeout: 2 });
  const slow = await lambda.send(new InvokeCommand({ FunctionName: 'sleeper', Payload: Buffer.from('{}') }));
  t.match(decode(slow), { errorType: 'Sandbox.Timedout', errorMessage: /Task timed out after 2\.00 seconds/ });

  await deploy('oom', 'example.Oom', { memory: 256 });
  const oom = await lambda.send(new InvokeCommand({ FunctionName: 'oom', Payload: Buffer.from('{}') }));
  t.equal(oom.FunctionError, 'Unhandled');
  t.match(decode(oom), { errorType: /^(java\.lang\.OutOfMemoryError|Runtime\.OutOfMemory)$/ }, JSON.stringify(decode(oom)));

  // Failover: kill the zone node that ran it; the next invoke is a cold start in another zone.
  const ran = await invoke(cluster.apiUrl, 'hello', '"x"');
  const zone = ran.headers.get('x-zonesim-zone')!;
  t.ok(zone, `the zone that ran it: ${ran.status} ${ran.text}`);
  const victim = cluster.zoneNodes.find((z) => z.zone === zone)!;
  victim.handle.signal('SIGKILL');
  await victim.handle.exited;
  await waitFor(async () => ((await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json as ZonesView).zones.find((z) => z.zone === zone)?.health === 'down', 10_000, 'the killed zone to be down');
  const after = await invoke(cluster.apiUrl, 'hello', '"elsewhere"');
  t.equal(after.status, 200, after.text);
  t.equal(after.json, 'Hello, elsewhere! (call 1)');
  t.not(after.headers.get('x-zonesim-zone'), zone);
});
