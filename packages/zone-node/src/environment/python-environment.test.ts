/**
 * The environment contract for Lambda's Python runtimes: real handler code run by the machine's
 * python3 through zonesim's runtime client (runtime/python/bootstrap.py) under the Runtime API. The
 * cases mirror environment-contract.test.ts where they apply to Python (cold/warm, context, logs in
 * Lambda's format, error shapes, INIT errors, timeouts, memory, destroy), once unsandboxed and once in
 * the sandbox (bubblewrap + cgroups). Without python3 the suite fails under ZONESIM_REQUIRE_PYTHON=1
 * (CI) and skips otherwise, saying why.
 */
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import type { Sandbox } from '../sandbox/sandbox.js';
import { writeCodeDir } from '../test-util/code-dir.js';
import { testEnvironment, type TestEnvironment } from '../test-util/environment-harness.js';
import { functionSpecFor } from '../test-util/function-spec.js';
import { startTestSandbox } from '../test-util/sandbox.js';
import { machinePython, type EnvironmentOptions } from './index.js';
import type { EnvironmentInvokeResult } from './types.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:py';
const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
const PYTHON = await machinePython();
const REQUIRE_PYTHON = process.env['ZONESIM_REQUIRE_PYTHON'] === '1';
if (!PYTHON && REQUIRE_PYTHON) throw new Error('ZONESIM_REQUIRE_PYTHON=1 but no python3 (3.8 or later) was found');

const spec = (overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
  functionSpecFor('py', { handler: 'lambda_function.lambda_handler', runtime: 'python3.12', codeSha256Hex: 'c'.repeat(64), ...overrides });

type Harness = TestEnvironment;

type Variant = 'plain' | 'sandboxed';
const probe = await startTestSandbox();
const SANDBOX: Sandbox | undefined = 'sandbox' in probe ? probe.sandbox : undefined;
if (SANDBOX) t.teardown(() => ('stop' in probe ? probe.stop() : undefined));

const json = (r: EnvironmentInvokeResult): unknown => (r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined);
const reportLine = (r: EnvironmentInvokeResult): string => r.logLines.find((l) => l.startsWith('REPORT ')) ?? '';

function suite(t: Test, variant: Variant): void {
  const harness = (tt: Test, files: Record<string, string>, specOverrides: Partial<FunctionSpec> = {}, settings: EnvironmentOptions = {}): Harness =>
    testEnvironment(tt, {
      spec: spec(specOverrides),
      codeDir: writeCodeDir(tt, files, 'zonesim-py-'),
      settings,
      components: variant === 'sandboxed' && SANDBOX ? { sandbox: SANDBOX } : {},
      platformEnv: { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9999' },
    });
  const taskRoot = (h: Harness): string => (variant === 'sandboxed' ? '/var/task' : h.env.config.codeDir);

  t.test('cold start runs INIT once, names the interpreter; warm invokes keep module state', async (t) => {
    const h = harness(t, {
      'lambda_function.py': 'count = 0\nprint("init ran")\n\ndef lambda_handler(event, context):\n    global count\n    count += 1\n    return {"count": count, "echo": event}\n',
    });
    const r1 = await h.invoke({ a: 1 }, { requestId: 'cold-1' });
    t.equal(r1.outcome, 'success', JSON.stringify(r1.logLines));
    t.same(json(r1), { count: 1, echo: { a: 1 } });
    t.ok((r1.initMs ?? 0) > 0);
    t.equal(r1.logLines[0], `INIT_START Runtime Version: python:${PYTHON!.version}`);
    t.equal(r1.logLines[1], 'init ran');
    t.equal(r1.logLines[2], 'START RequestId: cold-1 Version: $LATEST');
    t.equal(r1.logLines.at(-2), 'END RequestId: cold-1');
    t.match(
      reportLine(r1),
      new RegExp(`^REPORT RequestId: cold-1\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d{2} ms\\tRuntime Version: python:${PYTHON!.version.replace(/\./g, '\\.')}\\t$`),
    );
    const r2 = await h.invoke({ a: 2 }, { requestId: 'warm-2' });
    t.same(json(r2), { count: 2, echo: { a: 2 } });
    t.equal(r2.initMs, undefined);
    t.notOk(r2.logLines.some((l) => l.includes('init ran') || l.startsWith('INIT_START')));
    t.match(reportLine(r2), /^REPORT RequestId: warm-2\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t$/);
  });

  t.test('handlers in subpackages and folders; return values as JSON', async (t) => {
    const files = {
      'app/__init__.py': '',
      'app/api/__init__.py': '',
      'app/api/routes.py': 'def get(event, context):\n    return "nested"\n',
      'src/worker.py': 'from decimal import Decimal\n\ndef run(event, context):\n    return [None, True, 1.5, Decimal("2"), {"k": "v"}]\n',
    };
    t.same(json(await harness(t, files, { handler: 'app.api.routes.get' }).invoke()), 'nested');
    t.same(json(await harness(t, files, { handler: 'src/worker.run' }).invoke()), [null, true, 1.5, 2, { k: 'v' }]);
    const none = await harness(t, { 'lambda_function.py': 'def lambda_handler(event, context):\n    pass\n' }).invoke();
    t.equal(Buffer.from(none.payload ?? []).toString('utf8'), 'null', 'returning None answers null');
  });

  t.test("Lambda's context object and environment variables", async (t) => {
    const h = harness(
      t,
      {
        'lambda_function.py': `import os, sys
def lambda_handler(event, context):
    return {
        "request": context.aws_request_id,
        "name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "custom": context.client_context.custom if context.client_context else None,
        "exec": os.environ.get("AWS_EXECUTION_ENV"),
        "handler": os.environ.get("_HANDLER"),
        "task": os.environ.get("LAMBDA_TASK_ROOT"),
        "api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL_LAMBDA"),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "foo": os.environ.get("FOO"),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
    }
`,
      },
      { environment: { FOO: 'bar' } },
    );
    const r = await h.invoke({}, { requestId: 'ctx-1', clientContext: JSON.stringify({ custom: { k: 1 } }) });
    const body = json(r) as Record<string, unknown>;
    t.equal(body['request'], 'ctx-1');
    t.equal(body['name'], 'py');
    t.equal(body['version'], '$LATEST');
    t.equal(body['arn'], ARN);
    t.equal(body['memory'], '128');
    t.equal(body['group'], '/aws/lambda/py');
    t.equal(body['stream'], '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef');
    t.ok((body['remaining'] as number) > 2000 && (body['remaining'] as number) <= 3000, `remaining ${String(body['remaining'])}`);
    t.same(body['custom'], { k: 1 });
    t.equal(body['exec'], 'AWS_Lambda_python3.12');
    t.equal(body['handler'], 'lambda_function.lambda_handler');
    t.equal(body['task'], taskRoot(h));
    t.equal(body['cwd'], taskRoot(h));
    t.equal(body['path0'], taskRoot(h), 'the code directory comes first on the module path');
    t.match(body['api'], /^127\.0\.0\.1:\d+$/);
    t.equal(body['endpoint'], 'http://127.0.0.1:9999');
    t.match(body['trace'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    t.equal(body['foo'], 'bar');
  });

  t.test('print and logging in Lambda\'s text format; the root logger keeps WARNING', async (t) => {
    const h = harness(t, {
      'lambda_function.py': `import logging
logger = logging.getLogger()
def lambda_handler(event, context):
    print("plain print")
    logger.info("hidden at the default level")
    logger.warning("careful %s", 1)
    logger.setLevel(logging.INFO)
    logger.info("now shown")
    return "ok"
`,
    });
    const r = await h.invoke({}, { requestId: 'log-1' });
    const own = r.logLines.filter((l) => !/^(INIT_START|START|END|REPORT) /.test(l));
    t.equal(own[0], 'plain print');
    t.match(own[1], new RegExp(`^\\[WARNING\\]\\t${ISO}\\tlog-1\\tcareful 1$`));
    t.match(own[2], new RegExp(`^\\[INFO\\]\\t${ISO}\\tlog-1\\tnow shown$`));
    t.equal(own.length, 3, JSON.stringify(own));
  });

  t.test('a raised exception comes back in Lambda\'s shape and keeps the environment', async (t) => {
    const h = harness(t, {
      'lambda_function.py': 'class OrderError(Exception):\n    pass\n\ndef lambda_handler(event, context):\n    if event.get("fail"):\n        raise OrderError("order 7 is gone")\n    return "fine"\n',
    });
    const r = await h.invoke({ fail: true }, { requestId: 'err-1' });
    t.equal(r.outcome, 'function-error');
    t.equal(r.functionError?.errorType, 'OrderError');
    t.equal(r.functionError?.errorMessage, 'order 7 is gone');
    const trace = (r.functionError as { stackTrace?: string[] }).stackTrace ?? [];
    t.match(trace.at(-1), /File ".*lambda_function\.py", line 6, in lambda_handler\n {4}raise OrderError\("order 7 is gone"\)\n/);
    t.ok(r.environmentKept);
    t.ok(r.logLines.some((l) => l.startsWith('[ERROR] OrderError: order 7 is gone\rTraceback (most recent call last):')), JSON.stringify(r.logLines));
    t.same(json(await h.invoke({})), 'fine', 'the next invoke runs warm');
  });

  t.test('INIT failures: import errors, syntax errors, exceptions at import, a missing handler', { jobs: 4 }, async (t) => {
    const cases: Array<{ name: string; files: Record<string, string>; handler?: string; type: string; message: RegExp; atInit: boolean }> = [
      { name: 'no module', files: { 'other.py': '' }, type: 'Runtime.ImportModuleError', message: /^Unable to import module 'lambda_function': No module named 'lambda_function'$/, atInit: true },
      { name: 'missing dependency', files: { 'lambda_function.py': 'import not_installed_anywhere\n' }, type: 'Runtime.ImportModuleError', message: /No module named 'not_installed_anywhere'/, atInit: true },
      { name: 'syntax error', files: { 'lambda_function.py': 'def lambda_handler(event, context)\n    return 1\n' }, type: 'Runtime.UserCodeSyntaxError', message: /^Syntax error in module 'lambda_function'/, atInit: true },
      { name: 'raise at import', files: { 'lambda_function.py': 'raise ValueError("bad config")\n' }, type: 'ValueError', message: /^bad config$/, atInit: true },
      { name: 'malformed handler', files: { 'lambda_function.py': '' }, handler: 'nodot', type: 'Runtime.MalformedHandlerName', message: /^Bad handler 'nodot'/, atInit: true },
      { name: 'missing handler', files: { 'lambda_function.py': 'x = 1\n' }, type: 'Runtime.HandlerNotFound', message: /^Handler 'lambda_handler' missing on module 'lambda_function'$/, atInit: false },
    ];
    for (const c of cases) {
      t.test(c.name, async (t) => {
        const h = harness(t, c.files, c.handler ? { handler: c.handler } : {});
        const r = await h.invoke({}, { requestId: 'init-1' });
        t.equal(r.outcome, 'function-error');
        t.equal(r.functionError?.errorType, c.type);
        t.match(r.functionError?.errorMessage, c.message);
        if (c.atInit) {
          t.ok(r.logLines.some((l) => l.startsWith('INIT_REPORT Init Duration: ') && l.includes('Status: error')), JSON.stringify(r.logLines));
          t.notOk(r.environmentKept);
        } else {
          t.ok(r.environmentKept, 'Lambda reports a missing handler per event, keeping the environment');
        }
      });
    }
  });

  t.test('timeout kills the interpreter with Sandbox.Timedout', async (t) => {
    const h = harness(t, { 'lambda_function.py': 'import time\ndef lambda_handler(event, context):\n    print("before")\n    time.sleep(30)\n' }, { timeoutSec: 1 });
    const r = await h.invoke({}, { requestId: 'slow-1' });
    t.equal(r.functionError?.errorType, 'Sandbox.Timedout');
    t.ok(r.durationMs >= 1000);
    t.ok(r.logLines.includes('before'), 'a line printed before the timeout is kept');
    t.match(reportLine(r), /Status: timeout$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('memory past MemorySize is Runtime.OutOfMemory', async (t) => {
    const h = harness(t, { 'lambda_function.py': 'def lambda_handler(event, context):\n    blocks = []\n    while True:\n        blocks.append(bytearray(8 * 1024 * 1024))\n' });
    const r = await h.invoke({}, { requestId: 'oom-1' });
    t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory', JSON.stringify(r.functionError));
    t.equal(r.maxMemoryUsedMb, 128);
    t.notOk(r.environmentKept);
  });

  t.test('boto3 imports, aimed at the platform', { skip: PYTHON?.boto3 ? false : 'this python3 has no boto3' }, async (t) => {
    const h = harness(t, {
      'lambda_function.py': 'import boto3\ndef lambda_handler(event, context):\n    client = boto3.client("lambda")\n    return {"version": boto3.__version__, "endpoint": client.meta.endpoint_url}\n',
    });
    const r = await h.invoke();
    t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
    t.same(json(r), { version: PYTHON!.boto3, endpoint: 'http://127.0.0.1:9999' });
  });

  t.test('destroy ends a running invocation as Sandbox.Aborted', async (t) => {
    const h = harness(t, { 'lambda_function.py': 'import time\ndef lambda_handler(event, context):\n    time.sleep(30)\n' });
    const pending = h.invoke();
    await new Promise((r) => setTimeout(r, 800));
    await h.env.destroy('test');
    const r = await pending;
    t.equal(r.functionError?.errorType, 'Sandbox.Aborted');
    t.equal(h.env.state, 'dead');
  });
}

const skipAll = PYTHON ? undefined : 'no python3 (3.8 or later) on this machine';
t.test('unsandboxed', skipAll ? { skip: skipAll } : {}, async (t) => suite(t, 'plain'));
t.test('in the sandbox (bwrap+cgroup)', skipAll ? { skip: skipAll } : 'skip' in probe ? { skip: probe.skip } : {}, async (t) => suite(t, 'sandboxed'));
