/**
 * Spare runtimes: a cold start takes a Node runtime started ahead of need, which becomes the
 * environment (its variables, directory and heap limit) before any user code runs; functions that
 * set startup variables start fresh; spares are bounded and stopped with the node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { createEnvironmentFactory } from './factory.js';
import { buildLambdaEnvironment } from './lambda-env.js';
import { RUNTIME_DIR } from './runtime-host.js';
import { canBind, SpareRuntimes, spareEnvironment } from './spare-runtimes.js';
import type { EnvironmentInvokeResult, ExecutionEnvironment } from './types.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:spare';

const HANDLER = `
import v8 from 'node:v8';
console.log('init in', process.cwd());
export const handler = async () => ({
  pid: process.pid,
  cwd: process.cwd(),
  env: process.env,
  heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576),
});
`;

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: `spare:${Math.random()}`,
    functionName: 'spare',
    version: '$LATEST',
    functionArn: ARN,
    codeSha256Hex: 'b'.repeat(64),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    memoryMb: 256,
    timeoutSec: 5,
    architecture: 'x86_64',
    environment: { GREETING: 'hello' },
    region: 'eu-west-1',
    ...overrides,
  };
}

function codeDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-spare-'));
  writeFileSync(join(dir, 'index.mjs'), HANDLER);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let n = 0;
function environment(t: Test, spares: SpareRuntimes, overrides: Partial<FunctionSpec> = {}, dir = codeDir(t)): ExecutionEnvironment {
  const env = createEnvironmentFactory('process', { memoryPollMs: 20 }, { spares }).create({
    environmentId: `env-spare-${++n}`,
    spec: spec(overrides),
    codeDir: dir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  });
  t.teardown(() => env.destroy('test over'));
  return env;
}

async function invoke(env: ExecutionEnvironment): Promise<EnvironmentInvokeResult & { body: any }> {
  const r = await env.invoke({ requestId: `req-${++n}`, payload: Buffer.from('{}'), invokedFunctionArn: ARN });
  return { ...r, body: r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined };
}

/** Waits until a spare of some size is ready (they start in the background). */
async function spareReady(spares: SpareRuntimes, count = 1): Promise<void> {
  const until = Date.now() + 10_000;
  while (spares.counts.ready < count) {
    if (Date.now() > until) throw new Error(`no ready spare after 10 s: ${JSON.stringify(spares.counts)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('a cold start after the first takes a spare that becomes the environment', async (t) => {
  const spares = new SpareRuntimes({ max: 2 });
  t.teardown(() => spares.stop());
  const first = await invoke(environment(t, spares));
  t.equal(first.body.heapLimitMb > 0, true);
  t.same(spares.counts.hits, 0, 'the first cold start of a size finds no spare');
  t.equal(spares.counts.misses, 1);
  await spareReady(spares);

  const dir = codeDir(t);
  const r = await invoke(environment(t, spares, {}, dir));
  t.equal(spares.counts.hits, 1, 'the second took the spare');
  t.equal(r.body.cwd, dir, 'its directory is the code');
  t.equal(r.body.env.GREETING, 'hello', 'the function\'s variables');
  t.equal(r.body.env.LAMBDA_TASK_ROOT, dir);
  t.equal(r.body.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
  t.equal(r.body.env.TZ, ':UTC');
  // (Compared with the variables the platform builds, not with a forked environment's: under tap,
  // forks also get tap's NODE_OPTIONS and _TAPJS_* variables, which a spare drops at binding.)
  const built = buildLambdaEnvironment({ environmentId: 'x', spec: spec(), codeDir: dir, logStreamName: 's', initializationType: 'on-demand' }, RUNTIME_DIR);
  // ... plus the invocation's trace header, which the runtime sets per invocation.
  t.same(Object.keys(r.body.env).sort(), [...Object.keys(built), '_X_AMZN_TRACE_ID'].sort(), 'exactly the variables the platform builds, nothing of the spare\'s own');
  t.equal(r.body.heapLimitMb, first.body.heapLimitMb, 'the heap limit of the function\'s memory size');
  t.match(r.logLines.join('\n'), new RegExp(`init in ${dir}`), 'INIT already ran in the code directory');
  t.match(r.logLines.join('\n'), /REPORT RequestId: .*Init Duration/, 'still a cold start');
});

t.test('spares are kept per memory size, bounded, and stopped', async (t) => {
  const spares = new SpareRuntimes({ max: 2 });
  for (const memoryMb of [128, 256, 512]) await invoke(environment(t, spares, { memoryMb }));
  await spareReady(spares, 2);
  t.equal(spares.counts.ready + spares.counts.starting, 2, 'never more than max');
  const r128 = await invoke(environment(t, spares, { memoryMb: 128 }));
  t.equal(spares.counts.hits, 0, 'the oldest size (128 MB) lost its spare to make room');
  const r512 = await invoke(environment(t, spares, { memoryMb: 512 }));
  t.equal(spares.counts.hits, 1, 'a recent size has one');
  t.ok(r512.body.heapLimitMb > r128.body.heapLimitMb, 'each spare has its own size\'s heap limit');
  await spares.stop();
  t.equal(spares.counts.ready + spares.counts.starting, 0, 'none left after stop');
  const after = await invoke(environment(t, spares, { memoryMb: 512 }));
  t.ok(after.body.pid > 0, 'a stopped pool still lets environments start (forked)');
  t.equal(spares.counts.hits, 1);
});

t.test('a function that sets startup variables (NODE_OPTIONS, ...) starts fresh', async (t) => {
  const base = spareEnvironment('/usr/bin:/bin');
  t.ok(canBind({ ...base, GREETING: 'x', AWS_REGION: 'eu-west-1' }, base));
  t.notOk(canBind({ ...base, NODE_OPTIONS: '--enable-source-maps' }, base));
  t.notOk(canBind({ ...base, LANG: 'C' }, base));
  t.notOk(canBind({ ...base, UV_THREADPOOL_SIZE: '16' }, base));
  t.notOk(canBind({ PATH: base['PATH']!, TZ: base['TZ']! }, base), 'a startup variable missing counts too');

  const spares = new SpareRuntimes({ max: 2 });
  t.teardown(() => spares.stop());
  await invoke(environment(t, spares));
  await spareReady(spares);
  const r = await invoke(environment(t, spares, { environment: { NODE_OPTIONS: '--max-http-header-size=32768' } }));
  t.equal(spares.counts.hits, 0, 'not taken');
  t.match(r.body.env.NODE_OPTIONS, /--max-http-header-size=32768/, 'forked with its NODE_OPTIONS');
  t.equal(spares.counts.ready, 1, 'the spare waits for a function it fits');
});

t.test('a missing code directory is still a spawn failure', async (t) => {
  const spares = new SpareRuntimes({ max: 1 });
  t.teardown(() => spares.stop());
  await invoke(environment(t, spares));
  await spareReady(spares);
  const env = environment(t, spares, {}, join(tmpdir(), 'zonesim-no-such-dir', String(process.pid)));
  await t.rejects(env.invoke({ requestId: 'x', payload: Buffer.from('{}'), invokedFunctionArn: ARN }), { code: 'ENVIRONMENT_FAILED' });
  t.equal(spares.counts.ready, 1, 'the spare was not spent on it');
});

t.test('max 0 keeps none; a bad max is refused', async (t) => {
  const spares = new SpareRuntimes({ max: 0 });
  await invoke(environment(t, spares));
  await new Promise((r) => setTimeout(r, 50));
  t.same(spares.counts, { ready: 0, starting: 0, hits: 0, misses: 0 });
  t.throws(() => new SpareRuntimes({ max: -1 }), /max must be a non-negative integer/);
});
