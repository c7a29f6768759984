/**
 * SyntheticEnvironment with a ManualClock: INIT and invocations on timers, the same endings, log
 * lines and billing as real environments, seeded draws, and thousands in flight without processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock, systemEntropy, type SyntheticDefinition } from '@zonesim/common';
import type { FunctionSpec } from '@zonesim/protocol';
import {
  EnvironmentPool,
  SyntheticEnvironment,
  createEnvironmentFactory,
  type EnvironmentInvokeResult,
  type EnvironmentOptions,
} from './index.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:synth';
const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: 'synth:1',
    functionName: 'synth',
    version: '$LATEST',
    functionArn: ARN,
    codeSha256Hex: 'c'.repeat(64),
    handler: 'ignored.handler',
    runtime: 'zonesim.synthetic',
    memoryMb: 256,
    timeoutSec: 3,
    architecture: 'x86_64',
    environment: {},
    region: 'eu-west-1',
    ...overrides,
  };
}

const constant = (value: number) => ({ kind: 'constant', value }) as const;
const BASIC: SyntheticDefinition = { init: constant(200), duration: constant(50), memory: constant(100) };

/** A code directory holding `synthetic.json` (raw text when a string is given). */
function codeDir(t: Test, definition: SyntheticDefinition | string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-synth-'));
  if (definition !== undefined) {
    writeFileSync(join(dir, 'synthetic.json'), typeof definition === 'string' ? definition : JSON.stringify(definition));
  }
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Setup {
  env: SyntheticEnvironment;
  clock: ManualClock;
  invoke(event?: unknown, requestId?: string, signal?: AbortSignal): Promise<EnvironmentInvokeResult>;
}

let nextId = 0;

function setup(
  t: Test,
  definition: SyntheticDefinition | string | undefined,
  specOverrides: Partial<FunctionSpec> = {},
  settings: EnvironmentOptions = {},
  environmentId = `env-synth-${++nextId}`,
  dir = codeDir(t, definition),
): Setup {
  const clock = new ManualClock();
  const env = createEnvironmentFactory('process', settings, { clock }).create({
    environmentId,
    spec: spec(specOverrides),
    codeDir: dir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  });
  if (!(env instanceof SyntheticEnvironment)) throw new Error('expected a SyntheticEnvironment');
  t.teardown(() => env.destroy('test over'));
  let n = 0;
  return {
    env,
    clock,
    invoke: (event = {}, requestId = `req-${environmentId}-${++n}`, signal) =>
      env.invoke(
        { requestId, payload: Buffer.from(JSON.stringify(event)), invokedFunctionArn: ARN },
        signal ? { signal } : {},
      ),
  };
}

function json(r: EnvironmentInvokeResult): unknown {
  return r.payload ? JSON.parse(Buffer.from(r.payload).toString('utf8')) : undefined;
}

function reportLine(r: EnvironmentInvokeResult): string {
  return r.logLines.find((l) => l.startsWith('REPORT ')) ?? '';
}

t.test('the factory makes synthetic environments in either isolation mode', async (t) => {
  const dir = codeDir(t, BASIC);
  for (const mode of ['process', 'worker'] as const) {
    const env = createEnvironmentFactory(mode).create({
      environmentId: `env-${mode}`,
      spec: spec(),
      codeDir: dir,
      logStreamName: 'x',
      initializationType: 'on-demand',
    });
    t.ok(env instanceof SyntheticEnvironment, mode);
    await env.destroy('done');
  }
});

t.test('cold start waits the drawn INIT, then warm invokes reuse the environment', async (t) => {
  const s = setup(t, BASIC);
  const t0 = s.clock.now();
  const cold = s.invoke({ a: 1 }, 'cold-1');
  t.equal(s.env.state, 'initializing');
  s.clock.advance(199);
  t.equal(s.env.state, 'initializing');
  s.clock.advance(1);
  t.equal(s.env.state, 'busy', 'INIT over: the handler runs');
  s.clock.advance(50);
  const r1 = await cold;
  t.equal(r1.outcome, 'success');
  t.same(json(r1), { synthetic: true, durationMs: 50, event: { a: 1 } });
  t.equal(r1.initMs, 200);
  t.equal(r1.durationMs, 50);
  t.equal(r1.billedMs, 250, 'cold starts bill INIT too');
  t.equal(r1.maxMemoryUsedMb, 100);
  t.equal(r1.startedAt, t0 + 200);
  t.equal(r1.endedAt, t0 + 250);
  t.ok(r1.environmentKept);
  t.equal(s.env.state, 'idle');
  t.equal(s.env.lastUsedAt, t0 + 250);
  t.same(r1.logLines, [
    'START RequestId: cold-1 Version: $LATEST',
    'END RequestId: cold-1',
    'REPORT RequestId: cold-1\tDuration: 50.00 ms\tBilled Duration: 250 ms\tMemory Size: 256 MB\tMax Memory Used: 100 MB\tInit Duration: 200.00 ms\t',
  ]);

  const warm = s.invoke({ a: 2 }, 'warm-2');
  t.equal(s.env.state, 'busy');
  await t.rejects(s.invoke(), { code: 'ENVIRONMENT_BUSY' }, 'never two invocations in one environment');
  s.clock.advance(50);
  const r2 = await warm;
  t.equal(r2.initMs, undefined);
  t.equal(r2.billedMs, 50);
  t.equal(reportLine(r2), 'REPORT RequestId: warm-2\tDuration: 50.00 ms\tBilled Duration: 50 ms\tMemory Size: 256 MB\tMax Memory Used: 100 MB\t');
  t.equal(s.clock.pendingTimers, 0, 'nothing left on the clock');
});

t.test('only small events are echoed back', async (t) => {
  const s = setup(t, { ...BASIC, init: constant(0), duration: constant(1) });
  const small = s.invoke({ id: 'x'.repeat(900) });
  s.clock.advance(1);
  t.same(json(await small), { synthetic: true, durationMs: 1, event: { id: 'x'.repeat(900) } });
  const big = s.invoke({ id: 'x'.repeat(2000) });
  s.clock.advance(1);
  t.same(json(await big), { synthetic: true, durationMs: 1 });
});

t.test('INIT longer than the cap times out as a real INIT does', async (t) => {
  const s = setup(t, { ...BASIC, init: constant(20_000) }, {}, { initTimeoutMs: 10_000 });
  const p = s.invoke({}, 'initto-1');
  s.clock.advance(10_000);
  const r = await p;
  t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: initto-1 Error: Task timed out after 10.00 seconds' });
  t.equal(r.initMs, 10_000);
  t.equal(r.durationMs, 0);
  t.equal(r.billedMs, 10_000);
  t.equal(r.logLines[0], 'INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout');
  t.equal(r.logLines[1], 'START RequestId: initto-1 Version: $LATEST');
  t.match(r.logLines[2], new RegExp(`^${ISO} initto-1 Task timed out after 10\\.00 seconds$`));
  t.match(reportLine(r), /\tStatus: timeout$/);
  t.notOk(r.environmentKept);
  t.equal(s.env.state, 'dead');
});

t.test('a duration past the timeout is Sandbox.Timedout and discards the environment', async (t) => {
  const s = setup(t, { ...BASIC, init: constant(10), duration: constant(5_000) }, { timeoutSec: 1 });
  const dead = new Promise<string>((resolve) => s.env.onDead(resolve));
  const p = s.invoke({}, 'slow-1');
  s.clock.advance(1_010);
  const r = await p;
  t.same(r.functionError, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: slow-1 Error: Task timed out after 1.00 seconds' });
  t.equal(r.durationMs, 1000);
  t.equal(r.billedMs, 1010);
  t.ok(r.logLines.some((l) => new RegExp(`^${ISO} slow-1 Task timed out after 1\\.00 seconds$`).test(l)));
  t.match(reportLine(r), /\tInit Duration: 10\.00 ms\tStatus: timeout$/);
  t.notOk(r.environmentKept);
  t.equal(s.env.state, 'dead');
  t.equal(await dead, 'discarded: Sandbox.Timedout');
  await t.rejects(s.invoke(), { code: 'ENVIRONMENT_DEAD' });
});

t.test('memory above the memory size is Runtime.OutOfMemory, killed part-way', async (t) => {
  const s = setup(t, { init: constant(0), duration: constant(100), memory: constant(512) }, { memoryMb: 128 });
  const p = s.invoke({}, 'oom-1');
  // Memory grows evenly: 128 of 512 MB is reached a quarter of the way through.
  s.clock.advance(25);
  const r = await p;
  t.same(r.functionError, { errorType: 'Runtime.OutOfMemory', errorMessage: 'RequestId: oom-1 Error: Runtime exited with error: signal: killed' });
  t.equal(r.durationMs, 25);
  t.equal(r.maxMemoryUsedMb, 128);
  t.ok(r.logLines.includes('RequestId: oom-1 Error: Runtime exited with error: signal: killed'));
  t.ok(r.logLines.includes('Runtime.OutOfMemory'));
  t.match(reportLine(r), /\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t.*Status: error\tError Type: Runtime\.OutOfMemory$/);
  t.notOk(r.environmentKept);
  t.equal(s.env.state, 'dead');
});

t.test('the error rate gives handled Synthetic.Error failures at about that rate', async (t) => {
  const s = setup(t, { init: constant(0), duration: constant(1), memory: constant(64), errorRate: 0.3, seed: 'rate' });
  let errors = 0;
  let kept = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const p = s.invoke({}, `r-${i}`);
    s.clock.advance(1);
    const r = await p;
    if (r.environmentKept) kept++;
    if (r.outcome === 'function-error') {
      errors++;
      if (errors === 1) {
        t.same(r.functionError, { errorType: 'Synthetic.Error', errorMessage: 'Synthetic failure (errorRate 0.3)' });
        t.match(r.logLines[1], new RegExp(`^${ISO}\\tr-${i}\\tERROR\\tInvoke Error \\t\\{"errorType":"Synthetic\\.Error"`));
        t.notMatch(reportLine(r), /Status:/, 'a handled error has no platform status');
      }
    }
  }
  // Binomial(4000, 0.3): mean 1200, sd 29; 5 sd either way.
  t.ok(errors > 1055 && errors < 1345, `${errors} errors of ${n}`);
  t.equal(kept, n, 'a handled error keeps the environment');
  t.equal(s.env.state, 'idle');

  const always = setup(t, { ...BASIC, errorRate: 1 });
  const a = always.invoke();
  always.clock.advance(250);
  t.equal((await a).functionError?.errorType, 'Synthetic.Error');
});

t.test('provisioned: initialize() runs INIT ahead, the first invoke is warm', async (t) => {
  const s = setup(t, { ...BASIC, init: constant(300) });
  const init = s.env.initialize({ initTimeoutMs: 130_000 });
  t.equal(s.env.state, 'initializing');
  await t.rejects(s.env.initialize(), { code: 'ENVIRONMENT_BUSY' });
  s.clock.advance(300);
  t.same(await init, { ok: true, initMs: 300, logLines: [] });
  t.equal(s.env.state, 'idle');
  const p = s.invoke({}, 'pc-1');
  s.clock.advance(50);
  const r = await p;
  t.equal(r.initMs, undefined, 'no INIT on the first invoke');
  t.equal(r.billedMs, 50);
  t.notMatch(reportLine(r), /Init Duration/);

  const slow = setup(t, { ...BASIC, init: constant(5_000) });
  const failed = slow.env.initialize({ initTimeoutMs: 1_000 });
  slow.clock.advance(1_000);
  const f = await failed;
  t.equal(f.ok, false);
  t.equal(f.initMs, 1_000);
  t.equal(f.error?.errorType, 'Sandbox.Timedout');
  t.equal(f.logLines.at(-1), 'INIT_REPORT Init Duration: 1000.00 ms\tPhase: init\tStatus: timeout');
  t.equal(slow.env.state, 'dead');
});

t.test('destroy or an abort signal mid-invocation ends it as Sandbox.Aborted', async (t) => {
  const s = setup(t, { ...BASIC, duration: constant(5_000) });
  const dead = new Promise<string>((resolve) => s.env.onDead(resolve));
  const running = s.invoke({}, 'busy-1');
  s.clock.advance(1_200);
  const a = s.env.destroy('node stopping');
  t.equal(s.env.destroy('again'), a, 'destroy is idempotent');
  await a;
  const r = await running;
  t.same(r.functionError, { errorType: 'Sandbox.Aborted', errorMessage: 'RequestId: busy-1 Error: Invocation aborted: node stopping' });
  t.equal(r.initMs, 200);
  t.equal(r.durationMs, 1_000);
  t.match(reportLine(r), /Status: error\tError Type: Sandbox\.Aborted$/);
  t.notOk(r.environmentKept);
  t.equal(s.env.state, 'dead');
  t.equal(await dead, 'aborted: node stopping');
  t.equal(s.clock.pendingTimers, 0);
  await t.rejects(s.invoke(), { code: 'ENVIRONMENT_DEAD' });

  const duringInit = setup(t, { ...BASIC, init: constant(1_000) });
  const p = duringInit.invoke({}, 'init-abort-1');
  duringInit.clock.advance(400);
  await duringInit.env.destroy('scale-in');
  const ri = await p;
  t.equal(ri.functionError?.errorType, 'Sandbox.Aborted');
  t.equal(ri.initMs, 400);
  t.match(ri.logLines[0], /^INIT_REPORT Init Duration: 400\.00 ms\tPhase: init\tStatus: error\tError Type: Sandbox\.Aborted$/);

  const signalled = setup(t, { ...BASIC, duration: constant(5_000) });
  const ac = new AbortController();
  const ps = signalled.invoke({}, 'ab-1', ac.signal);
  signalled.clock.advance(300);
  ac.abort(new Error('zone node shutting down'));
  t.same((await ps).functionError, { errorType: 'Sandbox.Aborted', errorMessage: 'RequestId: ab-1 Error: Invocation aborted: zone node shutting down' });
  t.equal(signalled.env.state, 'dead');

  const idle = setup(t, BASIC);
  await idle.env.destroy('never used');
  t.equal(idle.env.state, 'dead');
  await t.rejects(idle.invoke(), { code: 'ENVIRONMENT_DEAD' });
});

t.test('a missing or invalid synthetic.json fails INIT with Synthetic.InvalidDefinition', async (t) => {
  for (const [name, definition, message] of [
    ['missing', undefined, /^synthetic\.json not found in the function's package$/],
    ['bad json', '{ nope', /^synthetic\.json: \(root\): is not valid JSON/],
    ['bad field', JSON.stringify({ ...BASIC, duration: { kind: 'lognormal', median: 10, p99: 5 } }), /^synthetic\.json: duration\.p99: /],
  ] as const) {
    const s = setup(t, definition);
    const p = s.invoke({}, 'bad-1');
    s.clock.advance(0);
    const r = await p;
    t.equal(r.functionError?.errorType, 'Synthetic.InvalidDefinition', name);
    t.match(r.functionError?.errorMessage ?? '', message, name);
    t.match(r.logLines[0], new RegExp(`^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"Synthetic\\.InvalidDefinition"`), name);
    t.match(r.logLines[1], /^INIT_REPORT Init Duration: 0\.00 ms\tPhase: init\tStatus: error\tError Type: Synthetic\.InvalidDefinition$/, name);
    t.notOk(r.environmentKept, name);
  }
});

/** Outcome, INIT and duration of `count` invocations of a fresh environment. */
async function trace(t: Test, definition: SyntheticDefinition, environmentId: string, specKey: string, count = 20): Promise<string[]> {
  const s = setup(t, definition, { specKey }, {}, environmentId);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = s.invoke();
    s.clock.advance(100_000);
    const r = await p;
    out.push(`${r.outcome}:${r.initMs ?? '-'}:${r.durationMs}:${r.maxMemoryUsedMb}`);
  }
  return out;
}

t.test('draws are reproducible for a seed and an environment id', async (t) => {
  const def: SyntheticDefinition = {
    init: { kind: 'lognormal', median: 150, p99: 900 },
    duration: { kind: 'empirical', percentiles: { '0': 1, '50': 40, '99': 300, '100': 2000 } },
    memory: { kind: 'uniform', min: 60, max: 120 },
    errorRate: 0.2,
  };
  const a = await trace(t, def, 'env-a', 'fn:1');
  t.same(await trace(t, def, 'env-a', 'fn:1'), a, 'same spec key and environment id: same run');
  t.notSame(await trace(t, def, 'env-b', 'fn:1'), a, 'another environment draws otherwise');
  t.notSame(await trace(t, def, 'env-a', 'fn:2'), a, 'without a seed, the spec key seeds');
  const seeded = { ...def, seed: 42 };
  t.same(await trace(t, seeded, 'env-a', 'fn:1'), await trace(t, seeded, 'env-a', 'fn:2'), 'with a seed, the spec key does not matter');
  // The error draws have their own stream: another error rate keeps the durations.
  const durations = (xs: string[]): string[] => xs.map((x) => x.split(':').slice(1, 3).join(':'));
  t.same(durations(await trace(t, { ...def, errorRate: 0.9 }, 'env-a', 'fn:1')), durations(a));
});

t.test('5,000 concurrent invocations across environments complete, with no process', async (t) => {
  const clock = new ManualClock();
  const dir = codeDir(t, {
    init: { kind: 'lognormal', median: 120, p99: 800 },
    duration: { kind: 'exponential', mean: 200 },
    memory: { kind: 'uniform', min: 50, max: 100 },
    errorRate: 0.1,
    seed: 7,
  });
  const n = 5_000;
  const pool = new EnvironmentPool({
    factory: createEnvironmentFactory('process', {}, { clock }),
    maxEnvironments: n,
    memoryMb: n * 128,
    clock,
    entropy: systemEntropy,
  });
  t.teardown(() => pool.stop());
  const fn = spec({ memoryMb: 128, timeoutSec: 900 });
  const pending: Array<Promise<EnvironmentInvokeResult>> = [];
  let cold = 0;
  for (let i = 0; i < n; i++) {
    const lease = await pool.acquire({ spec: fn, codeDir: dir });
    if (lease.cold) cold++;
    pending.push(
      lease.environment
        .invoke({ requestId: `many-${i}`, payload: Buffer.from(`{"i":${i}}`), invokedFunctionArn: ARN })
        .finally(() => pool.release(lease.environment)),
    );
  }
  t.equal(cold, n, 'every invocation got its own new environment');
  t.equal(pool.busyCount, n, 'all in flight at once');
  clock.advance(60_000);
  const results = await Promise.all(pending);
  const ok = results.filter((r) => r.outcome === 'success').length;
  const failed = results.filter((r) => r.functionError?.errorType === 'Synthetic.Error').length;
  t.equal(ok + failed, n, 'every invocation succeeded or drew a handled error');
  t.ok(failed > 350 && failed < 650, `${failed} drawn failures (10% of ${n})`);
  t.ok(results.every((r) => r.initMs !== undefined && r.billedMs === Math.max(1, Math.ceil(Number((r.durationMs + (r.initMs ?? 0)).toFixed(3))))));
  t.same(
    results.map((r, i) => (json(r) as { event?: { i: number } } | undefined)?.event?.i ?? i),
    results.map((_, i) => i),
    'each answer echoes its own event',
  );
  t.equal(pool.busyCount, 0);
  t.equal(pool.idleCount, n, 'all environments kept warm');
});
