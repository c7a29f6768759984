import type { Distribution } from '@zonesim/common';

/**
 * Defaults of the scenario format. Cluster values match the coordinator's and zone node's own
 * defaults (packages/coordinator/src/options.ts, packages/zone-node/src/options.ts) so that a
 * scenario that says nothing runs the cluster a user would get from `zonesim up`.
 */
export const DEFAULT_SCENARIO = {
  seed: 1,
  warmupMs: 0,
  cooldownMs: 10_000,
  zoneCount: 3,
  nodesPerZone: 1,
  maxEnvironments: 32,
  nodeMemoryMb: 8192,
  isolation: 'process',
  keepAliveMs: 600_000,
  heartbeatMs: 200,
  missLimit: 4,
  placement: 'spread',
  shardSize: 2,
  detector: 'heartbeat',
  timeScale: 1,
  failover: true,
  accountConcurrency: 1000,
  cpuModel: 'host',
  /** Lambda's defaults. */
  memoryMb: 128,
  timeoutSec: 3,
  architecture: 'x86_64',
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  invocation: 'sync',
  process: 'poisson',
  minuteSeconds: 1,
  traceScale: 1,
  traceSpread: 'uniform',
  stopMinOps: 10,
} as const;

/** The runtime of synthetic functions; their zip holds {@link SYNTHETIC_FILE}. */
export const SYNTHETIC_RUNTIME = 'zonesim.synthetic';
/** The file inside a synthetic function's zip. */
export const SYNTHETIC_FILE = 'synthetic.json';
/** The handler a synthetic function is created with (Lambda requires one for Zip packages; the zone node ignores it). */
export const SYNTHETIC_HANDLER = 'synthetic.handler';

/** INIT of a synthetic function when not given: none. */
export const DEFAULT_SYNTHETIC_INIT: Distribution = { kind: 'constant', value: 0 };
/** Memory use of a synthetic function when not given. */
export const DEFAULT_SYNTHETIC_MEMORY: Distribution = { kind: 'constant', value: 64 };
/**
 * INIT of functions made from a trace: the Azure 2019 durations exclude cold starts, so the trace
 * cannot tell; a lognormal of median 250 ms and p99 1.5 s is a typical Node.js cold start.
 */
export const DEFAULT_TRACE_INIT: Distribution = { kind: 'lognormal', median: 250, p99: 1500 };
