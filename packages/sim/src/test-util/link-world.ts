/**
 * A small seeded world on the simulation, for the determinism test and the benchmark: a
 * coordinator that acknowledges heartbeats, `nodes` zone nodes that dial it over their own link
 * (lognormal base latency), send heartbeats of seeded sizes, redial with seeded backoff, and a
 * seeded schedule of every link and process fault: latency + jitter, loss, blackhole, bandwidth,
 * reset, refuse, pause, kill and restart. Everything observable goes into a trace.
 */
import { createHash } from 'node:crypto';
import { SeededRandom } from '@zonesim/common';
import { ProcessClock } from '../process-clock.js';
import type { SimEndpoint } from '../sim-endpoint.js';
import { SimLink, SimListener } from '../sim-link.js';
import { Simulation, type SimulationStats } from '../simulation.js';

/** What a run of the world produced. */
export interface LinkWorldResult {
  trace: string[];
  digest: string;
  stats: SimulationStats;
  delivered: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs the world for `virtualMs` from `seed`. */
export async function runLinkWorld(seed: number | string, options: { nodes?: number; virtualMs?: number; heartbeatMs?: number; trace?: boolean } = {}): Promise<LinkWorldResult> {
  const nodes = options.nodes ?? 6;
  const virtualMs = options.virtualMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? 100;
  const keep = options.trace ?? true;
  const sim = new Simulation();
  const random = new SeededRandom(seed);
  const trace: string[] = [];
  let delivered = 0;
  const log = (line: string): void => {
    if (keep) trace.push(`${sim.time.toFixed(6)} ${line}`);
  };

  const coordinator = new ProcessClock(sim, { name: 'coordinator' });
  const listener = new SimListener({ name: 'zone-link', process: coordinator }, (server) => {
    server.onMessage = (frame) => {
      delivered++;
      const text = decoder.decode(frame);
      log(`coord recv ${text.slice(0, 24)} (${frame.byteLength} B)`);
      server.send(encoder.encode(`ack ${text.slice(3, 16)}`));
    };
    server.onClose = (code) => log(`coord close #${server.connectionId} ${code}`);
  });

  const links: SimLink[] = [];
  const clocks: ProcessClock[] = [];
  const startNode = (i: number, generation: number): void => {
    const clock = new ProcessClock(sim, { name: `node-${i}.${generation}` });
    clocks[i] = clock;
    const r = random.fork(`node-${i}.${generation}`);
    let beat = 0;
    const connect = (): void => {
      const abort = new AbortController();
      const timer = clock.setTimeout(() => abort.abort(new Error('connect timeout')), 2000);
      links[i]!.dial(listener, { process: clock, signal: abort.signal }).then(
        (conn: SimEndpoint) => {
          clock.clearTimeout(timer);
          log(`node ${i} open #${conn.connectionId}`);
          const every = clock.setInterval(() => {
            const pad = 'x'.repeat(r.int(10, 400));
            conn.send(encoder.encode(`hb ${i}.${generation}:${beat++} ${pad}`));
          }, heartbeatMs * (0.9 + r.next() * 0.2));
          conn.onMessage = (frame) => {
            delivered++;
            log(`node ${i} recv ${decoder.decode(frame)} buffered=${conn.bufferedAmount}`);
          };
          conn.onClose = (code) => {
            clock.clearInterval(every);
            log(`node ${i} close ${code}`);
            clock.setTimeout(connect, 100 + r.int(0, 200));
          };
        },
        (err: { code?: string }) => {
          clock.clearTimeout(timer);
          log(`node ${i} dial failed ${err.code}`);
          clock.setTimeout(connect, 100 + r.int(0, 200));
        },
      );
    };
    connect();
  };
  for (let i = 0; i < nodes; i++) {
    links.push(
      new SimLink(
        { name: `link-${i}`, latency: { kind: 'lognormal', median: 0.5, p99: 5 }, bytesPerSecond: 10_000_000 },
        { sim, random: random.fork(`link-${i}`) },
      ),
    );
    startNode(i, 0);
  }

  // A seeded schedule of every fault kind, on seeded links and at seeded times.
  const faults = random.fork('faults');
  const runner = new ProcessClock(sim, { name: 'runner' });
  const at = (base: number, fn: () => void): void => void runner.setTimeout(fn, base + faults.int(0, 500));
  const pick = (): number => faults.int(0, nodes - 1);
  for (let round = 0; round * 5000 < virtualMs; round++) {
    const t0 = round * 5000;
    const l1 = pick();
    at(t0 + 500, () => {
      const id = links[l1]!.addToxic({ type: 'latency', latencyMs: 50, jitterMs: 30 });
      log(`fault latency link-${l1}`);
      at(t0 + 2000, () => links[l1]!.removeToxic(id));
    });
    const l2 = pick();
    at(t0 + 700, () => {
      const id = links[l2]!.addToxic({ type: 'loss', rate: 0.3 });
      log(`fault loss link-${l2}`);
      at(t0 + 2500, () => links[l2]!.removeToxic(id));
    });
    const l3 = pick();
    at(t0 + 1000, () => {
      const id = links[l3]!.addToxic({ type: 'blackhole' });
      log(`fault partition link-${l3}`);
      at(t0 + 1800, () => links[l3]!.removeToxic(id));
    });
    const l4 = pick();
    at(t0 + 1200, () => {
      const id = links[l4]!.addToxic({ type: 'bandwidth', bytesPerSecond: 2000 });
      log(`fault bandwidth link-${l4}`);
      at(t0 + 2200, () => links[l4]!.removeToxic(id));
    });
    const l5 = pick();
    at(t0 + 2500, () => log(`fault reset link-${l5}: ${links[l5]!.reset()}`));
    const l6 = pick();
    at(t0 + 3000, () => {
      const id = links[l6]!.addToxic({ type: 'refuse' });
      links[l6]!.reset();
      log(`fault refuse link-${l6}`);
      at(t0 + 3500, () => links[l6]!.removeToxic(id));
    });
    const n1 = pick();
    at(t0 + 3200, () => {
      const clock = clocks[n1]!;
      clock.pause();
      log(`fault pause node-${n1}`);
      at(t0 + 3600, () => clock.resume());
    });
    const n2 = pick();
    at(t0 + 4000, () => {
      clocks[n2]!.kill();
      log(`fault kill node-${n2}`);
      const generation = round + 1;
      at(t0 + 4200, () => startNode(n2, generation));
    });
  }

  await sim.runFor(virtualMs);
  const hash = createHash('sha256');
  for (const line of trace) hash.update(line).update('\n');
  return { trace, digest: hash.digest('hex'), stats: sim.stats, delivered };
}
