import t from 'tap';
import { EnvironmentErrorCode, EnvironmentStateError } from './errors.js';
import { EnvironmentLifecycle } from './environment-lifecycle.js';
import type { EnvironmentConfig } from './types.js';
import { functionSpecFor } from '../test-util/function-spec.js';

function lifecycle(): { life: EnvironmentLifecycle; releases: () => number } {
  let released = 0;
  const config: EnvironmentConfig = {
    environmentId: 'env-1',
    spec: functionSpecFor('life'),
    codeDir: '/nowhere',
    logStreamName: '2026/01/01/[$LATEST]0',
    initializationType: 'on-demand',
    codeLease: { release: () => released++ },
  };
  return { life: new EnvironmentLifecycle(config, 1000), releases: () => released };
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof EnvironmentStateError ? err.code : 'other';
  }
  return undefined;
};

t.test('the invoke gate: cold from created, warm from idle, Busy while running, Dead after', async (t) => {
  const { life } = lifecycle();
  t.equal(life.state, 'created');
  t.equal(life.beginInvoke(false), true, 'cold');
  t.equal(life.state, 'initializing');
  t.ok(life.running);
  t.equal(codeOf(() => life.beginInvoke(false)), EnvironmentErrorCode.Busy, 'a second caller fails at once');
  life.busy();
  t.equal(codeOf(() => life.beginInvoke(false)), EnvironmentErrorCode.Busy);
  life.idle(2000);
  t.equal(life.lastUsedAt, 2000);
  t.notOk(life.running);
  t.equal(life.beginInvoke(false), false, 'warm');
  t.equal(life.state, 'busy');
  life.idle(3000);
  t.equal(codeOf(() => life.beginInvoke(true)), EnvironmentErrorCode.Dead, 'being destroyed counts as dead');
  t.equal(codeOf(() => life.beginInit(false)), EnvironmentErrorCode.Busy, 'INIT ahead only from created');
  life.markDead('gone');
  t.equal(codeOf(() => life.beginInvoke(false)), EnvironmentErrorCode.Dead);
});

t.test('death: listeners once, the code lease released once, late listeners told at once', async (t) => {
  const { life, releases } = lifecycle();
  const heard: string[] = [];
  life.onDead((r) => heard.push(`a:${r}`));
  life.dying();
  t.equal(life.state, 'dead');
  t.equal(releases(), 0, 'dying is not dead yet: the runtime may still hold the code');
  t.equal(life.markDead('crashed'), true);
  t.equal(life.markDead('again'), false);
  t.same(heard, ['a:crashed']);
  t.equal(releases(), 1, 'released exactly once');
  const late = await new Promise<string>((resolve) => life.onDead(resolve));
  t.equal(late, 'crashed');
});

t.test('INIT ahead of any invocation: created -> initializing -> idle', async (t) => {
  const { life } = lifecycle();
  life.beginInit(false);
  t.equal(life.state, 'initializing');
  t.equal(codeOf(() => life.beginInvoke(false)), EnvironmentErrorCode.Busy, 'no invocation takes it half-initialised');
  life.idle(5000);
  t.equal(life.beginInvoke(false), false, 'the next invoke is warm');
});
