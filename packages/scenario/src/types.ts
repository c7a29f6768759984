import type { Distribution } from '@zonesim/common';

/**
 * The resolved scenario: what `loadScenario` returns once a file has passed every check. All
 * times are milliseconds, relative to the start of the load phase (t = 0) unless named `...At`
 * (epoch ms); every default is filled in; every path is absolute. The runner works from this,
 * never from the YAML.
 */
export interface ResolvedScenario {
  /** Absolute path of the scenario file. */
  file: string;
  name: string;
  description?: string;
  /** The seed every random choice derives from. @default 1 */
  seed: number | string;
  /** The success-ratio objective availability is judged against (error budget). @default 0.999 */
  slo?: number;
  /** Fields set on the command line over the file's values (`--set`), as `path=value`, in order. */
  overrides?: string[];
  /** `virtual`: run in virtual time (issue 16; `zonesim run --virtual` asks for it too). @default 'real' */
  mode: 'real' | 'virtual';
  /** Length of the load phase: arrivals fall in `[0, durationMs)`. */
  durationMs: number;
  /** The first part of the load phase, `[0, warmupMs)`: load is sent, hypotheses ignore it. @default 0 */
  warmupMs: number;
  /** Time after the load phase for async events to drain. @default 10000 */
  cooldownMs: number;
  /** `durationMs + cooldownMs`: faults must end by then; the runner heals everything at this point. */
  runEndMs: number;
  cluster: ResolvedCluster;
  functions: ResolvedFunction[];
  /** Queues of the built-in queue service, created before the functions. @default [] */
  queues: ResolvedQueue[];
  workload: ResolvedWorkload[];
  faults: ResolvedFault[];
  /** Stochastic failures (issue 18): drawn into faults of the schedule from the seed. @default [] */
  failures?: ResolvedFailureProcess[];
  hypotheses: ResolvedHypothesis[];
  stopConditions: ResolvedStopCondition[];
}

/**
 * `cluster.node.keepAlivePolicy` (issue 18): `fixed` keeps environments for `keepAliveMs`;
 * `hybrid-histogram` with only the settings the file gives (the zone node's defaults fill the rest:
 * 4 h range, 1-minute bins, 5th / 99th percentiles, 10 % margin, CV 2, 10 samples, 0.5 out of range).
 */
export type ResolvedKeepAlivePolicy =
  | { kind: 'fixed' }
  | { kind: 'hybrid-histogram'; rangeMs?: number; binMs?: number; headPercentile?: number; tailPercentile?: number; margin?: number; cvThreshold?: number; minSamples?: number; maxOutOfRange?: number };

/** Cluster settings, with the defaults of the coordinator and zone node. */
export interface ResolvedCluster {
  /** Zone names; a count in the file becomes `az-a`, `az-b`, ... @default 3 zones */
  zones: string[];
  /** @default 1 */
  nodesPerZone: number;
  node: {
    /** @default 32 */
    maxEnvironments: number;
    /** @default 8192 */
    memoryMb: number;
    /** @default 'process' */
    isolation: 'process' | 'worker';
    /** @default 600000 */
    keepAliveMs: number;
    /** The keep-alive policy (zone-node `keepAlivePolicy`). @default { kind: 'fixed' } */
    keepAlivePolicy: ResolvedKeepAlivePolicy;
  };
  /** Heartbeat interval (coordinator `heartbeatIntervalMs`). @default 200 */
  heartbeatMs: number;
  /** Missed heartbeats before a node is down (coordinator `heartbeatMissLimit`). @default 4 */
  missLimit: number;
  /** @default 'spread' */
  placement: 'spread' | 'pack' | 'shuffle-shard';
  /** Nodes per function with `shuffle-shard`. @default 2 */
  shardSize: number;
  /** The failure detector (coordinator `detector`). @default 'heartbeat' */
  detector: 'heartbeat' | 'work-aware';
  /** Outlier ejection thresholds the file sets (the coordinator's defaults fill the rest). */
  outlier: Partial<{ consecutiveFailures: number; failurePercent: number; minRequests: number; intervalMs: number; ejectionMs: number; maxEjectedPercent: number }>;
  /** Static-stability headroom (coordinator `headroom`). @default 0 */
  headroom: number;
  /** New environments per function per 10 s (coordinator `scalingRatePer10s`). @default max(1000, accountConcurrency) */
  scalingRate: number;
  /** Platform timer speed-up (keep-alive etc.). @default 1 */
  timeScale: number;
  /** false = a lost zone's in-flight work is not re-dispatched (a teaching switch). @default true */
  failover: boolean;
  /** @default 1000 */
  accountConcurrency: number;
  /** `lambda`: CPU in proportion to memory, 1,769 MB = one vCPU (zone node `--cpu-model`). @default 'host' */
  cpuModel: 'host' | 'lambda';
  /** The ledger's detail level as text: `full`, `aggregate` or `sampled:RATE` (coordinator `ledgerDetail`). @default 'full' */
  ledger: string;
}

/** Settings every function has. */
export interface FunctionCommon {
  name: string;
  description?: string;
  /** The customer the function belongs to (blast radius in tenants, issue 18). @default the function's name */
  tenant: string;
  /** Lambda MemorySize. @default 128 */
  memoryMb: number;
  /** Lambda Timeout, whole seconds. @default 3 */
  timeoutSec: number;
  /** @default 'x86_64' */
  architecture: 'x86_64' | 'arm64';
  environment: Record<string, string>;
  provisionedConcurrency?: number;
  reservedConcurrency?: number;
  /** Async MaximumRetryAttempts (0..2); absent = Lambda's default 2. */
  retries?: number;
  /** Async MaximumEventAgeInSeconds (60..21600); absent = Lambda's default 21600. */
  maxEventAgeSec?: number;
  /** Event source mappings from the scenario's queues to this function. */
  triggers?: ResolvedQueueTrigger[];
}

/** A queue of the built-in queue service (SQS semantics). */
export interface ResolvedQueue {
  name: string;
  /** SQS VisibilityTimeout. @default 30 */
  visibilityTimeoutSec: number;
  /** SQS DelaySeconds. @default 0 */
  delaySec: number;
  /** SQS MessageRetentionPeriod; absent = SQS's 4 days. */
  retentionSec?: number;
  /** Redrive: after `maxReceiveCount` receives a message moves to this queue of the scenario. */
  deadLetterQueue?: string;
  /** @default 5 (with a deadLetterQueue) */
  maxReceiveCount?: number;
}

/** An event source mapping from a queue of the scenario to a function. */
export interface ResolvedQueueTrigger {
  queue: string;
  /** @default 10 */
  batchSize: number;
  /** MaximumBatchingWindowInSeconds. @default 0 */
  batchingWindowSec: number;
  /** ScalingConfig.MaximumConcurrency (2..1000); absent = Lambda's 1000. */
  maxConcurrency?: number;
  /** FunctionResponseTypes `ReportBatchItemFailures`. @default false */
  reportBatchItemFailures: boolean;
  /** @default true */
  enabled: boolean;
}

/** A function with real code: a folder or a .zip. */
export interface CodeFunction extends FunctionCommon {
  kind: 'code';
  /** Absolute path of the folder or zip. */
  path: string;
  packaging: 'folder' | 'zip';
  /** @default 'index.handler' */
  handler: string;
  /** @default 'nodejs22.x' */
  runtime: string;
}

/**
 * What a synthetic function does, in `synthetic.json` inside its zip: the zone node draws an INIT
 * time (cold starts), a duration and a memory use from these distributions and fails a fraction
 * `errorRate` of invocations, on timers, without a sandbox.
 */
export interface SyntheticSpec {
  /** INIT time in ms, on cold starts. @default constant 0 */
  init: Distribution;
  /** Handler time in ms. */
  duration: Distribution;
  /** Memory used in MB (reported as Max Memory Used, capped at the configured memory). @default constant 64 */
  memory: Distribution;
  /** Fraction of invocations that end in a function error. @default 0 */
  errorRate: number;
}

/** A synthetic function (runtime `zonesim.synthetic`). */
export interface SyntheticFunction extends FunctionCommon {
  kind: 'synthetic';
  runtime: 'zonesim.synthetic';
  handler: string;
  synthetic: SyntheticSpec;
  /** Set when the function was made from a trace row (`functions: synthetic`). */
  fromTrace?: { hashOwner: string; hashApp: string; hashFunction: string; trigger: string };
}

/** A function of the scenario. */
export type ResolvedFunction = CodeFunction | SyntheticFunction;

/** How arrivals are placed for time-varying rates: a Poisson process, or evenly by the rate. */
export type ArrivalProcess = 'poisson' | 'even';

/** An arrival process (rates are per second, open loop). */
export type ResolvedArrival =
  | { kind: 'constant'; rate: number }
  | { kind: 'poisson'; rate: number }
  | { kind: 'ramp'; from: number; to: number; process: ArrivalProcess }
  | { kind: 'bursts'; base: number; burst: number; everyMs: number; lengthMs: number; offsetMs: number; process: ArrivalProcess }
  | { kind: 'diurnal'; mean: number; amplitude: number; periodMs: number; peakAtMs: number; process: ArrivalProcess }
  | ResolvedTraceArrival;

/** Replay of an Azure Functions 2019 invocations-per-minute file. */
export interface ResolvedTraceArrival {
  kind: 'trace';
  /** Absolute path of the invocations CSV. */
  path: string;
  /** Real milliseconds one trace minute lasts. @default 1000 (minuteSeconds 1) */
  minuteMs: number;
  /** The first trace minute replayed, 1..1440. @default 1 */
  startMinute: number;
  /** Multiplies every count (fractions are kept by a seeded coin). @default 1 */
  scale: number;
  /** Arrivals within a minute: uniformly at random, or evenly spaced. @default 'uniform' */
  spread: 'uniform' | 'even';
  /** Which data rows of the file (0-based, after the header). */
  rows: { skip: number; limit?: number };
  /** Row i's counts go to `functions[i % functions.length]`. */
  functions: string[];
}

/** How a workload entry's arrivals are sent. */
export type InvocationKind = 'sync' | 'async' | 'queue';

/** One workload entry: one function (or a trace's functions) or one queue, one arrival process. */
export interface ResolvedWorkload {
  index: number;
  /** The scenario function, or the first of a trace's functions; for a `queue` entry, the queue. */
  function: string;
  /** @default 'sync'; `queue`: each arrival is a SendMessage to the queue named in `function`. */
  invocation: InvocationKind;
  /** JSON payload sent with each invocation (for a queue: the message body, a string as is). @default undefined (empty body `{}`) */
  payload?: unknown;
  /** @default 0 */
  startMs: number;
  /** @default durationMs */
  endMs: number;
  arrival: ResolvedArrival;
  /** How its callers behave; absent: one call each, waiting up to the function timeout + 20 s. */
  client?: ResolvedClient;
}

/** Failures a client may retry. */
export type RetryableFailure = 'throttle' | 'error' | 'timeout';

/** A workload entry's callers. */
export interface ResolvedClient {
  /** The caller gives up after this (ms); absent: the function timeout + 20 s. */
  timeoutMs?: number;
  retries?: {
    max: number;
    on: RetryableFailure[];
    baseMs: number;
    maxMs: number;
    multiplier: number;
    jitter: 'full' | 'equal' | 'none';
  };
  budget?: { ratio: number; minPerSecond: number; windowMs: number };
}

/** The fault actions. */
export const FaultAction = {
  Kill: 'kill',
  Pause: 'pause',
  Partition: 'partition',
  Disconnect: 'disconnect',
  Latency: 'latency',
  Loss: 'loss',
  Bandwidth: 'bandwidth',
  Gray: 'gray',
  Brownout: 'brownout',
  CoordinatorRestart: 'coordinator-restart',
} as const;
/** One of {@link FaultAction}. */
export type FaultAction = (typeof FaultAction)[keyof typeof FaultAction];

/** Which way a link fault acts: both, coordinator -> zone only, zone -> coordinator only. @default 'both' */
export type LinkDirection = 'both' | 'to-zone' | 'to-coordinator';

/** Action parameters, in resolved units. */
export type FaultParams =
  | { action: 'kill'; restartAfterMs?: number }
  | { action: 'pause' }
  | { action: 'partition'; direction: LinkDirection }
  | { action: 'disconnect' }
  | { action: 'latency'; latencyMs: number; jitterMs: number; direction: LinkDirection }
  | { action: 'loss'; rate: number; direction: LinkDirection }
  | { action: 'bandwidth'; bytesPerSecond: number; direction: LinkDirection }
  | { action: 'gray'; slowFactor: number; failRate: number }
  | { action: 'brownout'; failRate: number }
  | { action: 'coordinator-restart'; restartAfterMs: number };

/** A fault target as written (selection not yet made). */
export type FaultTarget =
  | { kind: 'coordinator' }
  | { kind: 'zones'; names: string[] }
  | { kind: 'zones'; count: number }
  | { kind: 'zones'; percent: number }
  | { kind: 'nodes'; ids: string[] }
  | { kind: 'nodes'; count: number; zone?: string }
  | { kind: 'nodes'; percent: number; zone?: string };

/** A fault with its times resolved (`after` chains followed). */
export interface ResolvedFault {
  id: string;
  description?: string;
  action: FaultAction;
  params: FaultParams;
  target: FaultTarget;
  startMs: number;
  /**
   * When the fault is healed: `startMs + duration` (or `restartAfter`); `startMs` for an
   * instantaneous disconnect; undefined = it lasts until the runner heals everything at `runEndMs`.
   */
  endMs?: number;
  /** The fault this one follows, with the delay after its end. */
  after?: { id: string; delayMs: number };
}

/** A failure process: each target fails and is repaired again and again (a renewal process). */
export interface ResolvedFailureProcess {
  id: string;
  description?: string;
  /** What a failure does to its targets: `kill` (the hosts come back after the repair time) or `pause`. */
  action: 'kill' | 'pause';
  /** `nodes`: each node on its own; `zones`: each zone's nodes together. */
  target: 'nodes' | 'zones';
  /** Up time between failures (ms). */
  between: Distribution;
  /** How long a failure lasts (ms). */
  repair: Distribution;
  /** Correlated: one process for the region, each failure taking this fraction of the targets. */
  fraction?: number;
  /** The preset the distributions came from. */
  preset?: string;
  /** Failures start in `[startMs, endMs)` of the run. */
  startMs: number;
  endMs: number;
}

/** Which operations a windowed hypothesis looks at. */
export type HypothesisWindow = 'steady' | 'faults' | 'after' | 'all';

/** Settings shared by windowed hypotheses. */
export interface WindowSettings {
  /** @default 'steady' */
  during: HypothesisWindow;
  /** Time after each fault's end still excluded from `steady`. @default heartbeatMs x missLimit */
  settleMs: number;
  /** Only these functions. @default all */
  functions?: string[];
  /** `faults` window: only these faults' windows. @default all faults */
  faultIds?: string[];
}

/** A steady-state check. */
export type ResolvedHypothesis =
  | { id: string; kind: 'successRate'; description?: string; min: number; functionErrorsFail: boolean; window: WindowSettings }
  | { id: string; kind: 'p99'; description?: string; maxMs: number; window: WindowSettings }
  | { id: string; kind: 'lostEvents'; description?: string; max: number }
  | { id: string; kind: 'detection'; description?: string; maxMs: number; faultIds: string[] }
  | { id: string; kind: 'duplicates'; description?: string; max: number }
  | { id: string; kind: 'throttles'; description?: string; max?: number; maxRate?: number }
  | { id: string; kind: 'deadLetters'; description?: string; max: number };

/** One of the hypothesis kinds. */
export type HypothesisKind = ResolvedHypothesis['kind'];

/** A condition that stops the run early (the runner evaluates it live). */
export type ResolvedStopCondition =
  | { id: string; kind: 'errorRate'; above: number; forMs: number; minOps: number }
  | { id: string; kind: 'p99'; aboveMs: number; forMs: number; minOps: number };
