import t from 'tap';
import { ProcessClock } from './process-clock.js';
import { Simulation } from './simulation.js';

t.test('kill drops every timer for good, and later ones; its I/O is dropped; hooks run once', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'az-a/node-1' });
  const other = new ProcessClock(sim, { name: 'coordinator' });
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('timeout'), 10);
  clock.setInterval(() => fired.push('interval'), 3);
  other.setTimeout(() => fired.push('other'), 20);
  let hooks = 0;
  clock.onKill(() => hooks++);
  const unhooked = clock.onKill(() => t.fail('unregistered hook'));
  unhooked();
  await sim.runFor(4);
  t.same(fired, ['interval']);
  clock.kill();
  clock.kill();
  t.equal(clock.state, 'killed');
  t.equal(clock.pendingTimers, 0);
  t.equal(hooks, 1);
  clock.setTimeout(() => fired.push('after kill'), 1);
  clock.setImmediate(() => fired.push('after kill'));
  clock.io(() => fired.push('io after kill'));
  clock.resume();
  await sim.runFor(100);
  t.same(fired, ['interval', 'other'], 'only the other process ran');
  t.equal(sim.stats.pending, 0, 'nothing of the dead process lingers in the queue');
  clock.onKill(() => hooks++);
  t.equal(hooks, 2, 'a hook added after the kill runs at once');
});

t.test('pause holds due timers and I/O; resume fires overdue timers once, then the I/O, in order', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const seen: Array<[string, number]> = [];
  const at = (what: string) => () => seen.push([what, clock.monotonic()]);
  clock.setTimeout(at('t20'), 20);
  clock.setInterval(at('every10'), 10);
  clock.setTimeout(at('t500'), 500);
  await sim.runFor(5);
  clock.pause();
  t.equal(clock.state, 'paused');
  sim.schedule(30, () => clock.io(at('frame1')));
  sim.schedule(40, () => clock.io(at('frame2')));
  await sim.runFor(295); // to t=300
  t.same(seen, [], 'a paused process runs nothing');
  clock.resume();
  clock.resume();
  await sim.runFor(0);
  t.same(seen, [
    ['every10', 300],
    ['t20', 300],
    ['frame1', 300],
    ['frame2', 300],
  ], 'overdue timers once, in the order they came due, then the frames that arrived meanwhile');
  await sim.runFor(250);
  const ticks = seen.slice(4).filter(([w]) => w === 'every10').map(([, at]) => at);
  t.same(ticks, Array.from({ length: 25 }, (_, i) => 310 + 10 * i), 'the interval restarted from the resume');
  t.same(seen.find(([w]) => w === 't500'), ['t500', 500], 'a timer not yet due at the resume kept its time');
});

t.test('a timer cleared while held does not fire on resume; kill while paused drops the held', async (t) => {
  const sim = new Simulation();
  const a = new ProcessClock(sim, { name: 'a' });
  const fired: string[] = [];
  const h = a.setTimeout(() => fired.push('a'), 10);
  a.pause();
  await sim.runFor(20);
  a.clearTimeout(h); // e.g. cleared by a handler of another of its timers: never, while paused, but harmless
  a.resume();
  await sim.runFor(0);
  t.same(fired, []);

  const b = new ProcessClock(sim, { name: 'b' });
  b.setTimeout(() => fired.push('b'), 10);
  b.pause();
  sim.schedule(5, () => b.io(() => fired.push('b-io')));
  await sim.runFor(20);
  b.kill();
  b.resume();
  await sim.runFor(20);
  t.same(fired, []);
});

t.test('skew offsets now() only', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p', skewMs: -2500 });
  t.equal(clock.now(), sim.now() - 2500);
  t.equal(clock.monotonic(), sim.time);
  clock.skewMs = 1000.7;
  t.equal(clock.now(), sim.now() + 1000);
  let at = -1;
  clock.setTimeout(() => (at = clock.monotonic()), 100);
  await sim.runFor(100);
  t.equal(at, 100, 'timers are unaffected');
  t.throws(() => (clock.skewMs = Number.NaN), { code: 'SIM_INVALID_OPTION', field: 'skewMs' });
  t.throws(() => new ProcessClock(sim, { name: '' }), { code: 'SIM_INVALID_OPTION', field: 'name' });
});

t.test('exact timers: fractional delays kept, NaN and negative are this instant, intervals at least 1 ms', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const seen: Array<[string, number]> = [];
  clock.setTimeout(() => seen.push(['frac', clock.monotonic()]), 0.25);
  clock.setTimeout(() => seen.push(['nan', clock.monotonic()]), Number.NaN);
  const every = clock.setInterval(() => seen.push(['every0', clock.monotonic()]), 0);
  await sim.runFor(2);
  clock.clearInterval(every);
  t.same(seen, [
    ['nan', 0],
    ['frac', 0.25],
    ['every0', 1],
    ['every0', 2],
  ]);
});

t.test('pausing one process leaves the others running', async (t) => {
  const sim = new Simulation();
  const a = new ProcessClock(sim, { name: 'a' });
  const b = new ProcessClock(sim, { name: 'b' });
  let na = 0;
  let nb = 0;
  a.setInterval(() => na++, 10);
  b.setInterval(() => nb++, 10);
  a.pause();
  await sim.runFor(100);
  t.equal(na, 0);
  t.equal(nb, 10);
});
