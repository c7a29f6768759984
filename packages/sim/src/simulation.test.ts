import { SeededRandom } from '@zonesim/common';
import t from 'tap';
import { EventHeap, type HeapEntry } from './event-heap.js';
import { ProcessClock } from './process-clock.js';
import { DEFAULT_EPOCH_MS, Simulation } from './simulation.js';

t.test('virtual time starts at the fixed epoch, 2026-01-01T00:00:00Z', async (t) => {
  const sim = new Simulation();
  t.equal(sim.now(), DEFAULT_EPOCH_MS);
  t.equal(new Date(sim.now()).toISOString(), '2026-01-01T00:00:00.000Z');
  t.equal(sim.time, 0);
  await sim.runFor(1234.5);
  t.equal(sim.time, 1234.5);
  t.equal(sim.now(), DEFAULT_EPOCH_MS + 1234, 'now() is whole ms, like Date.now()');
  t.equal(new Simulation({ epochMs: 0 }).now(), 0);
  t.throws(() => new Simulation({ epochMs: -1 }), { code: 'SIM_INVALID_OPTION', field: 'epochMs' });
});

t.test('ties run in insertion order across clocks and the network', async (t) => {
  const sim = new Simulation();
  const a = new ProcessClock(sim, { name: 'a' });
  const b = new ProcessClock(sim, { name: 'b' });
  const order: string[] = [];
  a.setTimeout(() => order.push('a1'), 5);
  b.setTimeout(() => order.push('b1'), 5);
  sim.schedule(5, () => order.push('net'));
  a.setTimeout(() => order.push('a2'), 5);
  b.setImmediate(() => order.push('b-now'));
  await sim.runFor(5);
  t.same(order, ['b-now', 'a1', 'b1', 'net', 'a2']);
});

t.test('every microtask of an event runs before the next event, even at the same instant', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const seen: string[] = [];
  const deep = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await Promise.resolve();
  };
  clock.setTimeout(() => {
    void deep(200).then(() => {
      seen.push('chain done');
      process.nextTick(() => {
        seen.push('tick');
        queueMicrotask(() => seen.push('microtask after tick'));
      });
    });
  }, 10);
  clock.setTimeout(() => seen.push('second event'), 10);
  await sim.runFor(10);
  t.same(seen, ['chain done', 'tick', 'microtask after tick', 'second event']);
});

t.test('events created while draining at an instant run before time moves', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const seen: Array<[string, number]> = [];
  clock.setTimeout(async () => {
    await Promise.resolve();
    await Promise.resolve();
    clock.setTimeout(() => seen.push(['zero-delay from a continuation', clock.monotonic()]), 0);
    clock.setImmediate(() => seen.push(['immediate from a continuation', clock.monotonic()]));
  }, 5);
  clock.setTimeout(() => seen.push(['next instant', clock.monotonic()]), 5.001);
  await sim.runFor(10);
  t.same(seen, [
    ['zero-delay from a continuation', 5],
    ['immediate from a continuation', 5],
    ['next instant', 5.001],
  ]);
  t.equal(sim.stats.instants, 2);
});

/** The same scheduling surface over the reference loop and over a Simulation. */
interface Sched {
  time(): number;
  schedule(delayMs: number, fn: () => void): void;
}

/**
 * A seeded storm of events whose callbacks set off promise chains, nextTicks and microtasks that
 * record what they see and schedule more events, at the same instant or later. Its trace depends on
 * when continuations run relative to events, so two loops give the same trace only if both drain
 * every microtask between two events.
 */
function storm(s: Sched, seed: number, budget: number): string[] {
  const random = new SeededRandom(seed);
  const trace: string[] = [];
  let left = budget;
  let shared = 0; // state the continuations mutate and later events read
  let nextId = 0;
  const spawn = (delay: number): void => {
    if (left-- <= 0) return;
    const id = nextId++;
    s.schedule(delay, () => {
      trace.push(`e${id}@${s.time()} shared=${shared}`);
      const kind = random.int(0, 3);
      const depth = random.int(0, 6);
      const after = random.next() < 0.5 ? 0 : random.int(0, 3);
      if (kind === 0) {
        void (async () => {
          for (let i = 0; i < depth; i++) await null;
          shared++;
          trace.push(`e${id}.chain${depth}@${s.time()} shared=${shared}`);
          spawn(after);
        })();
      } else if (kind === 1) {
        process.nextTick(() => {
          shared += 10;
          Promise.resolve().then(() => {
            trace.push(`e${id}.tick@${s.time()} shared=${shared}`);
            spawn(after);
          });
        });
      } else if (kind === 2) {
        queueMicrotask(() => {
          shared *= 2;
          spawn(after);
          spawn(random.int(0, 2));
        });
      } else {
        spawn(after);
      }
    });
  };
  for (let i = 0; i < 20; i++) spawn(random.int(0, 5));
  return trace;
}

class RefEvent implements HeapEntry {
  at = 0;
  seq = 0;
  index = -1;
  constructor(readonly fn: () => void) {}
}

/** The reference: one event per real event-loop turn, a whole loop turn (full drain) between two. */
async function runReference(seed: number, budget: number): Promise<string[]> {
  const heap = new EventHeap<RefEvent>();
  let now = 0;
  let seq = 0;
  const sched: Sched = {
    time: () => now,
    schedule: (delay, fn) => {
      const e = new RefEvent(fn);
      e.at = now + Math.max(0, delay);
      e.seq = seq++;
      heap.push(e);
    },
  };
  const trace = storm(sched, seed, budget);
  for (;;) {
    const e = heap.pop();
    if (e === undefined) break;
    now = e.at;
    e.fn();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return trace;
}

t.test('the batched loop gives the same trace as one event per real loop turn (seeded storms)', async (t) => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const expected = await runReference(seed, 3000);
    const sim = new Simulation();
    const trace = storm({ time: () => sim.time, schedule: (d, fn) => void sim.schedule(d, fn) }, seed, 3000);
    await sim.runFor(1e9);
    t.ok(expected.length > 3000, `seed ${seed}: a real storm (${expected.length} trace lines)`);
    t.same(trace, expected, `seed ${seed}: identical trace`);
  }
});

t.test('the storm tells loops apart: one without drains between same-instant events differs', async (t) => {
  // Without this the trace comparison above could pass for any loop.
  const heap = new EventHeap<RefEvent>();
  let now = 0;
  let seq = 0;
  const trace = storm(
    {
      time: () => now,
      schedule: (delay, fn) => {
        const e = new RefEvent(fn);
        e.at = now + Math.max(0, delay);
        e.seq = seq++;
        heap.push(e);
      },
    },
    1,
    3000,
  );
  // Drains only when time moves (all callbacks of an instant back to back).
  while (heap.size > 0) {
    const at = heap.peek()!.at;
    now = at;
    while (heap.peek()?.at === at) heap.pop()!.fn();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.notSame(trace, await runReference(1, 3000));
});

t.test('runUntil(promise) resolves with its value at the virtual time it settled', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const answer = new Promise<string>((resolve) => clock.setTimeout(() => resolve('pong'), 250));
  clock.setInterval(() => {}, 100); // keeps the queue busy past the answer
  t.equal(await sim.runUntil(answer), 'pong');
  t.equal(sim.time, 250);
  const failing = new Promise((_, reject) => clock.setTimeout(() => reject(new Error('boom')), 10));
  await t.rejects(sim.runUntil(failing), { message: 'boom' });
  t.equal(sim.time, 260);
});

t.test('runUntil(predicate) stops as soon as it holds', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  let n = 0;
  clock.setInterval(() => n++, 10);
  await sim.runUntil(() => n === 7);
  t.equal(n, 7);
  t.equal(sim.time, 70);
});

t.test('runUntil: deadline, idle, a throwing callback', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  clock.setInterval(() => {}, 10);
  await t.rejects(sim.runUntil(new Promise(() => {}), { maxVirtualMs: 1000 }), { code: 'SIM_DEADLINE', virtualMs: 1000 });
  t.equal(sim.time, 1000, 'time is at the deadline');
  await t.rejects(sim.runUntil(() => false, { maxVirtualMs: -1 }), { code: 'SIM_INVALID_OPTION', field: 'maxVirtualMs' });

  const idle = new Simulation();
  new ProcessClock(idle, { name: 'q' }).setTimeout(() => {}, 5);
  await t.rejects(idle.runUntil(new Promise(() => {})), { code: 'SIM_IDLE', virtualMs: 5 });

  const failing = new Simulation();
  const c = new ProcessClock(failing, { name: 'r' });
  const cause = new Error('bug in a core');
  c.setTimeout(() => {
    throw cause;
  }, 3);
  c.setTimeout(() => t.fail('nothing runs after a callback threw'), 4);
  await t.rejects(failing.runFor(10), { code: 'SIM_CALLBACK_FAILED', virtualMs: 3, cause });
  await t.rejects(failing.runFor(10), { code: 'SIM_INVALID_STATE' }, 'the simulation stays stopped');
});

t.test('a throwing predicate rejects its run with its error; the simulation goes on', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  let n = 0;
  clock.setInterval(() => n++, 10);
  const oops = new Error('bad predicate');
  await t.rejects(
    sim.runUntil(() => {
      if (n === 3) throw oops;
      return false;
    }),
    oops,
  );
  await sim.runUntil(() => n === 4);
  t.equal(sim.time, 40);
});

t.test('a run cannot start inside a run; a signal aborts a run between events', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  let inner: unknown;
  clock.setTimeout(() => {
    sim.runFor(1).catch((err: unknown) => (inner = err));
  }, 1);
  await sim.runFor(2);
  t.match(inner, { code: 'SIM_INVALID_STATE' });

  const abort = new AbortController();
  let ticks = 0;
  clock.setInterval(() => {
    if (++ticks === 5) abort.abort(new Error('stop here'));
  }, 10);
  await t.rejects(sim.runFor(1e6, { signal: abort.signal }), { message: 'stop here' });
  t.equal(ticks, 5);
  t.notOk(sim.running);
  await sim.runFor(10);
  t.equal(ticks, 6, 'the simulation goes on after an abort');
});

t.test('io: time stands still while an operation is pending; completions in registration order', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  const seen: Array<[string, number]> = [];
  const slow = new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 30)); // real time
  const fast = Promise.resolve('fast');
  clock.setTimeout(() => {
    void sim.io(slow).then((v) => seen.push([v, clock.monotonic()]));
    void sim.io(fast).then((v) => seen.push([v, clock.monotonic()]));
  }, 5);
  clock.setTimeout(() => seen.push(['timer', clock.monotonic()]), 6);
  await sim.runFor(10);
  t.same(seen, [
    ['slow', 5],
    ['fast', 5],
    ['timer', 6],
  ]);
  t.equal(sim.stats.pendingIo, 0);
  const rejected = sim.io(Promise.reject(new Error('disk full')));
  await t.rejects(sim.runUntil(rejected), { message: 'disk full' });
});

t.test('stats: events, instants, virtual and wall time, speed-up', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  clock.setInterval(() => {}, 1000);
  clock.setTimeout(() => {}, 1000);
  await sim.runFor(3_600_000);
  const s = sim.stats;
  t.equal(s.events, 3601);
  t.equal(s.instants, 3600);
  t.equal(s.virtualMs, 3_600_000);
  t.ok(s.wallMs > 0);
  t.ok(s.speedup > 1000, `an idle virtual hour is fast (speed-up ${Math.round(s.speedup)}x)`);
  t.equal(s.pending, 1, 'the interval is still queued');
});

t.test('a long same-instant chain runs before time moves (batches grow)', async (t) => {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'p' });
  let n = 0;
  const step = (): void => {
    if (++n < 50_000) clock.setImmediate(step);
  };
  clock.setTimeout(step, 1);
  let later = -1;
  clock.setTimeout(() => (later = n), 1.5);
  await sim.runFor(2);
  t.equal(later, 50_000);
  t.ok(sim.stats.loopTurns < 200, `${sim.stats.loopTurns} real loop turns for 50,000 events`);
});

t.test('cancel: a scheduled event can be cancelled once', async (t) => {
  const sim = new Simulation();
  let ran = false;
  const h = sim.schedule(5, () => (ran = true));
  t.ok(sim.cancel(h));
  t.notOk(sim.cancel(h));
  t.notOk(sim.cancel({}));
  await sim.runFor(10);
  t.notOk(ran);
});
