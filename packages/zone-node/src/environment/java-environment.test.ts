/**
 * The environment contract for Lambda's Java runtimes, through the environment factory as a zone
 * node uses it: the machine's JDK running zonesim's runtime client under the Runtime API, with
 * handlers of test/fixtures/java compiled here. The cases mirror environment-contract.test.ts where
 * they apply to Java (cold/warm with the runtime version named, the context, output, error shapes,
 * INIT errors, timeouts, destroy), once unsandboxed and once in the sandbox. Without a JDK the suite
 * fails under ZONESIM_REQUIRE_JAVA=1 (CI) and skips otherwise, saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import type { Sandbox } from '../sandbox/sandbox.js';
import { functionSpecFor } from '../test-util/function-spec.js';
import { testEnvironment } from '../test-util/environment-harness.js';
import { startTestSandbox } from '../test-util/sandbox.js';
import { machineJavaClient } from './index.js';
import type { EnvironmentInvokeResult, ExecutionEnvironment } from './types.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:jv';
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/java/handlers/example', import.meta.url));
const { jdk, ricDir } = await machineJavaClient();
if ((!jdk || !ricDir) && process.env['ZONESIM_REQUIRE_JAVA'] === '1') throw new Error('ZONESIM_REQUIRE_JAVA=1 but no JDK with javac, or the runtime client did not compile');

/** The fixtures' classes, compiled once for the suite. */
function compileFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-java-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sources = readdirSync(FIXTURES).filter((f) => f.endsWith('.java') && f !== 'UsesLib.java').map((f) => join(FIXTURES, f));
  execFileSync(jdk!.javac, ['--release', '17', '-nowarn', '-cp', ricDir!, '-d', dir, ...sources], { stdio: 'pipe' });
  return dir;
}

const spec = (overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
  functionSpecFor('jv', { handler: 'example.Hello', runtime: 'java21', memoryMb: 512, timeoutSec: 5, codeSha256Hex: 'e'.repeat(64), ...overrides });

type Variant = 'plain' | 'sandboxed';
const probe = await startTestSandbox();
const SANDBOX: Sandbox | undefined = 'sandbox' in probe ? probe.sandbox : undefined;
if (SANDBOX) t.teardown(() => ('stop' in probe ? probe.stop() : undefined));
const json = (r: EnvironmentInvokeResult): unknown => (r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined);

function suite(t: Test, variant: Variant, codeDir: string): void {
  const harness = (tt: Test, overrides: Partial<FunctionSpec> = {}): { env: ExecutionEnvironment; invoke(event: unknown, requestId?: string): Promise<EnvironmentInvokeResult> } => {
    const h = testEnvironment(tt, { spec: spec(overrides), codeDir, components: variant === 'sandboxed' && SANDBOX ? { sandbox: SANDBOX } : {} });
    return { env: h.env, invoke: (event, requestId) => h.invoke(event, requestId === undefined ? {} : { requestId }) };
  };

  t.test('cold start names the JDK; the JVM stays warm; stdout is the log', async (t) => {
    const h = harness(t);
    const r1 = await h.invoke('ada', 'cold-1');
    t.equal(r1.outcome, 'success', JSON.stringify(r1.functionError));
    t.same(json(r1), 'Hello, ada! (call 1)');
    t.equal(r1.logLines[0], `INIT_START Runtime Version: java:${jdk!.version}`);
    t.ok(r1.logLines.includes('hello line 1'));
    t.match(r1.logLines.find((l) => l.startsWith('REPORT ')), /Init Duration: [\d.]+ ms\tRuntime Version: java:/);
    const r2 = await h.invoke('bob');
    t.same(json(r2), 'Hello, bob! (call 2)');
    t.equal(r2.initMs, undefined);
  });

  t.test("Lambda's context", async (t) => {
    const r = await harness(t, { handler: 'example.ContextProbe' }).invoke({}, 'ctx-1');
    t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
    t.match(json(r), { requestId: 'ctx-1', functionName: 'jv', functionVersion: '$LATEST', memory: 512, logGroup: '/aws/lambda/jv', arn: ARN });
  });

  t.test('an exception: its class, message, trace and cause; the environment is kept', async (t) => {
    const h = harness(t, { handler: 'example.Thrower' });
    const r = await h.invoke({});
    t.match(r.functionError, { errorType: 'java.lang.IllegalStateException', errorMessage: 'boom', cause: { errorType: 'java.lang.IllegalArgumentException' } });
    t.ok(r.environmentKept);
    t.same(json(await h.invoke({ ok: true })), 'fine');
  });

  t.test('INIT errors: a missing class, a failing constructor', async (t) => {
    const missing = await harness(t, { handler: 'example.Nope' }).invoke({});
    t.equal(missing.functionError?.errorType, 'java.lang.ClassNotFoundException');
    t.ok(missing.logLines.some((l) => l.startsWith('INIT_REPORT ')), JSON.stringify(missing.logLines));
    t.notOk(missing.environmentKept);
    const ctor = await harness(t, { handler: 'example.BadConstructor' }).invoke({});
    t.equal(ctor.outcome, 'function-error');
    t.notOk(ctor.environmentKept);
  });

  t.test('LoggingConfig JSON: LambdaLogger records are JSON at the application level, System.out stays plain', async (t) => {
    const r = await harness(t, { handler: 'example.LevelLogs', jsonLogs: { applicationLogLevel: 'WARN', systemLogLevel: 'INFO' } }).invoke('x', 'jl-1');
    t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
    const records = r.logLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const app = records.filter((rec) => 'level' in rec);
    for (const rec of app) t.match(rec['timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.same(app.map(({ timestamp: _, ...rest }) => rest), [
      { message: 'plain x', level: 'UNDEFINED', AWSRequestId: 'jl-1' },
      { message: 'WARN x', level: 'WARN', AWSRequestId: 'jl-1' },
      { message: 'ERROR x', level: 'ERROR', AWSRequestId: 'jl-1' },
      { message: 'FATAL x', level: 'FATAL', AWSRequestId: 'jl-1' },
    ], 'below WARN dropped (the INIT record too); log(String) is never dropped');
    for (const plain of ['stdout x', 'stderr x', 'bytes warn x', 'bytes x', 'end x']) t.ok(r.logLines.includes(plain), `${plain}: a plain line`);
    t.notOk(r.logLines.some((l) => /(INFO|DEBUG|TRACE) x|bytes debug|init record|thread x/.test(l)), JSON.stringify(r.logLines));
    t.ok(records.some((rec) => rec['type'] === 'platform.start'), "the platform's lines are JSON as well");
  });

  t.test('the text format: the LambdaLogger as before, levels as a prefix', async (t) => {
    const r = await harness(t, { handler: 'example.LevelLogs' }).invoke('y', 'tl-1');
    t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
    t.notOk(r.logLines.some((l) => l.startsWith('{')), JSON.stringify(r.logLines));
    for (const line of ['[INFO] init record', 'stdout y', 'plain y', '[TRACE] TRACE y', '[FATAL] FATAL y', 'bytes debug y', '[INFO] thread y']) t.ok(r.logLines.includes(line), line);
  });

  t.test('timeout kills the JVM with Sandbox.Timedout', async (t) => {
    const h = harness(t, { handler: 'example.Oom', timeoutSec: 1, memoryMb: 10240 });
    // At 10 GB the heap takes longer than a second to fill: the timeout comes first.
    const r = await h.invoke({});
    t.match(r.functionError?.errorType, /^(Sandbox\.Timedout|java\.lang\.OutOfMemoryError)$/);
    if (r.functionError?.errorType === 'Sandbox.Timedout') t.notOk(r.environmentKept);
  });
}

const skip = jdk && ricDir ? undefined : 'no JDK with javac on this machine';
if (skip) t.test('java environments', { skip }, async () => undefined);
else {
  const codeDir = compileFixtures();
  t.test('unsandboxed', async (t) => suite(t, 'plain', codeDir));
  t.test('in the sandbox (bwrap+cgroup)', 'skip' in probe ? { skip: probe.skip } : {}, async (t) => suite(t, 'sandboxed', codeDir));
}
