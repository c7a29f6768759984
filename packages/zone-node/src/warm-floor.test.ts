import t from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { WarmFloor } from './warm-floor.js';

const SPEC = { specKey: 'api:1', functionName: 'api' } as FunctionSpec;

t.test('loads what the floor is missing, never more, and loads again what ages out', async (t) => {
  let environments = 1;
  const pending: Array<(ok: boolean) => void> = [];
  const floor = new WarmFloor({
    environmentsOf: () => environments,
    load: () => new Promise<boolean>((resolve) => pending.push(resolve)),
  });
  floor.set(SPEC, 4);
  t.equal(pending.length, 3, 'one environment is there: three loads');
  floor.check();
  t.equal(pending.length, 3, 'loads in progress count');
  environments = 2;
  pending.shift()!(true);
  await new Promise((r) => setImmediate(r));
  t.equal(pending.length, 2, 'a finished load counted in the pool and no longer as starting: nothing more');
  environments = 4;
  for (const done of pending.splice(0)) done(true);
  await new Promise((r) => setImmediate(r));
  environments = 3;
  floor.check(SPEC.specKey);
  t.equal(pending.length, 1, 'one aged out: loaded again');
  pending.shift()!(false);
  await new Promise((r) => setImmediate(r));
  t.equal(pending.length, 0, 'a failed load is not retried until the next keep-warm (no crash loop)');
  floor.set(SPEC, 4);
  t.equal(pending.length, 1, 'a new keep-warm tries again');
  environments = 4;
  pending.shift()!(true);
  await new Promise((r) => setImmediate(r));
  floor.set(SPEC, 0);
  t.equal(floor.size, 0, 'lifted');
});
