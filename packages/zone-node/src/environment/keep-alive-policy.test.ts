/**
 * Keep-alive policies (issue 18) on a ManualClock: `fixed` keeps every environment for the same
 * time; `hybrid-histogram` computes its windows from a histogram worked out by hand, falls back to
 * the whole range when the histogram is not representative, and, in the pool, unloads an
 * environment at once and pre-warms another at the right time.
 */
import t from 'tap';
import { ManualClock, seededEntropy } from '@zonesim/common';
import { HybridHistogramKeepAlive } from './hybrid-histogram.js';
import {
  DEFAULT_HYBRID_HISTOGRAM,
  FixedKeepAlive,
  createKeepAlivePolicy,
  formatKeepAlivePolicy,
  parseKeepAlivePolicy,
  resolveKeepAlivePolicy,
  type HybridHistogramSettings,
} from './keep-alive-policy.js';
import { EnvironmentPool, type EnvironmentEvictedEvent, type PrewarmDueEvent } from './pool.js';
import type { EnvironmentConfig, EnvironmentInitResult, EnvironmentInvokeResult, EnvironmentState, ExecutionEnvironment } from './types.js';
import { testSpec } from '../test-util/function-spec.js';
import { recordingFactory } from '../test-util/recording-factory.js';

const MIN = 60_000;

function hybrid(clock = new ManualClock(), settings: Partial<HybridHistogramSettings> = {}): HybridHistogramKeepAlive {
  return new HybridHistogramKeepAlive({ ...DEFAULT_HYBRID_HISTOGRAM, ...settings }, clock);
}

const spec = testSpec;

/** An environment whose invoke and INIT are instant; `initTypes` records how each was initialised. */
class InstantEnvironment implements ExecutionEnvironment {
  state: EnvironmentState = 'created';
  lastUsedAt = 0;
  #dead: Array<(reason: string) => void> = [];
  constructor(readonly config: EnvironmentConfig) {}
  get id(): string {
    return this.config.environmentId;
  }
  get specKey(): string {
    return this.config.spec.specKey;
  }
  async invoke(): Promise<EnvironmentInvokeResult> {
    this.state = 'idle';
    return { outcome: 'success', durationMs: 1, billedMs: 1, maxMemoryUsedMb: 1, startedAt: 0, endedAt: 0, logLines: [], environmentKept: true };
  }
  async initialize(): Promise<EnvironmentInitResult> {
    this.state = 'idle';
    return { ok: true, initMs: 1, logLines: [] };
  }
  async destroy(): Promise<void> {
    if (this.state === 'dead') return;
    this.state = 'dead';
    for (const l of this.#dead.splice(0)) l('destroyed');
  }
  onDead(listener: (reason: string) => void): void {
    this.#dead.push(listener);
  }
}

function poolWith(clock: ManualClock, keepAlive: FixedKeepAlive | HybridHistogramKeepAlive, keepAliveMs = 10 * MIN) {
  const { factory, created } = recordingFactory((config) => new InstantEnvironment(config));
  let n = 0;
  const pool = new EnvironmentPool({ maxEnvironments: 4, memoryMb: 1024, keepAliveMs, factory, clock, entropy: seededEntropy('keep-alive'), newEnvironmentId: () => `env-${++n}`, keepAlive });
  const evicted: EnvironmentEvictedEvent[] = [];
  const prewarms: PrewarmDueEvent[] = [];
  pool.on('evicted', (e) => evicted.push(e));
  pool.on('prewarm', (e) => {
    prewarms.push(e);
    // What the zone node does: load a new environment of the configuration now.
    void pool.prewarm({ spec: e.spec, codeDir: '/x' }, { keepAliveMs: e.keepAliveMs });
  });
  /** One invocation of `key`, at the clock's time. */
  const invoke = async (key: string) => {
    const lease = await pool.acquire({ spec: spec(key), codeDir: '/x' });
    await lease.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
    pool.release(lease.environment);
    return lease;
  };
  return { pool, created, evicted, prewarms, invoke };
}

/** Lets the pool's promise continuations run (pre-warm INIT) without moving the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test('fixed: every end gets the same keep-alive, no pre-warm', async (t) => {
  const policy = new FixedKeepAlive(600_000);
  policy.invocationStarted();
  t.same(policy.invocationEnded(), { prewarmMs: 0, keepAliveMs: 600_000 });
  t.same(policy.invocationEnded(), { prewarmMs: 0, keepAliveMs: 600_000 });
  t.throws(() => new FixedKeepAlive(0), { code: 'INVALID_OPTION' });
});

t.test('fixed in the pool: as before, an idle environment goes after keepAliveMs and not before', async (t) => {
  const clock = new ManualClock();
  const { pool, evicted, invoke } = poolWith(clock, new FixedKeepAlive(10 * MIN));
  const first = await invoke('f');
  clock.advance(10 * MIN - 1);
  const again = await invoke('f');
  t.equal(again.cold, false, 'reused 1 ms before its keep-alive ran out');
  t.equal(again.environment, first.environment);
  clock.advance(10 * MIN - 1);
  t.equal(evicted.length, 0);
  clock.advance(1);
  t.same(evicted, [{ environmentId: 'env-1', specKey: 'f', reason: 'keep-alive' }]);
  // Idle memory: 128 MB for (10 min - 1 ms) and then for 10 min.
  t.equal(pool.stats().idleMemoryMbMs, 128 * (20 * MIN - 1));
  t.equal(pool.stats().prewarms, 0);
  t.equal(pool.pendingPrewarms, 0);
});

t.test('hybrid: windows from a histogram worked out by hand', async (t) => {
  const policy = hybrid();
  // 20 idle times: 1 at 3 min, 18 at 10 min, 1 at 12.5 min (bins 3, 10, 12 of 240).
  policy.recordIdleTime('f', 3 * MIN);
  for (let i = 0; i < 18; i++) policy.recordIdleTime('f', 10 * MIN + 20_000);
  policy.recordIdleTime('f', 12.5 * MIN);
  // Bin counts 1, 18, 1 and 237 zeros: mean 20/240, sum of squares 326,
  // sd = sqrt((326 - 240 (1/12)^2) / 239) = 1.1649, CV = 13.98 >= 2: representative.
  // Head (5 %: the 1st of 20) is bin 3, its lower edge 3 min; tail (99 %: the 20th) is bin 12, upper edge 13 min.
  // Pre-warm = 3 min x 0.9 = 2.7 min; keep-alive = 13 min x 1.1 - 2.7 min = 11.6 min.
  const d = policy.decision('f');
  t.equal(d.pattern, 'histogram');
  t.equal(d.prewarmMs, 162_000);
  t.ok(Math.abs(d.keepAliveMs - 696_000) < 1e-6, `keep-alive ${d.keepAliveMs}`);
});

t.test('hybrid: idle times are measured from an end to the next start on the clock, 0 while another runs', async (t) => {
  const clock = new ManualClock();
  const policy = hybrid(clock, { minSamples: 3 });
  policy.invocationStarted('f');
  clock.advance(100);
  t.same(policy.invocationEnded('f'), { prewarmMs: 0, keepAliveMs: DEFAULT_HYBRID_HISTOGRAM.rangeMs }, 'no idle time yet: the whole range');
  for (let i = 0; i < 3; i++) {
    clock.advance(30 * MIN);
    policy.invocationStarted('f');
    clock.advance(100);
    policy.invocationEnded('f');
  }
  // Three idle times of 30 min: head and tail in bin 30.
  const d = policy.decision('f');
  t.equal(d.pattern, 'histogram');
  t.equal(d.prewarmMs, 30 * MIN * 0.9);
  t.ok(Math.abs(d.keepAliveMs - (31 * MIN * 1.1 - 27 * MIN)) < 1e-6);
  // Overlapping invocations: the second starts while the first runs, an idle time of 0 (bin 0).
  const busy = hybrid(clock, { minSamples: 1 });
  busy.invocationStarted('g');
  busy.invocationEnded('g');
  clock.advance(5 * MIN);
  busy.invocationStarted('g');
  busy.invocationStarted('g');
  const both = busy.decision('g');
  t.equal(both.prewarmMs, 0, 'head in bin 0: no pre-warm');
  t.ok(Math.abs(both.keepAliveMs - 6 * MIN * 1.1) < 1e-6, 'tail: the 5-minute gap');
});

t.test('hybrid: falls back to the whole range when the histogram cannot be trusted', async (t) => {
  const range = DEFAULT_HYBRID_HISTOGRAM.rangeMs;
  const few = hybrid();
  for (let i = 0; i < 9; i++) few.recordIdleTime('f', 10 * MIN);
  t.same(few.decision('f'), { pattern: 'too-few-samples', prewarmMs: 0, keepAliveMs: range }, '9 idle times < minSamples 10');
  few.recordIdleTime('f', 10 * MIN);
  t.equal(few.decision('f').pattern, 'histogram', 'the 10th makes it');

  // One idle time in each of bins 0..119: mean 0.5, sd = sqrt((120 - 240 x 0.25) / 239) = 0.501, CV 1.0 < 2.
  const spread = hybrid();
  for (let i = 0; i < 120; i++) spread.recordIdleTime('f', i * MIN + 1);
  t.same(spread.decision('f'), { pattern: 'not-representative', prewarmMs: 0, keepAliveMs: range });

  // 6 of 10 beyond the 4-hour range (> 0.5): the paper would forecast with ARIMA; we fall back.
  const far = hybrid();
  for (let i = 0; i < 4; i++) far.recordIdleTime('f', 10 * MIN);
  for (let i = 0; i < 6; i++) far.recordIdleTime('f', 5 * 60 * MIN);
  t.same(far.decision('f'), { pattern: 'out-of-range', prewarmMs: 0, keepAliveMs: range });
});

t.test('hybrid: at most maxConfigurations tracked, the least recently invoked forgotten', async (t) => {
  const policy = hybrid(new ManualClock(), { maxConfigurations: 2, minSamples: 1 });
  policy.recordIdleTime('a', 10 * MIN);
  policy.recordIdleTime('b', 10 * MIN);
  policy.recordIdleTime('a', 10 * MIN);
  policy.recordIdleTime('c', 10 * MIN);
  t.equal(policy.size, 2);
  t.equal(policy.decision('b').pattern, 'too-few-samples', 'b, the least recent, was forgotten');
  t.equal(policy.decision('a').pattern, 'histogram');
  t.equal(policy.decision('c').pattern, 'histogram');
});

t.test('hybrid in the pool: unloads at the end, pre-warms at the pre-warm window, the next call is warm', async (t) => {
  const clock = new ManualClock();
  const policy = hybrid(clock, { minSamples: 3 });
  const { pool, evicted, prewarms, created, invoke } = poolWith(clock, policy);
  // A timer-like function every 10 minutes: three idle times of 10 min teach the histogram.
  await invoke('f');
  for (let i = 0; i < 3; i++) {
    clock.advance(10 * MIN);
    await invoke('f');
  }
  // The last end saw a representative histogram: head 10 min -> pre-warm 9 min; tail 11 min -> keep 12.1 - 9 = 3.1 min.
  const unload = evicted.at(-1);
  t.same(unload, { environmentId: 'env-1', specKey: 'f', reason: 'keep-alive', atRelease: true }, 'unloaded at once, reported with the invocation');
  t.equal(pool.has('env-1'), false);
  t.equal(pool.pendingPrewarms, 1);
  const idleBefore = pool.stats().idleMemoryMbMs;
  t.equal(idleBefore, 3 * 128 * 10 * MIN, 'three 10-minute idle spells (the 4-hour fallback kept it) and none since the unload');

  clock.advance(9 * MIN - 1);
  t.equal(prewarms.length, 0, 'not before the pre-warm window');
  clock.advance(1);
  t.equal(prewarms.length, 1);
  t.ok(Math.abs(prewarms[0]!.keepAliveMs - 3.1 * MIN) < 1e-6, 'kept for the keep-alive window');
  await settle();
  t.equal(created.length, 2, 'a new environment, INIT done ahead');
  t.equal(created[1]!.config.initializationType, 'on-demand', 'an ordinary on-demand environment, not provisioned concurrency');
  t.equal(pool.counts().idle, 1);
  t.equal(pool.stats().prewarms, 1);

  clock.advance(1 * MIN);
  const next = await pool.acquire({ spec: spec('f'), codeDir: '/x' });
  t.equal(next.cold, false, 'the invocation at 10 min finds it warm');
  t.equal(next.environment, created[1]);
  t.equal(pool.stats().idleMemoryMbMs, idleBefore + 128 * MIN, 'idle memory: the minute from the pre-warm to the invocation');
  await next.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
  pool.release(next.environment);

  // Never invoked again: the next pre-warmed environment goes when its keep-alive window ends.
  clock.advance(9 * MIN);
  await settle();
  t.equal(created.length, 3);
  const evictions = evicted.length;
  clock.advance(3.1 * MIN + 1);
  t.same(evicted.slice(evictions), [{ environmentId: 'env-3', specKey: 'f', reason: 'keep-alive' }]);
  t.equal(pool.counts().total, 0);
});

t.test('a pending pre-warm is dropped when its configuration is dropped or the pool stops', async (t) => {
  const clock = new ManualClock();
  const policy = hybrid(clock, { minSamples: 1 });
  const { pool, prewarms, invoke } = poolWith(clock, policy);
  await invoke('f');
  clock.advance(30 * MIN);
  await invoke('f');
  t.equal(pool.pendingPrewarms, 1);
  pool.evictIdle(new Set(['f']));
  t.equal(pool.pendingPrewarms, 0);
  clock.advance(60 * MIN);
  t.equal(prewarms.length, 0);
  clock.advance(30 * MIN);
  await invoke('f');
  t.equal(pool.pendingPrewarms, 1);
  await pool.stop();
  t.equal(pool.pendingPrewarms, 0);
});

t.test('options: defaults, checks naming the field, the text form both ways, the time scale', async (t) => {
  t.same(resolveKeepAlivePolicy(undefined), { kind: 'fixed' });
  t.same(resolveKeepAlivePolicy({ kind: 'hybrid-histogram' }), { kind: 'hybrid-histogram', ...DEFAULT_HYBRID_HISTOGRAM });
  t.throws(() => resolveKeepAlivePolicy({ kind: 'hybrid-histogram', binMs: 0 }), { code: 'INVALID_OPTION', field: 'keepAlivePolicy.binMs' });
  t.throws(() => resolveKeepAlivePolicy({ kind: 'hybrid-histogram', tailPercentile: 3 }), { code: 'INVALID_OPTION', field: 'keepAlivePolicy.tailPercentile' });
  t.same(parseKeepAlivePolicy('fixed'), { kind: 'fixed' });
  t.same(parseKeepAlivePolicy('hybrid-histogram:rangeMs=7200000,minSamples=5'), { kind: 'hybrid-histogram', ...DEFAULT_HYBRID_HISTOGRAM, rangeMs: 7_200_000, minSamples: 5 });
  t.throws(() => parseKeepAlivePolicy('lru'), { code: 'INVALID_OPTION', field: 'keepAlivePolicy' });
  t.throws(() => parseKeepAlivePolicy('hybrid-histogram:range=2h'), { code: 'INVALID_OPTION', field: 'keepAlivePolicy' });
  t.equal(formatKeepAlivePolicy({ kind: 'hybrid-histogram' }), 'hybrid-histogram');
  t.equal(formatKeepAlivePolicy({ kind: 'hybrid-histogram', rangeMs: 7_200_000 }), 'hybrid-histogram:rangeMs=7200000');
  t.same(parseKeepAlivePolicy(formatKeepAlivePolicy({ kind: 'hybrid-histogram', cvThreshold: 1.5 })), resolveKeepAlivePolicy({ kind: 'hybrid-histogram', cvThreshold: 1.5 }));
  const clock = new ManualClock();
  t.same(createKeepAlivePolicy({ kind: 'fixed' }, 600_000, clock, 10).invocationEnded('f'), { prewarmMs: 0, keepAliveMs: 60_000 });
  const scaled = createKeepAlivePolicy(resolveKeepAlivePolicy({ kind: 'hybrid-histogram' }), 600_000, clock, 10) as HybridHistogramKeepAlive;
  t.equal(scaled.settings.rangeMs, DEFAULT_HYBRID_HISTOGRAM.rangeMs / 10);
  t.equal(scaled.settings.binMs, 6_000);
});
