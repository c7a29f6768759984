import { SeededRandom } from '@zonesim/common';

/**
 * A scenario file's content as a plain object (what the YAML parses to), so that a drawn or shrunk
 * scenario is written out as an ordinary scenario file and replays with `zonesim run --virtual`.
 */
export type ScenarioDocument = Record<string, unknown> & {
  name: string;
  seed: number;
  functions: FunctionDoc[];
  queues?: QueueDoc[];
  workload: WorkloadDoc[];
  faults: FaultDoc[];
};

/** One function of a drawn scenario (a synthetic one: virtual time runs no handler code). */
export type FunctionDoc = Record<string, unknown> & { name: string };
/** One queue of a drawn scenario. */
export type QueueDoc = Record<string, unknown> & { name: string };
/** One workload entry of a drawn scenario. */
export type WorkloadDoc = Record<string, unknown>;
/** One fault of a drawn scenario. */
export type FaultDoc = Record<string, unknown> & { id: string; action: string };

/** Every fault action the scenario format has: each seed draws from all of them. */
export const EXPLORED_FAULT_ACTIONS = ['kill', 'pause', 'partition', 'disconnect', 'latency', 'loss', 'bandwidth', 'gray', 'brownout', 'coordinator-restart'] as const;

/** Bounds of what {@link drawScenario} draws. */
export interface DrawBounds {
  /** Load phase length, ms. @default [15000, 30000] */
  durationMs: readonly [number, number];
  /** Faults per schedule. @default [1, 6] */
  faults: readonly [number, number];
  /** Zones in the region. @default [2, 4] */
  zones: readonly [number, number];
  /** Zone nodes per zone. @default [1, 2] */
  nodesPerZone: readonly [number, number];
}

export const DEFAULT_DRAW_BOUNDS: DrawBounds = Object.freeze({
  durationMs: [15_000, 30_000] as const,
  faults: [1, 6] as const,
  zones: [2, 4] as const,
  nodesPerZone: [1, 2] as const,
});

/**
 * Time left after the load phase for what was accepted to finish: async retries (their backoff runs
 * at the cluster's `timeScale`), queue redeliveries after a visibility timeout, and a coordinator
 * that restarts near the end. Invariants that say "everything finished" are judged after it.
 */
export const EXPLORE_COOLDOWN_MS = 45_000;

/** Platform timers (async retry backoff, keep-alive) run this much faster, so retries finish in the cooldown. */
const EXPLORE_TIME_SCALE = 60;

const ms = (value: number): string => `${Math.round(value)}ms`;

/**
 * Draws a random region, workload and fault schedule from `seed` (issue 19): the same seed, the
 * same document. Functions are synthetic (INIT, duration and error distributions); some have
 * reserved or provisioned concurrency, async retry settings, or a queue with an event source mapping
 * and a dead-letter queue. The workload mixes synchronous, asynchronous and queue traffic. Faults are
 * drawn from every kind, at random times, overlapping and repeated.
 */
export function drawScenario(seed: number, bounds: DrawBounds = DEFAULT_DRAW_BOUNDS): ScenarioDocument {
  const r = new SeededRandom(`explore:${seed}`);
  const pick = <T>(items: readonly T[]): T => items[r.int(0, items.length - 1)]!;
  const between = (lo: number, hi: number): number => lo + r.next() * (hi - lo);
  const chance = (p: number): boolean => r.next() < p;

  const zones = r.int(bounds.zones[0], bounds.zones[1]);
  const nodesPerZone = r.int(bounds.nodesPerZone[0], bounds.nodesPerZone[1]);
  const maxEnvironments = r.int(6, 32);
  const durationMs = Math.round(between(bounds.durationMs[0], bounds.durationMs[1]) / 1000) * 1000;
  const heartbeatMs = pick([100, 200, 250]);
  const missLimit = r.int(3, 5);
  // The account's lowest allowed concurrency (100) is reached by bursts of slow functions only.
  const smallAccount = chance(0.3);

  const functions: FunctionDoc[] = [];
  const queues: QueueDoc[] = [];
  const workload: WorkloadDoc[] = [];
  const functionCount = r.int(1, 3);
  for (let i = 0; i < functionCount; i++) {
    const name = `fn-${i + 1}`;
    const timeoutSec = r.int(1, 4);
    const medianMs = Math.round(between(5, 150));
    const fn: FunctionDoc = {
      name,
      memory: pick([128, 256, 512, 1024]),
      timeout: `${timeoutSec}s`,
      synthetic: {
        init: { kind: 'lognormal', median: Math.round(between(50, 300)), p99: Math.round(between(400, 900)) },
        duration: { kind: 'lognormal', median: medianMs, p99: Math.min(timeoutSec * 1000 - 1, Math.round(medianMs * between(2, 6))) },
        ...(chance(0.5) ? { errorRate: Math.round(between(0, 0.2) * 100) / 100 } : {}),
      },
    };
    const reserved = chance(0.3) ? r.int(2, 12) : undefined;
    if (reserved !== undefined) fn['reservedConcurrency'] = reserved;
    if (chance(0.2)) fn['provisionedConcurrency'] = r.int(1, reserved ?? 4);
    const kind = pick(['sync', 'sync', 'async', 'queue'] as const);
    if (kind === 'async' || chance(0.3)) {
      fn['retries'] = r.int(0, 2);
      if (chance(0.3)) fn['maxEventAge'] = `${r.int(60, 600)}s`;
    }
    if (kind === 'queue') {
      const queue = `q-${i + 1}`;
      const withDlq = chance(0.6);
      queues.push({
        name: queue,
        // Lambda wants it at least the function's timeout.
        visibilityTimeout: `${timeoutSec + r.int(1, 5)}s`,
        ...(withDlq ? { deadLetterQueue: `${queue}-dlq`, maxReceiveCount: r.int(2, 5) } : {}),
      });
      if (withDlq) queues.push({ name: `${queue}-dlq` });
      fn['triggers'] = [{ queue, batchSize: r.int(1, 10), maxConcurrency: r.int(2, 20) }];
      workload.push({ queue, payload: { seed, fn: i }, arrival: { poisson: { rate: r.int(3, 25) } } });
    } else {
      workload.push({ function: name, ...(kind === 'async' ? { invocation: 'async' } : {}), arrival: { poisson: { rate: r.int(3, 30) } } });
    }
    functions.push(fn);
  }
  // Now and then a second kind of traffic on the first function.
  if (chance(0.4)) workload.push({ function: 'fn-1', invocation: pick(['sync', 'async']), arrival: { poisson: { rate: r.int(2, 10) } } });

  const faults = drawFaults(r, { zones, nodesPerZone, durationMs }, bounds.faults);
  // Lambda keeps 100 of the account's concurrency unreserved, provisioned concurrency of functions
  // without a reservation aside.
  const reserved = functions.reduce((n, f) => n + ((f['reservedConcurrency'] as number | undefined) ?? 0), 0);
  const unreservedProvisioned = functions.reduce((n, f) => n + (f['reservedConcurrency'] === undefined ? ((f['provisionedConcurrency'] as number | undefined) ?? 0) : 0), 0);
  const accountConcurrency = smallAccount ? 100 + reserved + unreservedProvisioned : 1000;

  return {
    name: `explore-${seed}`,
    description: `drawn by zonesim explore from seed ${seed}`,
    seed,
    mode: 'virtual',
    duration: ms(durationMs),
    warmup: '1s',
    cooldown: ms(EXPLORE_COOLDOWN_MS),
    cluster: {
      zones,
      nodesPerZone,
      heartbeat: ms(heartbeatMs),
      missLimit,
      accountConcurrency,
      timeScale: EXPLORE_TIME_SCALE,
      node: { maxEnvironments },
    },
    ...(queues.length > 0 ? { queues } : {}),
    functions,
    workload,
    faults,
  };
}

/** What a fault schedule is drawn for. */
export interface RegionShape {
  /** Zone names (a count becomes az-a, az-b, ...). */
  zones: number | readonly string[];
  nodesPerZone: number;
  /** Length of the load phase, ms: faults start inside it. */
  durationMs: number;
}

/**
 * A random fault schedule over every fault kind for a region of this shape: faults at random
 * times, overlapping and repeated, at most one coordinator restart.
 */
export function drawFaultSchedule(seed: number, shape: RegionShape, count: readonly [number, number] = DEFAULT_DRAW_BOUNDS.faults): FaultDoc[] {
  return drawFaults(new SeededRandom(`explore-faults:${seed}`), shape, count);
}

function drawFaults(r: SeededRandom, shape: RegionShape, count: readonly [number, number]): FaultDoc[] {
  const pick = <T>(items: readonly T[]): T => items[r.int(0, items.length - 1)]!;
  const between = (lo: number, hi: number): number => lo + r.next() * (hi - lo);
  const chance = (p: number): boolean => r.next() < p;
  const zoneNames = typeof shape.zones === 'number' ? Array.from({ length: shape.zones }, (_, i) => `az-${String.fromCharCode(97 + i)}`) : shape.zones;
  const { nodesPerZone, durationMs } = shape;
  const faults: FaultDoc[] = [];
  const faultCount = r.int(count[0], count[1]);
  let restarts = 0;
  for (let i = 0; i < faultCount; i++) {
    let action: string = pick(EXPLORED_FAULT_ACTIONS);
    // One coordinator restart per schedule is plenty; a second draw becomes a zone kill.
    if (action === 'coordinator-restart' && restarts++ > 0) action = 'kill';
    const at = between(1_000, durationMs - 1_000);
    const lasts = between(500, 10_000);
    const id = `f${i + 1}-${action}`;
    const zoneTarget = (): Record<string, unknown> => (chance(0.5) ? { zones: { count: 1 } } : { zone: pick(zoneNames) });
    const target = (): Record<string, unknown> => (nodesPerZone > 1 && chance(0.4) ? { nodes: { count: 1 } } : zoneTarget());
    const direction = (): Record<string, unknown> => (chance(0.3) ? { direction: pick(['to-zone', 'to-coordinator']) } : {});
    switch (action) {
      case 'kill':
        faults.push({ id, action, target: target(), at: ms(at), restartAfter: ms(lasts) });
        break;
      case 'pause':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts) });
        break;
      case 'partition':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts), ...direction() });
        break;
      case 'disconnect':
        faults.push({ id, action, target: target(), at: ms(at) });
        break;
      case 'latency':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts), latency: ms(between(20, 800)), jitter: ms(between(0, 100)), ...direction() });
        break;
      case 'loss':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts), rate: Math.round(between(0.05, 0.6) * 100) / 100, ...direction() });
        break;
      case 'bandwidth':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts), bytesPerSecond: r.int(2_000, 200_000), ...direction() });
        break;
      case 'gray':
        faults.push({ id, action, target: target(), at: ms(at), duration: ms(lasts), slowFactor: r.int(2, 8), ...(chance(0.5) ? { failRate: Math.round(between(0.05, 0.4) * 100) / 100 } : {}) });
        break;
      case 'brownout':
        faults.push({ id, action, target: 'coordinator', at: ms(at), duration: ms(lasts), failRate: Math.round(between(0.1, 0.8) * 100) / 100 });
        break;
      case 'coordinator-restart':
        faults.push({ id, action, target: 'coordinator', at: ms(at), restartAfter: ms(between(500, 4_000)) });
        break;
    }
  }

  return faults;
}
