/**
 * The environment contract for custom runtimes (`provided.al2023`) and images: a `bootstrap` in
 * /bin/sh that talks to its Runtime API with curl, as the Lambda docs' tutorial runtime does. The
 * cases mirror environment-contract.test.ts where it applies (cold/warm, logs, errors, INIT
 * failures, timeouts, OOM through the RSS watchdog or the cgroup, exit, destroy, abort), once
 * unsandboxed and once in the sandbox (bubblewrap + cgroups, issue 15).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import type { Sandbox } from '../sandbox/sandbox.js';
import { startTestSandbox } from '../test-util/sandbox.js';
import { createEnvironmentFactory, type EnvironmentOptions } from './index.js';
import type { EnvironmentInvokeResult, ExecutionEnvironment } from './types.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:custom';

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: 'custom:1',
    functionName: 'custom',
    version: '$LATEST',
    functionArn: ARN,
    codeSha256Hex: 'b'.repeat(64),
    handler: 'function.handler',
    runtime: 'provided.al2023',
    memoryMb: 128,
    timeoutSec: 3,
    architecture: 'x86_64',
    environment: {},
    region: 'eu-west-1',
    ...overrides,
  };
}

/** A shell runtime: reads each event, then acts on its `do` field. */
export const SHELL_BOOTSTRAP = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "init handler=\${_HANDLER} task=\${LAMBDA_TASK_ROOT}"
HEADERS=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  DEADLINE=$(grep -i '^lambda-runtime-deadline-ms:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  echo "event $EVENT"
  case "$EVENT" in
    *fail*) curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Function.Failed' "$API/invocation/$ID/error" \\
              -d '{"errorMessage":"it failed","errorType":"Function.Failed","stackTrace":["at step one"]}' ;;
    *exit*) exit 3 ;;
    *sleep*) sleep 30 ;;
    *hog*) X=$(head -c 400000000 /dev/zero | tr '\\0' a); echo \${#X} ;;
    *big*) head -c 6300000 /dev/zero | tr '\\0' a > "$HEADERS.big"; curl -sS -X POST "$API/invocation/$ID/response" --data-binary @"$HEADERS.big"; echo ;;
    *env*) curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" \\
              -d "{\\"api\\":\\"$AWS_LAMBDA_RUNTIME_API\\",\\"handler\\":\\"$_HANDLER\\",\\"fn\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"exec\\":\\"\${AWS_EXECUTION_ENV:-none}\\",\\"deadline\\":$DEADLINE,\\"foo\\":\\"$FOO\\"}" ;;
    *) curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"echo\\":$EVENT}" ;;
  esac
done
`;

function writeCode(t: Test, files: Record<string, string | { content: string; mode: number }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-custom-'));
  for (const [rel, file] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    const content = typeof file === 'string' ? file : file.content;
    writeFileSync(join(dir, rel), content);
    if (typeof file !== 'string') chmodSync(join(dir, rel), file.mode);
  }
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let nextId = 0;

interface Harness {
  env: ExecutionEnvironment;
  invoke(event?: unknown, extra?: { requestId?: string; signal?: AbortSignal }): Promise<EnvironmentInvokeResult>;
}

/** Unsandboxed, or in the sandbox. */
type Variant = 'plain' | 'sandboxed';
const probe = await startTestSandbox();
const SANDBOX: Sandbox | undefined = 'sandbox' in probe ? probe.sandbox : undefined;
const componentsOf = (v: Variant) => (v === 'sandboxed' && SANDBOX ? { sandbox: SANDBOX } : {});

function baseHarness(
  t: Test,
  variant: Variant,
  files: Record<string, string | { content: string; mode: number }>,
  specOverrides: Partial<FunctionSpec> = {},
  settings: EnvironmentOptions = {},
): Harness {
  const codeDir = writeCode(t, files);
  const env = createEnvironmentFactory('process', { memoryPollMs: 20, ...settings }, componentsOf(variant)).create({
    environmentId: `env-custom-${++nextId}`,
    spec: spec(specOverrides),
    codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  });
  t.teardown(() => env.destroy('test over'));
  let n = 0;
  return {
    env,
    invoke: (event = {}, extra = {}) =>
      env.invoke(
        { requestId: extra.requestId ?? `req-${nextId}-${++n}`, payload: Buffer.from(JSON.stringify(event)), invokedFunctionArn: ARN },
        extra.signal ? { signal: extra.signal } : {},
      ),
  };
}

const boot = (content: string) => ({ bootstrap: { content, mode: 0o755 } });
const json = (r: EnvironmentInvokeResult): unknown => (r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined);
const reportLine = (r: EnvironmentInvokeResult): string => r.logLines.find((l) => l.startsWith('REPORT ')) ?? '';

function suite(t: Test, variant: Variant): void {
  const harness = (
    tt: Test,
    files: Record<string, string | { content: string; mode: number }>,
    specOverrides: Partial<FunctionSpec> = {},
    settings: EnvironmentOptions = {},
  ): Harness => baseHarness(tt, variant, files, specOverrides, settings);
  /** The code directory as the runtime sees it. */
  const taskRoot = (h: Harness): string => (variant === 'sandboxed' ? '/var/task' : h.env.config.codeDir);

  t.test('a shell bootstrap answers: cold start bills INIT, warm invokes reuse the process', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP));
    const r1 = await h.invoke({ a: 1 }, { requestId: 'cold-1' });
    t.equal(r1.outcome, 'success');
    t.same(json(r1), { echo: { a: 1 } });
    t.type(r1.initMs, 'number');
    t.equal(r1.billedMs, Math.ceil(Number((r1.durationMs + (r1.initMs ?? 0)).toFixed(3))), 'provided runtimes bill INIT');
    t.equal(r1.logLines[0], `init handler=function.handler task=${taskRoot(h)}`);
    t.equal(r1.logLines[1], 'START RequestId: cold-1 Version: $LATEST');
    t.ok(r1.logLines.includes('event {"a":1}'), 'stdout lines are the function log');
    t.equal(r1.logLines.at(-2), 'END RequestId: cold-1');
    t.match(reportLine(r1), /^REPORT RequestId: cold-1\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t$/);
    t.ok(r1.environmentKept);
    t.equal(h.env.state, 'idle');
    for (let i = 2; i <= 4; i++) {
      const r = await h.invoke({ n: i });
      t.same(json(r), { echo: { n: i } });
      t.equal(r.initMs, undefined, 'warm');
      t.notOk(r.logLines.some((l) => l.startsWith('init ')), 'INIT does not run again');
    }
  });

  t.test("Lambda's environment: AWS_LAMBDA_RUNTIME_API, _HANDLER, no AWS_EXECUTION_ENV, the deadline header", async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP), { environment: { FOO: 'bar' }, timeoutSec: 5 });
    const before = Date.now();
    const body = json(await h.invoke({ do: 'env' })) as Record<string, string | number>;
    t.match(body['api'], /^127\.0\.0\.1:\d+$/);
    t.equal(body['handler'], 'function.handler');
    t.equal(body['fn'], 'custom');
    t.equal(body['exec'], 'none', 'AWS_EXECUTION_ENV is absent for provided runtimes');
    t.equal(body['foo'], 'bar');
    t.ok(Number(body['deadline']) >= before + 4000 && Number(body['deadline']) <= Date.now() + 5000, 'Lambda-Runtime-Deadline-Ms');
  });

  t.test('a posted error comes back with its shape and keeps the environment', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP));
    const r = await h.invoke({ do: 'fail' }, { requestId: 'err-1' });
    t.equal(r.outcome, 'function-error');
    t.same(r.functionError, { errorType: 'Function.Failed', errorMessage: 'it failed', stackTrace: ['at step one'] });
    t.ok(r.environmentKept);
    t.notMatch(reportLine(r), /Status:/, 'a function error is not a platform error');
    t.same(json(await h.invoke({ x: 1 })), { echo: { x: 1 } }, 'still warm');
  });

  t.test('init/error: INIT_REPORT and the first invoke fails with the posted error', async (t) => {
    const h = harness(t, boot(`#!/bin/sh
  echo "starting"
  curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigMissing' \\
    "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" -d '{"errorMessage":"no config","errorType":"Runtime.ConfigMissing"}'
  exit 1
  `));
    const r = await h.invoke({}, { requestId: 'ie-1' });
    t.same(r.functionError, { errorType: 'Runtime.ConfigMissing', errorMessage: 'no config' });
    t.equal(r.logLines[0], 'starting');
    t.match(r.logLines.find((l) => l.startsWith('INIT_REPORT')) ?? '', /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: error\tError Type: Runtime\.ConfigMissing$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('an init/error type that is not Category.Reason is Runtime.Unknown in INIT_REPORT', async (t) => {
    const h = harness(t, boot(`#!/bin/sh
  curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: whatever' \\
    "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" -d 'plain text'
  sleep 30
  `));
    const r = await h.invoke();
    t.same(r.functionError, { errorType: 'whatever', errorMessage: 'plain text' });
    t.ok(r.logLines.some((l) => l.endsWith('Status: error\tError Type: Runtime.Unknown') && l.startsWith('INIT_REPORT')));
  });

  t.test('a bootstrap that exits during INIT is Runtime.ExitError', async (t) => {
    const h = harness(t, boot('#!/bin/sh\necho bye >&2\nexit 2\n'));
    const r = await h.invoke({}, { requestId: 'ex-1' });
    t.same(r.functionError, { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: ex-1 Error: Runtime exited with error: exit status 2' });
    t.ok(r.logLines.includes('bye'));
    t.ok(r.logLines.some((l) => /^INIT_REPORT .*Status: error\tError Type: Runtime\.ExitError$/.test(l)));
  });

  t.test('a bootstrap that never calls next times out INIT', async (t) => {
    const h = harness(t, boot('#!/bin/sh\nsleep 30\n'), {}, { initTimeoutMs: 300 });
    const r = await h.invoke({}, { requestId: 'it-1' });
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: it-1 Error: Task timed out after 0.30 seconds' });
    t.ok(r.logLines.some((l) => /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: timeout$/.test(l)));
    t.notOk(r.environmentKept);
  });

  t.test('a missing or non-executable bootstrap is Runtime.InvalidEntrypoint', async (t) => {
    const missing = harness(t, { 'other.sh': 'echo' });
    const r1 = await missing.invoke();
    t.equal(r1.functionError?.errorType, 'Runtime.InvalidEntrypoint');
    t.match(r1.functionError?.errorMessage ?? '', /Couldn't find valid bootstrap/);
    const notExec = harness(t, { bootstrap: { content: '#!/bin/sh\n', mode: 0o644 } });
    t.equal((await notExec.invoke()).functionError?.errorType, 'Runtime.InvalidEntrypoint');
  });

  t.test('exit during an invocation is Runtime.ExitError and discards the environment', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP));
    await h.invoke();
    const r = await h.invoke({ do: 'exit' }, { requestId: 'x-1' });
    t.same(r.functionError, { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: x-1 Error: Runtime exited with error: exit status 3' });
    t.match(reportLine(r), /Status: error\tError Type: Runtime\.ExitError$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('timeout kills the runtime with Sandbox.Timedout', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP), { timeoutSec: 1 });
    const r = await h.invoke({ do: 'sleep' }, { requestId: 'slow-1' });
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: slow-1 Error: Task timed out after 1.00 seconds' });
    t.ok(r.durationMs >= 1000 && r.durationMs < 3000);
    t.match(reportLine(r), /Status: timeout$/);
    t.notOk(r.environmentKept);
  });

  t.test('memory past MemorySize is Runtime.OutOfMemory (RSS watchdog, or the cgroup in the sandbox)', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP), { memoryMb: 128, timeoutSec: 20 });
    const r = await h.invoke({ do: 'hog' }, { requestId: 'oom-1' });
    t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory');
    t.match(r.functionError?.errorMessage ?? '', /^RequestId: oom-1 Error: Runtime exited with error: signal: killed$/);
    t.equal(r.maxMemoryUsedMb, 128);
    t.notOk(r.environmentKept);
  });

  t.test('a response over 6 MiB + 100 bytes is Function.ResponseSizeTooLarge; the runtime hears 413', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP));
    const r = await h.invoke({ do: 'big' });
    t.same(r.functionError, { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
    t.ok(r.environmentKept);
    // The runtime prints curl's 413 body, then asks for the next event. The zone node reads the
    // runtime's stdout and its Runtime API socket separately, so on a loaded machine the line can come
    // in after the next invocation has ended: it then shows in a later one.
    const lines: string[] = [];
    // Invocations, 100 ms apart, until the line shows (bounded: 15 s of them; 5 s was once not
    // enough in a sandboxed run on CI's machine).
    for (let i = 0; i < 150 && !lines.some((l) => l.includes('RequestEntityTooLarge')); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      lines.push(...(await h.invoke({ y: i })).logLines);
    }
    t.ok(lines.some((l) => l.includes('RequestEntityTooLarge')), 'the 413 body reached the runtime (printed in a later invocation)');
  });

  t.test('destroy: SIGTERM when idle, Sandbox.Aborted when busy, idempotent', async (t) => {
    // The trap tells an HTTP server of the test (the network is shared; /var/task is read-only in the sandbox).
    const heard: string[] = [];
    const server = createServer((req, res) => {
      heard.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const h = harness(t, boot(`#!/bin/sh
  trap 'curl -sS -o /dev/null "http://127.0.0.1:${port}/term"; exit 0' TERM
  API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
  H=$(mktemp)
  while true; do
    curl -sS -D "$H" -o /dev/null "$API/invocation/next" &
    wait $!
    ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)
    curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d '"ok"'
  done
  `), {}, { shutdownGraceMs: 1000 });
    t.same(json(await h.invoke()), 'ok');
    const a = h.env.destroy('scale-in');
    t.equal(h.env.destroy('again'), a);
    await a;
    t.same(heard, ['/term'], 'the runtime got SIGTERM and its trap ran');

    const busy = harness(t, boot(SHELL_BOOTSTRAP));
    const running = busy.invoke({ do: 'sleep' }, { requestId: 'busy-1' });
    await new Promise((r) => setTimeout(r, 300));
    await busy.env.destroy('node stopping');
    t.same((await running).functionError, { errorType: 'Sandbox.Aborted', errorMessage: 'RequestId: busy-1 Error: Invocation aborted: node stopping' });
    t.equal(busy.env.state, 'dead');
  });

  t.test('an exit while idle is reported through onDead; busy and dead invokes are refused', async (t) => {
    const h = harness(t, boot(`#!/bin/sh
  API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
  H=$(mktemp)
  curl -sS -D "$H" -o /dev/null "$API/invocation/next"
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d '"last"'
  exit 0
  `));
    const dead = new Promise<string>((resolve) => h.env.onDead?.(resolve));
    const first = h.invoke();
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_BUSY' });
    t.same(json(await first), 'last');
    t.equal(await dead, 'exited');
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_DEAD' });
  });

  t.test('provisioned concurrency: initialize() runs INIT ahead, the next invoke is warm', async (t) => {
    const h = harness(t, boot(SHELL_BOOTSTRAP));
    const init = await h.env.initialize();
    t.ok(init.ok);
    t.ok(init.logLines.some((l) => l.startsWith('init handler=')));
    const r = await h.invoke({ p: 1 });
    t.same(json(r), { echo: { p: 1 } });
    t.equal(r.initMs, undefined);
  });

  t.test('a code directory that does not exist rejects with ENVIRONMENT_FAILED', async (t) => {
    const env = createEnvironmentFactory('process', {}, componentsOf(variant)).create({
      environmentId: 'env-custom-nodir',
      spec: spec(),
      codeDir: join(tmpdir(), 'zonesim-no-such-dir', String(process.pid)),
      logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
      initializationType: 'on-demand',
    });
    t.teardown(() => env.destroy('test over'));
    await t.rejects(env.invoke({ requestId: 'x', payload: Buffer.from('{}'), invokedFunctionArn: ARN }), { code: 'ENVIRONMENT_FAILED' });
  });

  t.test('image: entrypoint + cmd in the working directory, Cmd[0] as _HANDLER, image Env under the function', async (t) => {
    const h = harness(
      t,
      {
        'var/task/app.sh': {
          mode: 0o755,
          content: `#!/bin/sh
  API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
  H=$(mktemp)
  while true; do
    EVENT=$(curl -sS -D "$H" "$API/invocation/next")
    ID=$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)
    curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"args\\":\\"$*\\",\\"pwd\\":\\"$(pwd)\\",\\"handler\\":\\"$_HANDLER\\",\\"greeting\\":\\"$GREETING\\",\\"color\\":\\"$COLOR\\"}"
  done
  `,
        },
      },
      {
        runtime: 'zonesim.image',
        handler: 'app.handler',
        environment: { COLOR: 'blue' },
        image: {
          entrypoint: ['/var/task/app.sh'],
          command: ['app.handler', 'extra'],
          workingDirectory: '/var/task',
          environment: { GREETING: 'hello', COLOR: 'red' },
        },
      },
    );
    const body = json(await h.invoke()) as Record<string, string>;
    t.equal(body['args'], 'app.handler extra', 'Cmd follows the entrypoint as arguments');
    t.equal(body['pwd'], join(taskRoot(h), 'var/task'), 'the image root is at /var/task in the sandbox');
    t.equal(body['handler'], 'app.handler');
    t.equal(body['greeting'], 'hello', 'image Env');
    t.equal(body['color'], 'blue', "the function's variables override the image's");
  });

  t.test('image: a working directory missing from the image is Runtime.InvalidWorkingDir', async (t) => {
    const h = harness(t, { 'x.sh': { content: '#!/bin/sh\n', mode: 0o755 } }, {
      runtime: 'zonesim.image',
      image: { entrypoint: ['/bin/sh'], command: ['-c', 'sleep 5'], workingDirectory: '/nope', environment: {} },
    });
    t.equal((await h.invoke()).functionError?.errorType, 'Runtime.InvalidWorkingDir');
  });
}

t.teardown(async () => {
  if ('stop' in probe) await probe.stop();
});
t.test('unsandboxed', async (t) => suite(t, 'plain'));
t.test('in the sandbox (bwrap+cgroup)', 'skip' in probe ? { skip: probe.skip } : {}, async (t) => suite(t, 'sandboxed'));
