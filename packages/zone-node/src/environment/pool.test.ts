/**
 * EnvironmentPool with fake environments and a ManualClock (pure placement and timing logic), plus
 * one check against real process environments that concurrent acquires never double-book.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock, seededEntropy, systemClock, systemEntropy } from '@zonesim/common';
import { EnvironmentPool, createEnvironmentFactory, type EnvironmentEvictedEvent } from './index.js';
import type {
  EnvironmentConfig,
  EnvironmentFactory,
  EnvironmentInitResult,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
} from './types.js';
import { testSpec } from '../test-util/function-spec.js';
import { recordingFactory } from '../test-util/recording-factory.js';

const spec = testSpec;

class FakeEnvironment implements ExecutionEnvironment {
  state: EnvironmentState = 'created';
  lastUsedAt = 0;
  destroyedWith: string | undefined;
  #dead: Array<(reason: string) => void> = [];
  constructor(readonly config: EnvironmentConfig) {}
  get id(): string {
    return this.config.environmentId;
  }
  get specKey(): string {
    return this.config.spec.specKey;
  }
  async invoke(): Promise<EnvironmentInvokeResult> {
    if (this.state !== 'created' && this.state !== 'idle') throw Object.assign(new Error('busy'), { code: 'ENVIRONMENT_BUSY' });
    this.state = 'idle';
    return { outcome: 'success', durationMs: 1, billedMs: 1, maxMemoryUsedMb: 1, startedAt: 0, endedAt: 0, logLines: [], environmentKept: true };
  }
  /** Set to make the next initialize() fail as a broken module would. */
  failInit = false;
  async initialize(): Promise<EnvironmentInitResult> {
    if (this.state !== 'created') throw Object.assign(new Error('not created'), { code: 'ENVIRONMENT_BUSY' });
    if (this.failInit) {
      this.die('init-failed');
      return { ok: false, initMs: 2, logLines: ['INIT_REPORT Init Duration: 2.00 ms\tPhase: init\tStatus: error'], error: { errorType: 'Runtime.ImportModuleError', errorMessage: 'nope' } };
    }
    this.state = 'idle';
    return { ok: true, initMs: 2, logLines: [] };
  }
  async destroy(reason: string): Promise<void> {
    this.destroyedWith ??= reason;
    this.die(reason);
  }
  onDead(listener: (reason: string) => void): void {
    this.#dead.push(listener);
  }
  /** Simulates a crash (or the end of destroy). */
  die(reason: string): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    for (const l of this.#dead.splice(0)) l(reason);
  }
}

function setup(options: { maxEnvironments?: number; memoryMb?: number; keepAliveMs?: number } = {}) {
  const clock = new ManualClock();
  const { factory, created } = recordingFactory((config) => new FakeEnvironment(config));
  let n = 0;
  const pool = new EnvironmentPool({
    maxEnvironments: options.maxEnvironments ?? 4,
    memoryMb: options.memoryMb ?? 1024,
    keepAliveMs: options.keepAliveMs ?? 60_000,
    factory,
    clock,
    entropy: seededEntropy('pool'),
    newEnvironmentId: () => `env-${++n}`,
  });
  const evicted: EnvironmentEvictedEvent[] = [];
  pool.on('evicted', (e) => evicted.push(e));
  /** Acquire, run one (fake) invocation, release: the environment is then idle. */
  const use = async (key: string, memoryMb = 128) => {
    const lease = await pool.acquire({ spec: spec(key, memoryMb), codeDir: '/nowhere' });
    await lease.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
    pool.release(lease.environment);
    return lease;
  };
  return { clock, pool, created, evicted, use };
}

t.test('warm reuse: same specKey, most recently used first', async (t) => {
  const { pool, use } = setup();
  const a = await pool.acquire({ spec: spec('f'), codeDir: '/x' });
  const b = await pool.acquire({ spec: spec('f'), codeDir: '/x' });
  t.ok(a.cold && b.cold);
  t.not(a.environment, b.environment, 'a leased environment is never handed out twice');
  for (const l of [a, b]) await l.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
  pool.release(a.environment);
  pool.release(b.environment);
  const again = await pool.acquire({ spec: spec('f'), codeDir: '/x' });
  t.equal(again.cold, false);
  t.equal(again.environment, b.environment, 'the most recently released one');
  pool.release(again.environment);
  const other = await use('g');
  t.equal(other.cold, true, 'another specKey never reuses f environments');
  t.same(pool.counts(), { busy: 0, idle: 3, total: 3, memoryMb: 384, bySpecKey: { f: { busy: 0, idle: 2, provisioned: 0 }, g: { busy: 0, idle: 1, provisioned: 0 } } });
  t.equal(pool.idleCount, 3);
  t.equal(pool.busyCount, 0);
});

t.test('a new environment evicts least-recently-used idle environments of other keys', async (t) => {
  const { pool, use, created, evicted } = setup({ maxEnvironments: 3 });
  await use('a');
  await use('b');
  await use('c');
  await use('a'); // a becomes the most recent; b is now the LRU
  const d = await pool.acquire({ spec: spec('d'), codeDir: '/x' });
  t.ok(d.cold);
  t.same(evicted, [{ environmentId: 'env-2', specKey: 'b', reason: 'capacity' }]);
  t.equal(created[1]?.destroyedWith, 'capacity');
  t.equal(pool.counts().total, 3);
});

t.test('memory capacity: evict as many as needed, or refuse without evicting anything', async (t) => {
  const { pool, use, evicted } = setup({ maxEnvironments: 10, memoryMb: 1024 });
  await use('a', 256);
  await use('b', 256);
  await use('c', 256);
  const big = await pool.acquire({ spec: spec('big', 768), codeDir: '/x' });
  t.same(
    evicted.map((e) => e.specKey),
    ['a', 'b'],
    'two LRU environments make room for 768 MB',
  );
  t.equal(pool.counts().memoryMb, 1024);
  await t.rejects(pool.acquire({ spec: spec('e', 512), codeDir: '/x' }), { code: 'NODE_AT_CAPACITY' });
  t.equal(evicted.length, 2, 'a refusal evicts nothing');
  await t.rejects(pool.acquire({ spec: spec('huge', 2048), codeDir: '/x' }), { code: 'NODE_AT_CAPACITY' });
  pool.release(big.environment);
});

t.test('everything busy: NODE_AT_CAPACITY', async (t) => {
  const { pool } = setup({ maxEnvironments: 2 });
  await pool.acquire({ spec: spec('a'), codeDir: '/x' });
  await pool.acquire({ spec: spec('a'), codeDir: '/x' });
  await t.rejects(pool.acquire({ spec: spec('a'), codeDir: '/x' }), { code: 'NODE_AT_CAPACITY', name: 'NodeCapacityError' });
  t.equal(pool.busyCount, 2);
});

t.test('keep-alive eviction follows the injected clock', async (t) => {
  const { pool, use, clock, evicted, created } = setup({ keepAliveMs: 60_000 });
  await use('a');
  clock.advance(59_999);
  t.equal(evicted.length, 0);
  const warm = await pool.acquire({ spec: spec('a'), codeDir: '/x' });
  t.equal(warm.cold, false, 'still warm just before the keep-alive');
  t.equal(clock.pendingTimers, 0, 'acquiring cancels the keep-alive timer');
  clock.advance(120_000);
  t.equal(evicted.length, 0, 'a busy environment is never evicted for idleness');
  pool.release(warm.environment);
  clock.advance(60_000);
  t.same(evicted, [{ environmentId: 'env-1', specKey: 'a', reason: 'keep-alive' }]);
  t.equal(created[0]?.destroyedWith, 'keep-alive');
  t.equal(pool.counts().total, 0);
  t.equal(clock.pendingTimers, 0);
  const cold = await pool.acquire({ spec: spec('a'), codeDir: '/x' });
  t.ok(cold.cold);
});

t.test('dead environments: dropped on release, reported when they die idle', async (t) => {
  const { pool, created, evicted, use, clock } = setup();
  const lease = await pool.acquire({ spec: spec('a'), codeDir: '/x' });
  created[0]?.die('timeout');
  pool.release(lease.environment);
  t.equal(pool.counts().total, 0);
  t.equal(evicted.length, 0, 'an invoke result already told the caller');
  await use('b');
  created[1]?.die('exited');
  t.same(evicted, [{ environmentId: 'env-2', specKey: 'b', reason: 'crashed' }]);
  t.equal(pool.counts().total, 0);
  t.equal(clock.pendingTimers, 0);
  pool.release(lease.environment);
  t.equal(pool.counts().total, 0, 'releasing twice is harmless');
});

t.test('stop destroys everything and refuses new work', async (t) => {
  const { pool, created, evicted, use } = setup();
  await use('a');
  const busy = await pool.acquire({ spec: spec('b'), codeDir: '/x' });
  await pool.stop();
  await pool.stop();
  t.same(
    created.map((e) => e.destroyedWith),
    ['shutdown', 'shutdown'],
  );
  t.same(evicted, [{ environmentId: 'env-1', specKey: 'a', reason: 'shutdown' }]);
  await t.rejects(pool.acquire({ spec: spec('a'), codeDir: '/x' }), { code: 'NODE_DRAINING' });
  pool.release(busy.environment);
  t.equal(pool.counts().total, 0);
});

t.test('options are validated', async (t) => {
  const factory: EnvironmentFactory = { isolation: 'process', create: (c) => new FakeEnvironment(c) };
  t.throws(() => new EnvironmentPool({ maxEnvironments: 0, memoryMb: 128, factory, clock: new ManualClock(), entropy: seededEntropy('pool') }), { code: 'INVALID_OPTION', field: 'maxEnvironments' });
  t.throws(() => new EnvironmentPool({ maxEnvironments: 1, memoryMb: 128, keepAliveMs: -1, factory, clock: new ManualClock(), entropy: seededEntropy('pool') }), { code: 'INVALID_OPTION', field: 'keepAliveMs' });
});

t.test('real environments: concurrent invocations are never double-booked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-pool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Each environment counts its own concurrent invocations; any value above 1 is a double booking.
  writeFileSync(
    join(dir, 'index.mjs'),
    `let inFlight = 0, served = 0;\nconst id = Math.random().toString(36).slice(2);\nexport const handler = async () => {\n  inFlight++; served++;\n  const peak = inFlight;\n  await new Promise((r) => setTimeout(r, 20));\n  inFlight--;\n  return { id, peak, served };\n};\n`,
  );
  const pool = new EnvironmentPool({ maxEnvironments: 3, memoryMb: 3 * 128, factory: createEnvironmentFactory('process'), clock: systemClock, entropy: systemEntropy });
  t.teardown(() => pool.stop());
  let rejected = 0;
  const results: Array<{ id: string; peak: number }> = [];
  const one = async (i: number): Promise<void> => {
    let lease;
    try {
      lease = await pool.acquire({ spec: spec('conc'), codeDir: dir });
    } catch (err) {
      if ((err as { code?: string }).code === 'NODE_AT_CAPACITY') rejected++;
      else throw err;
      return;
    }
    try {
      const r = await lease.environment.invoke({ requestId: `c-${i}`, payload: Buffer.from('{}'), invokedFunctionArn: 'arn' });
      results.push(JSON.parse(Buffer.from(r.payload ?? []).toString()) as { id: string; peak: number });
    } finally {
      pool.release(lease.environment);
    }
  };
  // Waves of 5 concurrent requests against 3 slots: 2 of each wave are refused.
  for (let wave = 0; wave < 4; wave++) await Promise.all([0, 1, 2, 3, 4].map((i) => one(wave * 5 + i)));
  t.equal(results.length + rejected, 20, 'every request either ran or was refused');
  t.equal(rejected, 8);
  t.ok(results.every((r) => r.peak === 1), 'no environment ever ran two invocations at once');
  t.equal(new Set(results.map((r) => r.id)).size, 3, 'three warm environments served all waves');
  t.same(pool.counts(), { busy: 0, idle: 3, total: 3, memoryMb: 384, bySpecKey: { conc: { busy: 0, idle: 3, provisioned: 0 } } });
});

t.test('provisioned environments: initialised ahead, preferred, never evicted for idleness or room', async (t) => {
  const { pool, clock, created, evicted, use } = setup({ maxEnvironments: 3, keepAliveMs: 1000 });
  const { result, environment } = await pool.provision({ spec: spec('pc'), codeDir: '/x' });
  t.ok(result.ok);
  t.equal(environment.config.initializationType, 'provisioned-concurrency');
  t.equal(environment.state, 'idle', 'INIT ran before any invocation');
  t.equal(pool.provisionedCount('pc'), 1);
  const first = await pool.acquire({ spec: spec('pc'), codeDir: '/x' });
  t.equal(first.environment, environment, 'the provisioned environment serves first');
  // While it is busy, the next invocation spills over to an on-demand environment.
  const spill = await use('pc');
  t.not(spill.environment, environment, 'spillover is on demand');
  t.ok(spill.cold);
  await first.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
  pool.release(first.environment);
  clock.advance(5000);
  t.same(evicted.map((e) => e.environmentId), [spill.environment.id], 'keep-alive evicts the on-demand one only');
  const lease = await pool.acquire({ spec: spec('pc'), codeDir: '/x' });
  t.equal(lease.environment, environment, 'the provisioned environment is preferred');
  t.ok(lease.provisioned);
  t.notOk(lease.cold, 'its INIT already ran: the invocation is warm');
  pool.release(lease.environment);
  // Filling the node with other functions never evicts the provisioned environment.
  await use('a');
  await use('b');
  await use('c');
  t.equal(pool.provisionedCount('pc'), 1);
  t.notOk(created.find((e) => e.id === environment.id)?.destroyedWith);
  t.equal(pool.counts().bySpecKey['pc']?.provisioned, 1);
});

t.test('deprovision evicts idle provisioned environments and demotes busy ones', async (t) => {
  const { pool, clock, evicted } = setup({ maxEnvironments: 4, keepAliveMs: 1000 });
  for (let i = 0; i < 3; i++) await pool.provision({ spec: spec('pc'), codeDir: '/x' });
  const busy = await pool.acquire({ spec: spec('pc'), codeDir: '/x' });
  t.ok(busy.provisioned);
  t.equal(pool.deprovision('pc', 0), 2, 'two idle ones evicted');
  t.same(evicted.map((e) => e.reason), ['deprovisioned', 'deprovisioned']);
  t.equal(pool.provisionedCount('pc'), 0);
  await busy.environment.invoke({ requestId: 'r', payload: new Uint8Array(), invokedFunctionArn: 'arn' });
  pool.release(busy.environment);
  clock.advance(1500);
  t.equal(evicted.length, 3, 'the demoted one is now an on-demand environment with a keep-alive');
});

t.test('a failed provisioned INIT leaves nothing behind', async (t) => {
  const clock = new ManualClock();
  const factory: EnvironmentFactory = {
    isolation: 'process',
    create: (config) => Object.assign(new FakeEnvironment(config), { failInit: true }),
  };
  const pool = new EnvironmentPool({ maxEnvironments: 2, memoryMb: 1024, factory, clock, entropy: seededEntropy('pool') });
  const { result } = await pool.provision({ spec: spec('bad'), codeDir: '/x' });
  t.notOk(result.ok);
  t.equal(result.error?.errorType, 'Runtime.ImportModuleError');
  t.equal(pool.provisionedCount('bad'), 0);
  t.equal(pool.counts().total, 0);
});
