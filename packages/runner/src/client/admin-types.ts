/**
 * The admin API's answers as the runner reads them (docs/api.md, "zonesim's own API"). Each view
 * names the fields a caller relies on; the coordinator may send more, which stay reachable through
 * the index signatures.
 */

/** A zone's or node's health in the coordinator's view. */
export type HealthState = 'healthy' | 'degraded' | 'suspect' | 'down';

/** One zone node in `GET /zonesim/v1/zones`. */
export interface NodeHealthView {
  nodeId: string;
  zone: string;
  health: HealthState;
  /** Invocations running on it. */
  inFlight: number;
  idleEnvironments: number;
  capacity: { memoryMb: number; maxEnvironments: number };
  lastSeenMsAgo: number;
  /** `process` or `worker`. */
  isolation: string;
  /** What contains its environments (issue 15); absent for nodes that do not say. */
  sandbox?: { kind: string; reason?: string; cpuModel?: string };
  [field: string]: unknown;
}

/** One zone in `GET /zonesim/v1/zones`. */
export interface ZoneHealthView {
  zone: string;
  health: HealthState;
  nodes: NodeHealthView[];
}

/** `GET /zonesim/v1/zones`. */
export interface ZonesView {
  zones: ZoneHealthView[];
  /** The placement policy's name. */
  placement: string;
}

/** `GET /zonesim/v1/stats`: zones, invocations, async queue, bill, connections, event loop. */
export interface ClusterStatsView {
  time: string;
  zones: Array<{ zone: string; health: HealthState; nodes: number; inFlight: number }>;
  waitingInvocations: number;
  invocations: unknown;
  async: AsyncQueueStats | null;
  billing: unknown;
  [field: string]: unknown;
}

/** A fault window (`/zonesim/v1/faults`): the ledger tags records received during one with its id. */
export interface FaultWindowView {
  id: string;
  action: string;
  target: string;
  /** Epoch ms. */
  startAt: number;
  endAt?: number;
}

/** A fault window to open. */
export interface OpenFaultInput {
  /** 1-128 letters, digits, `.`, `_`, `:`, `-`. */
  id: string;
  action: string;
  target: string;
}

/** A gray failure of a zone (`PUT /zonesim/v1/zones/{zone}/degrade`). */
export interface Degradation {
  /** Durations are multiplied by this, 1-1000. */
  slowFactor: number;
  /** This fraction of invocations fail, 0-1. */
  failRate: number;
}

/** The async event store's counts. */
export interface AsyncQueueStats {
  queued: number;
  inFlight: number;
  done?: number;
  dead?: number;
  [field: string]: unknown;
}

/** `GET /zonesim/v1/async`. */
export interface AsyncStatusView {
  queue: AsyncQueueStats;
  dispatcher: Record<string, unknown> | null;
}

/** An event still queued or in flight (`GET /zonesim/v1/async/pending`). */
export interface PendingEventView {
  eventId: string;
  [field: string]: unknown;
}

/** A dead-lettered event (`GET /zonesim/v1/dead-letters`). */
export interface DeadLetterView {
  eventId: string;
  functionName: string;
  condition?: string;
  reason?: string;
  attempts?: number;
  /** Epoch ms. */
  deadAt?: number;
  /** The event's payload as text. */
  payload?: string;
  [field: string]: unknown;
}

/** A queue of the built-in queue service (`GET /zonesim/v1/queues`). */
export interface QueueView {
  name: string;
  url: string;
  arn: string;
  visible: number;
  notVisible: number;
  delayed: number;
  redrivePolicy?: string;
  [field: string]: unknown;
}

/** `GET /zonesim/v1/queues`. */
export interface QueuesView {
  queues: QueueView[];
  stats: unknown;
}

/** Where one queue message ended up (`GET /zonesim/v1/queue-messages`). */
export interface QueueMessageView {
  seq: number;
  messageId: string;
  queue: string;
  state: 'queued' | 'dead-lettered' | 'deleted' | 'expired' | 'purged';
  receiveCount: number;
  successes: number;
  duplicates: number;
  deadLetterFrom?: string;
  [field: string]: unknown;
}

/** One page of `GET /zonesim/v1/queue-messages`; `next` is the `after` of the next page, absent on the last. */
export interface QueueMessagesPage {
  messages: QueueMessageView[];
  next?: number;
}
