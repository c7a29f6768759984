/**
 * @zonesim/dashboard: the live teaching dashboard (issue 9) the coordinator serves at `/`.
 *
 * This module is the package's only entry for other packages: the contract between the
 * coordinator and the page. The coordinator streams {@link FeedMessage}s as server-sent events from
 * `GET /zonesim/v1/dashboard/events`, one `update` per interval (default 500 ms) however many
 * invocations ran in it, and answers `GET /zonesim/v1/invocations/{requestId}` with an
 * {@link InvocationStory}. Types only: nothing here runs.
 *
 * The page itself (`src/main.ts` and its modules, compiled to `dist/` as ES modules, plus
 * `static/`) is plain TypeScript and DOM; Chart.js (MIT) draws the charts. It works offline: the
 * coordinator serves every file, nothing comes from a CDN.
 */

/** Version of the feed's messages; the page refuses other versions. */
export const FEED_VERSION = 1;

/** How the dashboard colours an execution environment. */
export type EnvironmentState = 'initializing' | 'busy' | 'warm-idle' | 'frozen' | 'evicted';

/** Every {@link EnvironmentState}, in legend order. */
export const ENVIRONMENT_STATES: readonly EnvironmentState[] = ['initializing', 'busy', 'warm-idle', 'frozen', 'evicted'];

/** A zone's health as the failure detector sees it (`degraded`: some of its nodes are not healthy). */
export type ZoneHealth = 'healthy' | 'degraded' | 'suspect' | 'down';

/** A node's health as the failure detector sees it. */
export type NodeHealth = 'healthy' | 'suspect' | 'down';

/** One execution environment: `[id, function name, state, provisioned]` kept short (sent twice a second). */
export interface EnvironmentView {
  id: string;
  fn: string;
  state: EnvironmentState;
  provisioned?: boolean;
}

/** One zone node. */
export interface NodeView {
  nodeId: string;
  health: NodeHealth;
  inFlight: number;
  maxEnvironments: number;
  /** Exact counts per state (the list below may be cut). */
  counts: Record<EnvironmentState, number>;
  /** At most the feed's `maxEnvironmentsPerNode`, busy and initializing first. */
  environments: EnvironmentView[];
  /** Environments left out of the list. */
  hidden: number;
  /** Faults applied to this node by the controls or a scenario, e.g. `frozen`, `partitioned`. */
  faults: string[];
}

/** One zone (failure domain). */
export interface ZoneView {
  zone: string;
  health: ZoneHealth;
  nodes: NodeView[];
  /** Faults applied to the whole zone, e.g. `killed`, `latency 300 ms`, `gray (5x, 30% fail)`. */
  faults: string[];
}

/** Region -> zones -> nodes -> environments. */
export interface Topology {
  region: string;
  zones: ZoneView[];
}

/** What ended in one tick in one zone: counts, not rates (the page divides by the tick's length). */
export interface ZoneCounts {
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  /** End-to-end latency of the attempts that ran, ms; null when none did. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** One interval of the feed: everything that ended in it, and the gauges at its end. */
export interface Tick {
  /** End of the interval, epoch ms. */
  t: number;
  /** Length of the interval, ms. */
  spanMs: number;
  /** Per zone; `(none)` holds attempts never placed (throttles, no zone). */
  zones: Record<string, ZoneCounts>;
  total: ZoneCounts & {
    successes: number;
    retries: number;
    failovers: number;
    duplicates: number;
  };
  /** Async events waiting or running; null when unknown. */
  asyncQueued: number | null;
  /** Events in the dead-letter store; null when unknown. */
  deadLetters: number | null;
  /** The run's cost so far, USD. */
  costUsd: number;
  /** Up to 5 request ids of attempts that failed in this tick (a click on a chart point explains one). */
  failed: string[];
}

/** A fault window as the coordinator knows it (`chaos/fault-windows.ts`); epoch ms. */
export interface FaultWindowView {
  id: string;
  action: string;
  target: string;
  startAt: number;
  endAt?: number;
}

/** A fault the controls applied that is still active. */
export interface ActiveControl {
  zone: string;
  action: ControlAction;
  detail?: string;
  since: number;
}

/** Zone actions of the controls. */
export type ControlAction = 'kill' | 'freeze' | 'partition' | 'latency' | 'gray';

/** Whether the page's controls may act, and what they can do. */
export interface ControlsView {
  /** False: buttons are shown disabled with `reason`. */
  enabled: boolean;
  reason?: string;
  /** True when a supervisor (`zonesim up` / `zonesim demo`) owns the processes: kill, freeze, partition, latency work. */
  supervised: boolean;
  /** Shipped scenarios the supervisor can start against this cluster. */
  scenarios: string[];
  active: ActiveControl[];
  /** The scenario started from the dashboard, if any. */
  scenario?: { name: string; state: 'running' | 'finished' | 'failed'; startedAt: number; endsAt?: number; message?: string };
}

/** Kinds of invocation the "explain" list offers. */
export type NotableKind = 'failed-over' | 'lost' | 'failed' | 'throttled' | 'retried' | 'dead-lettered';

/** An invocation worth explaining. */
export interface NotableInvocation {
  requestId: string;
  functionName: string;
  kind: NotableKind;
  /** Epoch ms. */
  at: number;
  zone?: string;
}

/** The first message of a connection: the state so far. */
export interface FeedHello {
  type: 'hello';
  v: typeof FEED_VERSION;
  region: string;
  intervalMs: number;
  /** Past ticks, oldest first (the charts' last minutes). */
  history: Tick[];
  topology: Topology;
  faults: FaultWindowView[];
  controls: ControlsView;
  notable: NotableInvocation[];
}

/** One interval's message. */
export interface FeedUpdate {
  type: 'update';
  tick: Tick;
  topology: Topology;
  faults: FaultWindowView[];
  controls: ControlsView;
  /** Notable invocations that ended in this interval (bounded). */
  notable: NotableInvocation[];
}

/** Every message of the feed, tagged by `type`. */
export type FeedMessage = FeedHello | FeedUpdate;

/** One step of an invocation's story. */
export interface StoryStep {
  /** Epoch ms (may carry a fraction). */
  at: number;
  kind:
    | 'received'
    | 'queued'
    | 'waited'
    | 'placed'
    | 'failover'
    | 'refused'
    | 'init'
    | 'run'
    | 'answered'
    | 'throttled'
    | 'lost'
    | 'error'
    | 'retry'
    | 'duplicate'
    | 'dead-lettered'
    | 'delivered'
    | 'pending';
  title: string;
  detail?: string;
  attempt?: number;
  zone?: string;
  nodeId?: string;
}

/** One attempt as the story shows it (the ledger record's fields, abridged). */
export interface StoryAttempt {
  attempt: number;
  outcome: string;
  zone?: string;
  nodeId?: string;
  environmentId?: string;
  cold?: boolean;
  provisioned?: boolean;
  placement?: string;
  receivedAt: number;
  respondedAt: number;
  durationMs?: number;
  initMs?: number;
  billedMs: number;
  errorType?: string;
  costUsd: number;
  duplicate?: boolean;
  faultIds?: string[];
}

/** `GET /zonesim/v1/invocations/{requestId}`: what happened to one invocation, step by step. */
export interface InvocationStory {
  requestId: string;
  functionName: string;
  version: string;
  invocationType: string;
  /** One sentence for the class. */
  summary: string;
  /** How it ended, as far as the coordinator knows. */
  verdict: 'succeeded' | 'function-error' | 'failed' | 'throttled' | 'lost' | 'dead-lettered' | 'pending';
  /** Short labels: cold, warm, provisioned, throttled, retried, failed-over, duplicate, dead-lettered. */
  tags: string[];
  steps: StoryStep[];
  attempts: StoryAttempt[];
  /** Its REPORT line: from the function's log when it arrived, otherwise rebuilt from the ledger record. */
  report: { line: string; source: 'log' | 'ledger' } | null;
  /** Its log lines (START .. REPORT and what the handler printed), at most 200. */
  logLines: Array<{ t: number; line: string }>;
  cost: { totalUsd: number; requestsUsd: number; durationUsd: number };
  /** Where the attempts came from: the coordinator's index of recent invocations, or its ledger files. */
  source: 'index' | 'ledger-files';
}
