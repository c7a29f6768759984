// Issue 9: the pool's environment report for the dashboard. Exact counts per state, a bounded list
// with the environments a class watches (busy, initializing) listed before idle ones.
import t from 'tap';
import { ManualClock, seededEntropy } from '@zonesim/common';
import { functionSpecFor as spec } from '../test-util/function-spec.js';
import { EnvironmentPool } from './index.js';
import type { EnvironmentConfig, EnvironmentFactory, EnvironmentInvokeResult, EnvironmentState, ExecutionEnvironment } from './types.js';

/** An environment whose state the test sets by hand. */
class StubEnvironment implements ExecutionEnvironment {
  state: EnvironmentState = 'created';
  lastUsedAt = 0;
  constructor(readonly config: EnvironmentConfig) {}
  get id(): string {
    return this.config.environmentId;
  }
  get specKey(): string {
    return this.config.spec.specKey;
  }
  async invoke(): Promise<EnvironmentInvokeResult> {
    throw new Error('not used');
  }
  async initialize(): Promise<never> {
    throw new Error('not used');
  }
  async destroy(): Promise<void> {
    this.state = 'dead';
  }
}

t.test('counts every environment by state and lists busy and initializing ones first, within the bound', async (t) => {
  const made: StubEnvironment[] = [];
  const factory: EnvironmentFactory = { isolation: 'worker', create: (c) => (made.push(new StubEnvironment(c)), made.at(-1)!) };
  let n = 0;
  const pool = new EnvironmentPool({ factory, maxEnvironments: 10, memoryMb: 10 * 128, clock: new ManualClock(0), entropy: seededEntropy('pool'), newEnvironmentId: () => `env-${++n}` });
  const leases = [];
  for (let i = 0; i < 6; i++) leases.push(await pool.acquire({ spec: spec(i < 3 ? 'a' : 'b'), codeDir: '/x' }));
  // env-1..3 go idle, env-4 runs INIT, env-5 and env-6 stay leased (busy).
  for (const l of leases.slice(0, 3)) {
    (l.environment as StubEnvironment).state = 'idle';
    pool.release(l.environment);
  }
  (leases[3]!.environment as StubEnvironment).state = 'initializing';
  (leases[4]!.environment as StubEnvironment).state = 'busy';
  (leases[5]!.environment as StubEnvironment).state = 'idle';

  const full = pool.environmentReport(100);
  t.same({ initializing: full.initializing, busy: full.busy, idle: full.idle }, { initializing: 1, busy: 2, idle: 3 });
  t.same(full.list.map((e) => `${e.id}:${e.state}:${e.functionName}`), [
    'env-4:initializing:b',
    'env-5:busy:b',
    'env-6:busy:b',
    'env-1:idle:a',
    'env-2:idle:a',
    'env-3:idle:a',
  ]);

  const bounded = pool.environmentReport(4);
  t.equal(bounded.list.length, 4, 'the list is bounded');
  t.equal(bounded.initializing + bounded.busy + bounded.idle, 6, 'the counts stay exact');
  t.same(bounded.list.filter((e) => e.state !== 'idle').length, 3, 'busy and initializing come first');
  await pool.stop();
});
