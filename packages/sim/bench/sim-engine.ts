/**
 * Microbenchmark of the virtual-time engine (not a test; prints only):
 *
 *   node --import=tsx packages/sim/bench/sim-engine.ts [--quick]
 *
 * 1. Loop schemes on the same timer workload: this package's Simulation (one macrotask per event,
 *    batched immediates that may cover many instants per real loop turn) against the plan's
 *    scheme (one real loop turn per instant, one immediate per event of it), one loop turn per
 *    event, and a synchronous heap loop with no drain at all (a lower bound, wrong for async code).
 * 2. Timer churn: set + clear of a long timeout per event (per-invocation deadlines).
 * 3. Async-heavy events: each event awaits a 5-deep chain before re-arming.
 * 4. The network: 100 nodes heartbeating every 10 ms over SimLinks (frames delivered per second).
 */
import { SeededRandom } from '@zonesim/common';
import { EventHeap, type HeapEntry } from '../src/event-heap.js';
import { ProcessClock } from '../src/process-clock.js';
import { Simulation } from '../src/simulation.js';
import { runLinkWorld } from '../src/test-util/link-world.js';

const quick = process.argv.includes('--quick');
const N = quick ? 200_000 : 1_000_000;
const RUNS = quick ? 1 : 3;

interface Row {
  name: string;
  events: number;
  wallMs: number;
  note?: string;
}
const rows: Row[] = [];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Best of `runs` (the machine is shared: the fastest run is the least disturbed one). */
async function best(runs: number, fn: () => Promise<Row>): Promise<Row> {
  let top: Row | undefined;
  for (let i = 0; i < runs; i++) {
    const row = await fn();
    if (top === undefined || row.events / row.wallMs > top.events / top.wallMs) top = row;
  }
  return top!;
}

function report(row: Row): void {
  rows.push(row);
  process.stdout.write(`${row.name.padEnd(58)} ${fmt(row.events).padStart(10)} events ${fmt(row.wallMs).padStart(6)} ms  ${fmt((row.events * 1000) / row.wallMs).padStart(10)} events/s${row.note ? `  ${row.note}` : ''}\n`);
}

/** `procs` processes, each re-arming one timer at a seeded delay; `ties`: whole ms (many same-instant events). */
async function simTimers(procs: number, total: number, ties: boolean): Promise<Row> {
  const sim = new Simulation();
  const random = new SeededRandom(1);
  let left = total;
  for (let p = 0; p < procs; p++) {
    const clock = new ProcessClock(sim, { name: `p${p}` });
    const tick = (): void => {
      if (--left > 0) clock.setTimeout(tick, ties ? random.int(1, 10) : random.next() * 10);
    };
    clock.setTimeout(tick, ties ? random.int(1, 10) : random.next() * 10);
  }
  const t0 = performance.now();
  await sim.runUntil(() => left <= 0);
  const wallMs = performance.now() - t0;
  const s = sim.stats;
  return { name: '', events: s.events, wallMs, note: `${fmt(s.instants)} instants, ${fmt(s.loopTurns)} loop turns, speed-up ${fmt(s.speedup)}x` };
}

class RefEvent implements HeapEntry {
  at = 0;
  seq = 0;
  index = -1;
  constructor(readonly fn: () => void) {}
}

/** The same workload on a reference loop: 'instant' (the plan), 'event' (one turn each) or 'sync' (no drain). */
async function refTimers(procs: number, total: number, ties: boolean, scheme: 'instant' | 'event' | 'sync'): Promise<Row> {
  const heap = new EventHeap<RefEvent>();
  let now = 0;
  let seq = 0;
  const schedule = (delay: number, fn: () => void): void => {
    const e = new RefEvent(fn);
    e.at = now + delay;
    e.seq = seq++;
    heap.push(e);
  };
  const random = new SeededRandom(1);
  let left = total;
  for (let p = 0; p < procs; p++) {
    const tick = (): void => {
      if (--left > 0) schedule(ties ? random.int(1, 10) : random.next() * 10, tick);
    };
    schedule(ties ? random.int(1, 10) : random.next() * 10, tick);
  }
  let events = 0;
  let turns = 0;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const t0 = performance.now();
  while (left > 0 && heap.size > 0) {
    if (scheme === 'sync') {
      const e = heap.pop()!;
      now = e.at;
      e.fn();
      events++;
      continue;
    }
    if (scheme === 'event') {
      const e = heap.pop()!;
      now = e.at;
      e.fn();
      events++;
      turns++;
      await turn();
      continue;
    }
    // The plan: pop what is due at the next instant, one immediate each, then a turn.
    const at = heap.peek()!.at;
    now = at;
    let k = 0;
    while (heap.peek()?.at === at) {
      const e = heap.pop()!;
      setImmediate(() => {
        e.fn();
        events++;
      });
      k++;
    }
    turns++;
    await turn();
  }
  const wallMs = performance.now() - t0;
  return { name: '', events, wallMs, note: scheme === 'sync' ? 'no microtask drain: incorrect for async code' : `${fmt(turns)} loop turns` };
}

async function churn(total: number): Promise<Row> {
  const sim = new Simulation();
  const clock = new ProcessClock(sim, { name: 'coordinator' });
  let left = total;
  let deadline: ReturnType<typeof clock.setTimeout> | undefined;
  const random = new SeededRandom(2);
  const tick = (): void => {
    // An invocation: its 30 s deadline is armed and the previous one cleared by its answer.
    if (deadline !== undefined) clock.clearTimeout(deadline);
    deadline = clock.setTimeout(() => {}, 30_000);
    if (--left > 0) clock.setTimeout(tick, random.next());
  };
  clock.setTimeout(tick, 1);
  const t0 = performance.now();
  await sim.runUntil(() => left <= 0);
  const wallMs = performance.now() - t0;
  return { name: 'timer churn: set + clear a 30 s deadline per event', events: sim.stats.events, wallMs, note: `${fmt((2 * total * 1000) / wallMs)} set+clear ops/s, ${sim.stats.pending} queued at the end` };
}

async function asyncHeavy(procs: number, total: number): Promise<Row> {
  const sim = new Simulation();
  const random = new SeededRandom(3);
  let left = total;
  for (let p = 0; p < procs; p++) {
    const clock = new ProcessClock(sim, { name: `p${p}` });
    const tick = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await null;
      if (--left > 0) clock.setTimeout(() => void tick(), random.next() * 10);
    };
    clock.setTimeout(() => void tick(), random.next() * 10);
  }
  const t0 = performance.now();
  await sim.runUntil(() => left <= 0);
  const wallMs = performance.now() - t0;
  return { name: `async events (5 awaits each), ${procs} processes`, events: sim.stats.events, wallMs };
}

/** Heap bytes per pending timer (a region's keep-alive and deadline timers wait by the million). */
function pendingTimerBytes(count: number): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const sim = new Simulation();
  const clocks = Array.from({ length: 1000 }, (_, i) => new ProcessClock(sim, { name: `p${i}` }));
  const fn = (): void => {};
  for (let i = 0; i < count; i++) clocks[i % 1000]!.setTimeout(fn, 1000 + (i % 977));
  globalThis.gc?.();
  const bytes = (process.memoryUsage().heapUsed - before) / count;
  if (sim.stats.pending !== count) throw new Error('timers lost');
  return bytes;
}

async function main(): Promise<void> {
  const { loadavg } = await import('node:os');
  process.stdout.write(`sim-engine: Node ${process.version}, ${N.toLocaleString('en-US')} events per case${quick ? ' (quick)' : ''}, best of ${RUNS}, load average ${loadavg()[0]!.toFixed(1)}\n\n`);
  await simTimers(100, N / 4, false); // warm-up (JIT)
  for (const ties of [false, true]) {
    const label = ties ? 'whole-ms delays (ties)' : 'fractional delays';
    for (const procs of [1, 1000]) {
      report({ ...(await best(RUNS, () => simTimers(procs, N, ties))), name: `Simulation, ${procs} procs, ${label}` });
      report({ ...(await best(RUNS, () => refTimers(procs, N / 10, ties, 'instant'))), name: `  plan: 1 loop turn per instant, ${procs} procs` });
      report({ ...(await best(RUNS, () => refTimers(procs, N / 20, ties, 'event'))), name: `  1 loop turn per event, ${procs} procs` });
      report({ ...(await best(RUNS, () => refTimers(procs, N, ties, 'sync'))), name: `  sync heap loop, ${procs} procs` });
    }
  }
  report(await best(RUNS, () => churn(N)));
  report(await best(RUNS, () => asyncHeavy(1000, N)));
  const virtualMs = quick ? 2_000 : 10_000;
  report(
    await best(RUNS, async () => {
      const t0 = performance.now();
      const world = await runLinkWorld(1, { nodes: 100, virtualMs, heartbeatMs: 10, trace: false });
      const wallMs = performance.now() - t0;
      return {
        name: `network: 100 nodes, heartbeat + ack every 10 ms, all faults`,
        events: world.stats.events,
        wallMs,
        note: `${fmt((world.delivered * 1000) / wallMs)} frames delivered/s, ${fmt(virtualMs)} virtual ms, speed-up ${(virtualMs / wallMs).toFixed(1)}x`,
      };
    }),
  );
  const perTimer = pendingTimerBytes(1_000_000);
  process.stdout.write(`\n1,000,000 pending timers: ${fmt(perTimer)} heap bytes each${globalThis.gc ? '' : ' (run with --expose-gc for an exact figure)'}\n`);
  const mem = process.memoryUsage();
  process.stdout.write(`\nrss ${fmt(mem.rss / 1048576)} MiB, heap used ${fmt(mem.heapUsed / 1048576)} MiB\n`);
}

await main();
