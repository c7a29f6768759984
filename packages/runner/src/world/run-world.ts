import type { Clock } from '@zonesim/common';
import type { Toxic } from '@zonesim/link-proxy';
import type { AdminClient } from '../client/admin-client.js';
import type { ApiClient } from '../client/api-client.js';
import type { ClusterClient } from '../client/cluster-client.js';

/**
 * What a scenario runs against, separated from what the runner does with it. The runner
 * (`ScenarioRun`) schedules arrivals, applies the fault timeline, watches zones and writes the
 * results directory; a world says how the platform is reached:
 *
 * - `RealWorld`: a coordinator and zone-node processes behind link proxies, reached over HTTP, on
 *   the system clock;
 * - a virtual world (issue 16, @zonesim/sim): the same cores in one process on a virtual clock,
 *   reached in-process, with an in-memory network.
 *
 * Everything the runner reads the time from, waits on or talks to comes from here, so the same
 * runner code runs in both.
 */
export interface RunWorld {
  /** The time of the run: every intended time, timestamp, timer and wait of the runner. */
  readonly clock: Clock;
  /** One line for the run's log, e.g. `3 zones x 1 node(s) behind link proxies`. */
  readonly description: string;
  /** Zone nodes as the scenario names them (`nodeIdFor`), in zone order. */
  readonly nodes: readonly WorldNode[];

  /** Starts the platform and waits until every zone node has joined; rejects if any cannot start. */
  start(options?: { signal?: AbortSignal }): Promise<WorldInfo>;
  /** Stops everything it started (zone nodes first), reaping each; safe to call twice. */
  stop(): Promise<void>;
  /** Ends everything at once, without a graceful stop (after `stop` ran out of time). */
  destroy(): void;

  /** Invocations and queue messages (after `start`). */
  readonly client: ClusterClient;
  /** Lambda and SQS control calls, to deploy a scenario's functions, queues and mappings (after `start`). */
  readonly api: ApiClient;
  /** zonesim's admin API: zones, faults, brownout, gray failures, async queue, dead letters, queues (after `start`). */
  readonly admin: AdminClient;
  /** Process and network faults on the world's nodes and links (after `start`). */
  readonly faults: FaultActuator;

  /** Invocations the load may have in flight at once (the client's own bound). @default 20,000 */
  readonly maxClientInFlight?: number;

  /** A few words for the progress line (a virtual world: wall time and speed-up). @default none */
  progressNote?(): string;

  /**
   * Runs the runner's own real I/O (its results files, packaging). A virtual world holds its
   * clock until the work is done, so that the disk's speed never moves virtual time; the real
   * world runs it as is. @default as is
   */
  io?<T>(work: Promise<T>): Promise<T>;

  /**
   * Moves what the coordinator wrote during the run into the results directory (the ledger as
   * `<outDir>/ledger/`). Called once, after `stop`.
   */
  collect(outDir: string): Promise<void>;
}

/** A zone node of a world. */
export interface WorldNode {
  zone: string;
  nodeId: string;
}

/** What a started world tells the runner. */
export interface WorldInfo {
  /** The API's base URL when it has one (the dashboard's address); undefined in-process. */
  apiUrl: string | undefined;
  /** Where the platform is reached, for the run's log, e.g. `Lambda API at http://127.0.0.1:4599`. */
  endpoint: string;
}

/**
 * The faults that act on the world itself rather than through the admin API (gray failures and
 * brownout go through {@link AdminClient}, in every world): processes killed, paused and
 * restarted, and toxics on each zone node's link to the coordinator.
 */
export interface FaultActuator {
  /** Kills a zone node at once (power loss: no graceful stop, its warm environments are gone). */
  kill(nodeId: string): void;
  /** Stops a zone node's clock and I/O (SIGSTOP); its link stays open and silent. */
  pause(nodeId: string): void;
  /** Undoes {@link pause}. */
  resume(nodeId: string): void;
  /**
   * Starts a killed zone node again with the same zone, id and data, after its old process is
   * gone (rejects with `ProcessExitTimeoutError` if it is not gone within `exitTimeoutMs`).
   */
  restart(nodeId: string, options?: { exitTimeoutMs?: number }): Promise<void>;
  /** True when the node has a link this actuator can put toxics on. */
  hasLink(nodeId: string): boolean;
  /** Adds a toxic to a node's link; returns its id for {@link removeToxic}. */
  addToxic(nodeId: string, toxic: Toxic): string;
  removeToxic(nodeId: string, toxicId: string): void;
  /** Resets every current connection of a node's link (both ends see the connection drop). */
  resetLink(nodeId: string): void;
  /** Kills the coordinator and waits until it is gone (rejects with `ProcessExitTimeoutError`). */
  killCoordinator(options?: { exitTimeoutMs?: number }): Promise<void>;
  /** Starts the coordinator again on the same data; zone nodes redial it on their own. */
  restartCoordinator(): Promise<void>;
}
