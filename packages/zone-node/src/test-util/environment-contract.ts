/**
 * The contract of execution environments, as cases any implementation must pass: real child
 * processes / worker threads and handler code written to temporary directories. Run against both
 * isolation modes and process isolation with spare runtimes (environment-contract.test.ts), and
 * against process isolation inside the sandbox, with and without spares
 * (environment-contract-sandbox.test.ts). Each case destroys what it created.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { createEnvironmentFactory, type EnvironmentComponents, type EnvironmentOptions } from '../environment/index.js';
import type { EnvironmentInvokeResult, ExecutionEnvironment, IsolationMode } from '../environment/types.js';

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:contract';

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: 'contract:1',
    functionName: 'contract',
    version: '$LATEST',
    functionArn: ARN,
    codeSha256Hex: 'a'.repeat(64),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    memoryMb: 256,
    timeoutSec: 3,
    architecture: 'x86_64',
    environment: {},
    region: 'eu-west-1',
    ...overrides,
  };
}

/** Writes `files` (path -> content) into a fresh temp dir, removed at teardown. */
function writeCode(t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-env-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let nextId = 0;

/** An isolation mode, or process isolation with spare runtimes, in the sandbox, or both. */
export type Variant = IsolationMode | 'process+spares' | 'process+sandbox' | 'process+sandbox+spares';
const isolationOf = (v: Variant): IsolationMode => (v === 'worker' ? 'worker' : 'process');
const sandboxed = (v: Variant): boolean => v === 'process+sandbox' || v === 'process+sandbox+spares';
/** What each variant's environments get (spares, sandbox), as {@link contract} was given it. */
const COMPONENTS = new Map<Variant, EnvironmentComponents>();
const componentsOf = (v: Variant): EnvironmentComponents => COMPONENTS.get(v) ?? {};

/** Host processes whose command line holds `marker` (a sandboxed pid means nothing outside its namespace). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      // A zombie is dead already, waiting for a reaper that is not ours to run.
      if (cmdline.includes(marker) && state !== 'Z') found.push(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

interface Harness {
  env: ExecutionEnvironment;
  invoke(event?: unknown, extra?: { clientContext?: string; signal?: AbortSignal; requestId?: string }): Promise<EnvironmentInvokeResult>;
}

function harness(
  t: Test,
  mode: Variant,
  files: Record<string, string>,
  specOverrides: Partial<FunctionSpec> = {},
  settings: EnvironmentOptions = {},
  extraConfig: { platformEnv?: Record<string, string> } = {},
): Harness {
  const codeDir = writeCode(t, files);
  const env = createEnvironmentFactory(isolationOf(mode), { memoryPollMs: 20, ...settings }, componentsOf(mode)).create({
    environmentId: `env-${mode}-${++nextId}`,
    spec: spec(specOverrides),
    codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
    ...extraConfig,
  });
  t.teardown(() => env.destroy('test over'));
  let n = 0;
  return {
    env,
    invoke: (event = {}, extra = {}) =>
      env.invoke(
        {
          requestId: extra.requestId ?? `req-${nextId}-${++n}`,
          payload: Buffer.from(JSON.stringify(event)),
          invokedFunctionArn: ARN,
          ...(extra.clientContext === undefined ? {} : { clientContext: extra.clientContext }),
        },
        extra.signal ? { signal: extra.signal } : {},
      ),
  };
}

function json(r: EnvironmentInvokeResult): unknown {
  return r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined;
}

function reportLine(r: EnvironmentInvokeResult): string {
  return r.logLines.find((l) => l.startsWith('REPORT ')) ?? '';
}

const SLEEP = 'const sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n';

/** Registers every case of the contract under `t`, for environments of `mode` made with `components`. */
export function contract(t: Test, mode: Variant, components: EnvironmentComponents = {}): void {
  COMPONENTS.set(mode, components);
  t.test('cold start runs INIT once, then warm invokes reuse the module state', async (t) => {
    const h = harness(t, mode, {
      'index.mjs': `let count = 0;\nconsole.log('init ran');\nexport const handler = async (event) => ({ count: ++count, echo: event });\n`,
    });
    const r1 = await h.invoke({ a: 1 }, { requestId: 'cold-1' });
    t.equal(r1.outcome, 'success');
    t.same(json(r1), { count: 1, echo: { a: 1 } });
    t.type(r1.initMs, 'number');
    t.ok((r1.initMs ?? 0) > 0);
    t.equal(r1.billedMs, Math.ceil(Number((r1.durationMs + (r1.initMs ?? 0)).toFixed(3))), 'cold starts bill INIT too');
    t.ok(r1.environmentKept);
    t.equal(h.env.state, 'idle');
    t.match(r1.logLines[0], new RegExp(`^${ISO}\\tundefined\\tINFO\\tinit ran$`));
    t.equal(r1.logLines[1], 'START RequestId: cold-1 Version: $LATEST');
    t.equal(r1.logLines.at(-2), 'END RequestId: cold-1');
    t.match(
      reportLine(r1),
      /^REPORT RequestId: cold-1\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t$/,
    );

    const r2 = await h.invoke({ a: 2 }, { requestId: 'warm-2' });
    t.same(json(r2), { count: 2, echo: { a: 2 } });
    t.equal(r2.initMs, undefined);
    t.notOk(r2.logLines.some((l) => l.includes('init ran')), 'INIT does not run again');
    t.match(reportLine(r2), /^REPORT RequestId: warm-2\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\t$/);
    t.ok(r2.maxMemoryUsedMb >= 1 && r2.maxMemoryUsedMb <= 256);
    t.ok(r2.startedAt <= r2.endedAt);
  });

  t.test('ESM, CommonJS (.js and .cjs) and nested handler paths', async (t) => {
    const esm = harness(t, mode, { 'index.mjs': 'export const handler = async () => "esm";\n' });
    t.same(json(await esm.invoke()), 'esm');
    const cjs = harness(t, mode, { 'index.js': 'exports.handler = async () => "cjs";\n' });
    t.same(json(await cjs.invoke()), 'cjs');
    const assigned = harness(t, mode, {
      'app.cjs': 'const handler = async () => "module.exports";\nmodule.exports = Object.assign({}, { handler });\n',
    }, { handler: 'app.handler' });
    t.same(json(await assigned.invoke()), 'module.exports');
    const typeModule = harness(t, mode, {
      'package.json': '{"type":"module"}',
      'src/api/routes.js': 'export const api = { users: { get: async (e) => ({ nested: e.id }) } };\n',
    }, { handler: 'src/api/routes.api.users.get' });
    t.same(json(await typeModule.invoke({ id: 7 })), { nested: 7 });
  });

  t.test('dependencies resolve from node_modules inside the code directory', async (t) => {
    const h = harness(t, mode, {
      'node_modules/left-pad/package.json': '{"name":"left-pad","main":"index.js"}',
      'node_modules/left-pad/index.js': 'module.exports = (s, n) => String(s).padStart(n, "0");\n',
      'node_modules/esm-dep/package.json': '{"name":"esm-dep","type":"module","exports":"./main.js"}',
      'node_modules/esm-dep/main.js': 'export const twice = (x) => x * 2;\n',
      'index.mjs': 'import leftPad from "left-pad";\nimport { twice } from "esm-dep";\nexport const handler = async () => leftPad(twice(21), 5);\n',
      'legacy.js': 'const leftPad = require("left-pad");\nexports.handler = async () => leftPad(1, 3);\n',
    });
    t.same(json(await h.invoke()), '00042');
    const legacy = harness(t, mode, {
      'node_modules/left-pad/package.json': '{"name":"left-pad","main":"index.js"}',
      'node_modules/left-pad/index.js': 'module.exports = (s, n) => String(s).padStart(n, "0");\n',
      'legacy.js': 'const leftPad = require("left-pad");\nexports.handler = async () => leftPad(1, 3);\n',
    }, { handler: 'legacy.handler' });
    t.same(json(await legacy.invoke()), '001');
  });

  t.test('context fields and environment variables', async (t) => {
    process.env['ZONESIM_PARENT_SECRET'] = 'must-not-leak';
    t.teardown(() => delete process.env['ZONESIM_PARENT_SECRET']);
    const h = harness(
      t,
      mode,
      {
        'index.mjs': `export const handler = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  clientContext: context.clientContext,
  identityIsUndefined: context.identity === undefined,
  waits: context.callbackWaitsForEmptyEventLoop,
  remaining: context.getRemainingTimeInMillis(),
  env: process.env,
  cwd: process.cwd(),
  execArgv: process.execArgv,
});\n`,
      },
      { memoryMb: 512, timeoutSec: 5, environment: { FOO: 'bar', AWS_REGION: 'hijacked', TZ: 'Europe/Paris' } },
      {},
      { platformEnv: { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9999' } },
    );
    const r = await h.invoke({}, { requestId: 'ctx-1', clientContext: '{"custom":{"k":"v"}}' });
    const body = json(r) as Record<string, unknown> & { env: Record<string, string>; remaining: number; execArgv: string[] };
    t.equal(body['awsRequestId'], 'ctx-1');
    t.equal(body['functionName'], 'contract');
    t.equal(body['functionVersion'], '$LATEST');
    t.equal(body['invokedFunctionArn'], ARN);
    t.equal(body['memoryLimitInMB'], '512', 'memoryLimitInMB is a string, as in Lambda');
    t.equal(body['logGroupName'], '/aws/lambda/contract');
    t.equal(body['logStreamName'], '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef');
    t.same(body['clientContext'], { custom: { k: 'v' } });
    t.equal(body['identityIsUndefined'], true);
    t.equal(body['waits'], true);
    t.ok(body.remaining > 2000 && body.remaining <= 5000, `remaining ${body.remaining}`);
    const env = body.env;
    t.equal(env['_HANDLER'], 'index.handler');
    t.equal(env['AWS_REGION'], 'eu-west-1', 'reserved variables win over the function');
    t.equal(env['AWS_DEFAULT_REGION'], 'eu-west-1');
    t.equal(env['AWS_EXECUTION_ENV'], 'AWS_Lambda_nodejs20.x');
    t.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'contract');
    t.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '512');
    t.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '$LATEST');
    t.equal(env['AWS_LAMBDA_INITIALIZATION_TYPE'], 'on-demand');
    t.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/contract');
    t.equal(env['AWS_LAMBDA_LOG_STREAM_NAME'], '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef');
    t.equal(env['TZ'], ':UTC');
    t.equal(env['LANG'], 'en_US.UTF-8');
    t.ok(env['LAMBDA_RUNTIME_DIR']?.endsWith('runtime'));
    t.equal(env['FOO'], 'bar');
    t.equal(env['AWS_ENDPOINT_URL_LAMBDA'], 'http://127.0.0.1:9999');
    t.equal(env['PATH'], `${process.env['PATH']}:/opt/bin`, "the zone node's PATH, then Lambda's /opt/bin");
    t.notOk('ZONESIM_PARENT_SECRET' in env, 'the zone node environment is not inherited');
    // tap's process tracker injects NODE_OPTIONS into every child it sees spawn; outside tests the
    // variable is absent. What matters is that no TypeScript loader reaches user code.
    t.notOk((env['NODE_OPTIONS'] ?? '').includes('tsx'), 'no NODE_OPTIONS loader from the zone node');
    t.equal(env['NODE_PATH'], `/opt/nodejs/node${process.versions.node.split('.')[0]}/node_modules:/opt/nodejs/node_modules:${env['LAMBDA_RUNTIME_DIR']}/node_modules`, "Lambda's NODE_PATH");
    t.equal(env['AWS_LAMBDA_RUNTIME_API'], '127.0.0.1:9001', "Lambda's value, which libraries read to know they run on Lambda");
    t.notOk(body.execArgv.some((a) => a.includes('tsx')), 'no loader flags reach user code');
    if (isolationOf(mode) === 'process') {
      t.equal(env['LAMBDA_TASK_ROOT'], body['cwd'], 'the working directory is the task root');
    }
    if (sandboxed(mode)) {
      t.equal(env['LAMBDA_TASK_ROOT'], '/var/task', 'the code is at /var/task inside the sandbox, as on Lambda');
      t.equal(env['LAMBDA_RUNTIME_DIR'], '/var/runtime');
    }
  });

  t.test('the AWS SDK v3 resolves without bundling it (import and require), and nothing else of the host does', async (t) => {
    const h = harness(t, mode, {
      'index.mjs': `import { SQSClient } from '@aws-sdk/client-sqs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
export const handler = async () => {
  const { LambdaClient } = require('@aws-sdk/client-lambda');
  const missing = await import('ws').then(() => 'resolved', (e) => e.code);
  let missingCjs;
  try { require('tap'); missingCjs = 'resolved'; } catch (e) { missingCjs = e.code; }
  return { sqs: typeof SQSClient, lambda: typeof LambdaClient, missing, missingCjs };
};
`,
    });
    const r = await h.invoke();
    t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
    t.same(json(r), { sqs: 'function', lambda: 'function', missing: 'ERR_MODULE_NOT_FOUND', missingCjs: 'MODULE_NOT_FOUND' });
    const own = harness(t, mode, {
      'node_modules/@aws-sdk/client-sqs/package.json': '{"name":"@aws-sdk/client-sqs","main":"index.js"}',
      'node_modules/@aws-sdk/client-sqs/index.js': 'exports.SQSClient = "bundled";\n',
      'index.mjs': "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const handler = async () => SQSClient;\n",
    });
    t.same(json(await own.invoke()), 'bundled', "a function's own copy of the SDK wins over the runtime's");
  });

  t.test('nodejs24.x refuses callback handlers with Lambda\'s error; async handlers lose the callback-era context methods', async (t) => {
    const cb = harness(t, mode, { 'index.js': 'exports.handler = (event, context, callback) => callback(null, "cb");\n' }, { runtime: 'nodejs24.x' });
    const refused = await cb.invoke();
    t.equal(refused.functionError?.errorType, 'Runtime.CallbackHandlerDeprecated');
    t.match(refused.functionError?.errorMessage, /removed support for callback-based function handlers starting with Node\.js 24/);
    t.ok(refused.logLines.some((l) => l.startsWith('INIT_REPORT ') && l.includes('Runtime.CallbackHandlerDeprecated')), JSON.stringify(refused.logLines));
    const older = harness(t, mode, { 'index.js': 'exports.handler = (event, context, callback) => callback(null, "cb");\n' }, { runtime: 'nodejs22.x' });
    t.same(json(await older.invoke()), 'cb', 'nodejs22.x still runs them');
    const modern = harness(t, mode, {
      'index.mjs': 'export const handler = async (event, context) => ({ succeed: typeof context.succeed, done: typeof context.done, waits: "callbackWaitsForEmptyEventLoop" in context, id: context.awsRequestId });\n',
    }, { runtime: 'nodejs24.x' });
    t.same(json(await modern.invoke({}, { requestId: 'n24' })), { succeed: 'undefined', done: 'undefined', waits: false, id: 'n24' });
  });

  t.test('user code runs on plain node: the TypeScript loader of the host does not reach it', async (t) => {
    // These tests run under tsx (see .taprc); a .ts import must still fail inside the environment.
    const h = harness(t, mode, {
      'lib.ts': 'export const x: number = 1;\n',
      'index.mjs': 'export const handler = async () => { try { await import("./lib.ts"); return "loaded"; } catch (e) { return e.code; } };\n',
    });
    t.same(json(await h.invoke()), 'ERR_UNKNOWN_FILE_EXTENSION');
  });

  t.test('console and stdout capture in Lambda text format, in order', async (t) => {
    const h = harness(t, mode, {
      'index.mjs': `console.warn('during init', 1);
export const handler = async () => {
  console.log('hello %d %s', 42, 'x', { a: 1 });
  process.stdout.write('raw out\\npartial ');
  console.info('info');
  process.stderr.write('raw err\\n');
  console.warn('warn');
  console.error(new TypeError('bad'));
  console.debug('debug');
  console.trace('trace');
  console.log();
  process.stdout.write('tail');
  return 'ok';
};\n`,
    });
    const r = await h.invoke({}, { requestId: 'log-1' });
    t.equal(r.outcome, 'success');
    const id = 'log-1';
    const lines = r.logLines;
    const start = lines.indexOf(`START RequestId: ${id} Version: $LATEST`);
    t.match(lines[0], new RegExp(`^${ISO}\\tundefined\\tWARN\\tduring init 1$`));
    const body = lines.slice(start + 1, lines.indexOf(`END RequestId: ${id}`));
    t.match(body[0], new RegExp(`^${ISO}\\t${id}\\tINFO\\thello 42 x \\{ a: 1 \\}$`));
    t.equal(body[1], 'raw out');
    t.match(body[2], new RegExp(`^${ISO}\\t${id}\\tINFO\\tinfo$`));
    t.equal(body[3], 'raw err');
    t.match(body[4], new RegExp(`^${ISO}\\t${id}\\tWARN\\twarn$`));
    t.match(body[5], new RegExp(`^${ISO}\\t${id}\\tERROR\\tTypeError: bad\\n    at `));
    t.match(body[6], new RegExp(`^${ISO}\\t${id}\\tDEBUG\\tdebug$`));
    t.match(body[7], new RegExp(`^${ISO}\\t${id}\\tTRACE\\ttrace$`));
    t.match(body[8], new RegExp(`^${ISO}\\t${id}\\tINFO\\tundefined$`), 'console.log() prints undefined, as the RIC does');
    t.equal(body[9], 'partial tail', 'a partial raw line is flushed at the end of the invocation');
    t.equal(body.length, 10);
  });

  t.test('callback handlers, context.succeed and waiting for the empty event loop', async (t) => {
    const h = harness(t, mode, {
      'index.js': `exports.handler = (event, context, callback) => {
  if (event.mode === 'error') return callback(new Error('cb failed'));
  if (event.mode === 'succeed') return context.succeed({ via: 'succeed' });
  if (event.mode === 'nowait') context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('timer after callback'), 100);
  callback(null, { via: 'callback', mode: event.mode });
  callback(null, 'second call ignored');
};\n`,
    }, { environment: { AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING: '1' } });
    const waited = await h.invoke({ mode: 'wait' });
    t.same(json(waited), { via: 'callback', mode: 'wait' });
    const end = waited.logLines.findIndex((l) => l.startsWith('END '));
    const timerLine = waited.logLines.findIndex((l) => l.endsWith('timer after callback'));
    t.ok(timerLine > 0 && timerLine < end, 'the response waited for the pending timer');

    const noWait = await h.invoke({ mode: 'nowait' });
    t.same(json(noWait), { via: 'callback', mode: 'nowait' });
    // The callback answered at once: the timer's line comes after the result on the channel, so it
    // cannot be part of this invocation (it shows up in a later one, as leftover work does on Lambda).
    t.notOk(noWait.logLines.some((l) => l.endsWith('timer after callback')), 'answered without waiting for the timer');
    t.same(json(await h.invoke({ mode: 'succeed' })), { via: 'succeed' });
    const failed = await h.invoke({ mode: 'error' });
    t.equal(failed.functionError?.errorType, 'Error');
    t.equal(failed.functionError?.errorMessage, 'cb failed');
    t.ok(failed.environmentKept);
    const warned = harness(t, mode, { 'index.js': 'exports.handler = (e, c, cb) => cb(null, 1);\n' });
    const w = await warned.invoke();
    t.same(json(w), 1);
    t.ok(w.logLines[0]?.includes('\tundefined\tWARN\tAWS Lambda plans to remove support for callback-based function handlers'));
  });

  t.test('a sync handler that returns without a callback answers null; a never-settled promise is Runtime.NodeJsExit', async (t) => {
    const sync = harness(t, mode, { 'index.js': 'exports.handler = (event) => ({ ignored: true });\n' });
    const r = await sync.invoke();
    t.equal(r.outcome, 'success');
    t.same(json(r), null);
    const never = harness(t, mode, { 'index.mjs': 'export const handler = async () => new Promise(() => {});\n' });
    const n = await never.invoke();
    t.equal(n.functionError?.errorType, 'Runtime.NodeJsExit');
    t.ok(n.environmentKept);
  });

  t.test('thrown, rejected and non-Error values keep the environment', async (t) => {
    const h = harness(t, mode, {
      'index.mjs': `export const handler = async (event) => {
  if (event.kind === 'throw') throw new Error('boom');
  if (event.kind === 'reject') return Promise.reject(new TypeError('nope'));
  if (event.kind === 'string') throw 'plain string';
  if (event.kind === 'custom') { const e = new Error('custom'); e.name = 'MyError'; throw e; }
  if (event.kind === 'circular') { const o = {}; o.self = o; return o; }
  return 'fine';
};\n`,
    });
    const thrown = await h.invoke({ kind: 'throw' }, { requestId: 'err-1' });
    t.equal(thrown.outcome, 'function-error');
    t.equal(thrown.functionError?.errorType, 'Error');
    t.equal(thrown.functionError?.errorMessage, 'boom');
    t.equal(thrown.functionError?.trace?.[0], 'Error: boom');
    t.match(thrown.functionError?.trace?.[1] ?? '', /^ {4}at /);
    t.ok(thrown.environmentKept);
    t.match(
      thrown.logLines.find((l) => l.includes('Invoke Error')) ?? '',
      new RegExp(`^${ISO}\\terr-1\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom","stack":\\["Error: boom",`),
    );
    t.notMatch(reportLine(thrown), /Status:/, 'a handled function error is not a platform error');

    const rejected = await h.invoke({ kind: 'reject' });
    t.same([rejected.functionError?.errorType, rejected.functionError?.errorMessage], ['TypeError', 'nope']);
    const str = await h.invoke({ kind: 'string' });
    t.same(str.functionError, { errorType: 'string', errorMessage: 'plain string', trace: [] });
    const custom = await h.invoke({ kind: 'custom' });
    t.equal(custom.functionError?.errorType, 'MyError');
    const circular = await h.invoke({ kind: 'circular' });
    t.same([circular.functionError?.errorType, circular.functionError?.errorMessage], ['Error', 'Unable to stringify response body']);
    const after = await h.invoke({ kind: 'none' });
    t.same(json(after), 'fine', 'the same environment still answers');
    t.equal(h.env.state, 'idle');
  });

  t.test('timeout kills the environment with Sandbox.Timedout', async (t) => {
    const h = harness(t, mode, { 'index.mjs': `${SLEEP}export const handler = async () => { await sleep(10_000); return 'late'; };\n` }, { timeoutSec: 1 });
    const r = await h.invoke({}, { requestId: 'slow-1' });
    t.equal(r.outcome, 'function-error');
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: slow-1 Error: Task timed out after 1.00 seconds' });
    t.ok(r.durationMs >= 1000 && r.durationMs < 3000, `duration ${r.durationMs}`);
    t.match(r.logLines.find((l) => l.includes('Task timed out')) ?? '', new RegExp(`^${ISO} slow-1 Task timed out after 1\\.00 seconds$`));
    t.match(reportLine(r), /\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\tStatus: timeout$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_DEAD' });
  });

  t.test('a handler spinning the CPU is still killed at its timeout', async (t) => {
    const h = harness(t, mode, { 'index.mjs': 'export const handler = () => { for (;;) {} };\n' }, { timeoutSec: 1 });
    const r = await h.invoke({}, { requestId: 'spin-1' });
    t.equal(r.functionError?.errorType, 'Sandbox.Timedout');
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('memory blow-up at 128 MB is Runtime.OutOfMemory', async (t) => {
    const h = harness(
      t,
      mode,
      {
        'index.mjs': `const hog = [];\nexport const handler = async () => {\n  for (;;) hog.push(new Array(100_000).fill(0).map((_, i) => ({ i, s: 'x' + i })));\n};\n`,
      },
      { memoryMb: 128, timeoutSec: 60 },
    );
    const r = await h.invoke({}, { requestId: 'oom-1' });
    t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory');
    t.match(r.functionError?.errorMessage ?? '', /^RequestId: oom-1 Error: Runtime exited with error: signal: /);
    t.equal(r.maxMemoryUsedMb, 128);
    t.match(reportLine(r), /\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t.*Status: error\tError Type: Runtime\.OutOfMemory$/);
    t.notOk(r.environmentKept);
    t.equal(h.env.state, 'dead');
  });

  t.test('Buffer (external memory) growth is Runtime.OutOfMemory too', async (t) => {
    const h = harness(
      t,
      mode,
      {
        'index.mjs': `${SLEEP}const hog = [];\nexport const handler = async () => {\n  for (;;) { hog.push(Buffer.alloc(8 * 1024 * 1024, 1)); await sleep(2); }\n};\n`,
      },
      { memoryMb: 128, timeoutSec: 60 },
    );
    const r = await h.invoke();
    t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory');
    t.equal(r.maxMemoryUsedMb, 128);
    t.notOk(r.environmentKept);
  });

  if (isolationOf(mode) === 'process') {
    t.test('process: V8 running out of heap before the watchdog sees it is Runtime.OutOfMemory', async (t) => {
      const h = harness(
        t,
        mode,
        { 'index.mjs': `const hog = [];\nexport const handler = async () => {\n  for (;;) hog.push({ a: Math.random(), b: [1, 2, 3] });\n};\n` },
        // The watchdog samples once at INIT and then not again within the run, so V8's own
        // --max-old-space-size=128 limit is what stops the function (in the sandbox, the cgroup's
        // 128 MB, which the heap's 128 MB plus Node itself reach first).
        { memoryMb: 128, timeoutSec: 30 },
        { memoryPollMs: 600_000 },
      );
      const r = await h.invoke({}, { requestId: 'v8-1' });
      t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory');
      if (sandboxed(mode)) {
        t.match(r.functionError?.errorMessage ?? '', /^RequestId: v8-1 Error: Runtime exited with error: signal: (aborted|killed)$/);
      } else {
        t.match(r.functionError?.errorMessage ?? '', /^RequestId: v8-1 Error: Runtime exited with error: signal: aborted$/);
        t.ok(r.logLines.some((l) => /heap out of memory/i.test(l)), "V8's fatal report is part of the log");
      }
    });
  }

  if (isolationOf(mode) === 'process') {
    t.test('process: killing the environment also kills what user code spawned', async (t) => {
      // A unique sleep length marks the child: inside a sandbox its pid means nothing out here.
      const marker = `${3000 + nextId}.${process.pid}${Date.now() % 100_000}`;
      const h = harness(
        t,
        mode,
        { 'index.mjs': `import { spawn } from 'node:child_process';
export const handler = async () => spawn('sleep', ['${marker}'], { stdio: 'ignore' }).pid;
` },
        {},
        { shutdownGraceMs: 200 },
      );
      t.type(json(await h.invoke()), 'number');
      t.ok(processesWith(`sleep\0${marker}\0`).length > 0, 'the spawned process runs');
      await h.env.destroy('scale-in');
      // SIGKILL is delivered at once but the victim needs a moment of CPU to die, so look a few times.
      let alive = processesWith(`sleep\0${marker}\0`);
      for (let i = 0; i < 250 && alive.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        alive = processesWith(`sleep\0${marker}\0`);
      }
      t.same(alive, [], 'no process user code spawned outlives the environment');
    });
  }

  t.test('destroy: SIGTERM listeners run while idle; a running invocation ends as Sandbox.Aborted', async (t) => {
    // The listener tells a TCP server of the test (the network is shared; /var/task is read-only in the sandbox).
    const heard: string[] = [];
    const server = createServer((socket) => socket.on('data', (d) => heard.push(d.toString())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const h = harness(t, mode, {
      'index.mjs': `import { connect } from 'node:net';\nprocess.on('SIGTERM', () => { const s = connect(${port}, '127.0.0.1', () => s.end('bye')); s.on('close', () => process.exit(0)); });\nexport const handler = async () => 'ok';\n`,
    });
    await h.invoke();
    await h.env.destroy('scale-in');
    for (let i = 0; i < 100 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    t.same(heard, ['bye'], 'the SIGTERM listener ran');

    const busy = harness(t, mode, { 'index.mjs': `${SLEEP}export const handler = async () => { await sleep(5000); };\n` });
    const running = busy.invoke({}, { requestId: 'busy-1' });
    await new Promise((r) => setTimeout(r, 300));
    await busy.env.destroy('node stopping');
    const r = await running;
    t.same(r.functionError, { errorType: 'Sandbox.Aborted', errorMessage: 'RequestId: busy-1 Error: Invocation aborted: node stopping' });
    t.equal(busy.env.state, 'dead');
  });

  t.test('process.exit and uncaught errors end the environment', async (t) => {
    const exit = harness(t, mode, { 'index.mjs': 'export const handler = async () => { process.exit(3); };\n' });
    const r = await exit.invoke({}, { requestId: 'exit-1' });
    t.same(r.functionError, { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: exit-1 Error: Runtime exited with error: exit status 3' });
    t.ok(r.logLines.includes('RequestId: exit-1 Error: Runtime exited with error: exit status 3'));
    t.ok(r.logLines.includes('Runtime.ExitError'));
    t.match(reportLine(r), /Status: error\tError Type: Runtime\.ExitError$/);
    t.notOk(r.environmentKept);
    t.equal(exit.env.state, 'dead');

    const uncaught = harness(t, mode, {
      'index.mjs': `${SLEEP}export const handler = async () => { setTimeout(() => { throw new RangeError('late throw'); }, 10); await sleep(2000); };\n`,
    });
    const u = await uncaught.invoke({}, { requestId: 'unc-1' });
    t.equal(u.functionError?.errorType, 'RangeError');
    t.equal(u.functionError?.errorMessage, 'late throw');
    t.ok(u.logLines.some((l) => new RegExp(`^${ISO}\\tunc-1\\tERROR\\tUncaught Exception \\t\\{"errorType":"RangeError"`).test(l)));
    t.notOk(u.environmentKept);

    const rejection = harness(t, mode, {
      'index.mjs': `${SLEEP}export const handler = async () => { Promise.reject(new Error('nobody listens')); await sleep(2000); };\n`,
    });
    const p = await rejection.invoke();
    t.equal(p.functionError?.errorType, 'Runtime.UnhandledPromiseRejection');
    t.equal(p.functionError?.errorMessage, 'Error: nobody listens');
    t.ok(p.logLines.some((l) => l.includes('\tERROR\tUnhandled Promise Rejection \t{"errorType":"Runtime.UnhandledPromiseRejection"')));
    t.notOk(p.environmentKept);
  });

  t.test('INIT failures come back as the first invoke error, with INIT_REPORT', { jobs: 4 }, async (t) => {
    const cases: Array<{ name: string; files: Record<string, string>; handler?: string; type: string; message: RegExp }> = [
      { name: 'syntax error', files: { 'index.mjs': 'export const handler = async () => {\n' }, type: 'Runtime.UserCodeSyntaxError', message: /^SyntaxError: / },
      { name: 'missing module', files: { 'other.mjs': '' }, handler: 'index.handler', type: 'Runtime.ImportModuleError', message: /^Error: Cannot find module 'index'\nRequire stack:\n- / },
      { name: 'missing export', files: { 'index.mjs': 'export const other = 1;\n' }, handler: 'index.handler', type: 'Runtime.HandlerNotFound', message: /^index\.handler is undefined or not exported$/ },
      { name: 'export not a function', files: { 'index.mjs': 'export const handler = 42;\n' }, type: 'Runtime.HandlerNotFound', message: /^index\.handler is not a function$/ },
      { name: 'missing ESM dependency', files: { 'index.mjs': 'import x from "not-installed";\nexport const handler = async () => x;\n' }, type: 'Runtime.ImportModuleError', message: /^Error: Cannot find package 'not-installed' imported from / },
      { name: 'missing CJS dependency', files: { 'index.js': 'require("not-installed");\nexports.handler = async () => 1;\n' }, type: 'Runtime.ImportModuleError', message: /^Error: Cannot find module 'not-installed'/ },
      { name: 'malformed handler', files: { 'index.mjs': '' }, handler: 'index', type: 'Runtime.MalformedHandlerName', message: /^Bad handler$/ },
      { name: 'top-level throw', files: { 'index.mjs': 'throw new RangeError("bad config");\n' }, type: 'RangeError', message: /^bad config$/ },
    ];
    for (const c of cases) t.test(c.name, async (t) => {
      const h = harness(t, mode, c.files, c.handler ? { handler: c.handler } : {});
      const r = await h.invoke({}, { requestId: 'init-1' });
      t.equal(r.functionError?.errorType, c.type, c.name);
      t.match(r.functionError?.errorMessage ?? '', c.message, c.name);
      t.type(r.initMs, 'number');
      t.notOk(r.environmentKept, c.name);
      t.equal(h.env.state, 'dead');
      t.match(r.logLines[0], new RegExp(`^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"${c.type.replace('.', '\\.')}"`), c.name);
      const initReport = r.logLines.findIndex((l) => l.startsWith('INIT_REPORT '));
      t.match(r.logLines[initReport], new RegExp(`^INIT_REPORT Init Duration: \\d+\\.\\d{2} ms\\tPhase: init\\tStatus: error\\tError Type: ${c.type.replace('.', '\\.')}$`));
      t.equal(r.logLines[initReport + 1], 'START RequestId: init-1 Version: $LATEST');
      t.match(reportLine(r), new RegExp(`\\tStatus: error\\tError Type: ${c.type.replace('.', '\\.')}$`));
      t.equal(r.billedMs, Math.ceil(Number((r.initMs ?? 0).toFixed(3))));
    });
  });

  t.test('INIT is capped by initTimeoutMs', async (t) => {
    const h = harness(t, mode, { 'index.mjs': `${SLEEP}await sleep(10_000);\nexport const handler = async () => 1;\n` }, {}, { initTimeoutMs: 300 });
    const r = await h.invoke({}, { requestId: 'initto-1' });
    t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: initto-1 Error: Task timed out after 0.30 seconds' });
    t.ok(r.logLines.some((l) => /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: timeout$/.test(l)));
    t.match(reportLine(r), /Status: timeout$/);
    t.notOk(r.environmentKept);
  });

  t.test('an AbortSignal aborts the invocation as Sandbox.Aborted; busy and dead invokes are refused', async (t) => {
    const h = harness(t, mode, { 'index.mjs': `${SLEEP}export const handler = async () => { await sleep(5000); return 1; };\n` });
    const ac = new AbortController();
    const running = h.invoke({}, { requestId: 'ab-1', signal: ac.signal });
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_BUSY' }, 'never two invocations in one environment');
    setTimeout(() => ac.abort(new Error('zone node shutting down')), 300);
    const r = await running;
    t.same(r.functionError, { errorType: 'Sandbox.Aborted', errorMessage: 'RequestId: ab-1 Error: Invocation aborted: zone node shutting down' });
    t.notOk(r.environmentKept);
    await t.rejects(h.invoke(), { code: 'ENVIRONMENT_DEAD' });
  });

  t.test('a crash while idle is reported through onDead', async (t) => {
    const h = harness(t, mode, { 'index.mjs': 'export const handler = async () => { setTimeout(() => process.exit(9), 50).unref?.(); return "bye"; };\n' });
    const dead = new Promise<string>((resolve) => h.env.onDead?.(resolve));
    const r = await h.invoke({}, { requestId: 'idle-1' });
    t.same(json(r), 'bye');
    t.ok(r.environmentKept);
    t.equal(await dead, 'exited');
    t.equal(h.env.state, 'dead');
  });

  t.test('a response over 6 MiB + 100 bytes is Function.ResponseSizeTooLarge', async (t) => {
    const h = harness(t, mode, { 'index.mjs': 'export const handler = async () => "x".repeat(6 * 1024 * 1024 + 200);\n' });
    const r = await h.invoke();
    t.same(r.functionError, {
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
    t.ok(r.environmentKept);
  });

  t.test('100 MB of stdout and stderr at 128 MB streams through the bounded log (issue 15)', async (t) => {
    const h = harness(t, mode, {
      'index.mjs': `export const handler = async (event) => {
  if (!event.flood) { console.log('quiet'); return 'quiet'; }
  const piece = ('x'.repeat(1023) + '\\n').repeat(1024);
  for (let i = 0; i < 50; i++) { process.stdout.write(piece); process.stderr.write(piece); }
  console.error(new Error('last words'));
  process.stdout.write('the very last line');
  return 'flooded';
};\n`,
    }, { memoryMb: 128, timeoutSec: 60 });
    const r = await h.invoke({ flood: true }, { requestId: 'flood-1' });
    t.same(json(r), 'flooded', 'no Runtime.OutOfMemory');
    t.ok(r.maxMemoryUsedMb < 128, `max memory used ${r.maxMemoryUsedMb} MB`);
    const lines = r.logLines;
    t.ok(lines.reduce((n, l) => n + l.length, 0) <= 1024 * 1024 + 100, 'the per-invocation bound holds');
    const dropped = Number(/^zonesim: (\d+) log lines dropped/.exec(lines.find((l) => l.startsWith('zonesim: ')) ?? '')?.[1]);
    t.equal(lines.filter((l) => l === 'x'.repeat(1023)).length + dropped, 100 * 1024, 'kept + dropped = written');
    const end = lines.findIndex((l) => l.startsWith('END RequestId: flood-1'));
    t.equal(lines[end - 1], 'the very last line', 'the tail is the last output (a partial line ends with the invocation)');
    t.match(lines[end - 2], new RegExp(`^${ISO}\\tflood-1\\tERROR\\tError: last words\\n    at `), 'a console record with a stack trace stays one line');
    const quiet = await h.invoke({}, { requestId: 'quiet-1' });
    t.same(json(quiet), 'quiet');
    t.same(quiet.logLines.filter((l) => !/^(START|END|REPORT) /.test(l)).map((l) => l.split('\t').slice(1).join('\t')), ['quiet-1\tINFO\tquiet'], 'nothing of the flood leaks into the next invocation');
  });

  t.test('a bad handler never harms another environment or the host', async (t) => {
    const good = harness(t, mode, { 'index.mjs': `${SLEEP}let n = 0;\nexport const handler = async () => { await sleep(150); return ++n; };\n` });
    const bad = harness(t, mode, { 'index.mjs': 'export const handler = async () => { process.exit(1); };\n' });
    const [g1, b1] = await Promise.all([good.invoke(), bad.invoke()]);
    t.same(json(g1), 1);
    t.equal(b1.functionError?.errorType, 'Runtime.ExitError');
    t.same(json(await good.invoke()), 2, 'the good environment is still warm');
  });

  t.test('a runtime that cannot start at all rejects with ENVIRONMENT_FAILED', async (t) => {
    const env = createEnvironmentFactory(isolationOf(mode), {}, componentsOf(mode)).create({
      environmentId: `env-${mode}-nodir`,
      spec: spec(),
      codeDir: join(tmpdir(), 'zonesim-no-such-dir', String(process.pid)),
      logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
      initializationType: 'on-demand',
    });
    t.teardown(() => env.destroy('test over'));
    await t.rejects(env.invoke({ requestId: 'x', payload: Buffer.from('{}'), invokedFunctionArn: ARN }), {
      code: 'ENVIRONMENT_FAILED',
      name: 'EnvironmentSpawnError',
    });
    t.equal(env.state, 'dead');
  });

  t.test('destroy is graceful when idle and idempotent', async (t) => {
    const h = harness(t, mode, { 'index.mjs': 'export const handler = async () => 1;\n' });
    await h.invoke();
    const a = h.env.destroy('scale-in');
    const b = h.env.destroy('again');
    t.equal(a, b);
    await a;
    t.equal(h.env.state, 'dead');
    const never = harness(t, mode, { 'index.mjs': 'export const handler = async () => 1;\n' });
    await never.env.destroy('never used');
    t.equal(never.env.state, 'dead');
  });
}

