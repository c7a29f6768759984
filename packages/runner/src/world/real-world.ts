import { rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '@zonesim/common';
import type { SigV4Credentials } from '@zonesim/coordinator';
import type { LinkProxy } from '@zonesim/link-proxy';
import { RunFile, nodeIdFor, topology, type ResolvedScenario } from '@zonesim/scenario';
import { formatKeepAlivePolicy } from '@zonesim/zone-node/core';
import { AdminClient } from '../client/admin-client.js';
import { ApiClient } from '../client/api-client.js';
import { ApiClusterClient, type ClusterClient } from '../client/cluster-client.js';
import { HttpApiTransport } from '../client/http-transport.js';
import { linkProxiesInFront } from '../cluster/link-proxies.js';
import { startLocalCluster, type LocalCluster, type SupervisorEndpoint } from '../cluster/local-cluster.js';
import { apiCredentialsFrom } from '../credentials.js';
import { RunWorldError } from '../errors.js';
import { RealFaultActuator } from './real-fault-actuator.js';
import type { FaultActuator, RunWorld, WorldInfo, WorldNode } from './run-world.js';

/** Default of {@link RealWorldOptions.readyTimeoutMs}: a ceiling for a loaded machine, not a wait. */
export const DEFAULT_WORLD_READY_TIMEOUT_MS = 60_000;

/**
 * A supervisor handed the cluster's processes and link proxies once they are up (the dashboard's
 * controls, issue 9: `ClusterSupervisor`), stopped before the cluster.
 */
export interface WorldSupervisor extends SupervisorEndpoint {
  attach(cluster: LocalCluster, proxies: ReadonlyMap<string, LinkProxy>): void;
  stop(): Promise<void>;
}

/** Settings of a {@link RealWorld}. */
export interface RealWorldOptions {
  zones: readonly string[];
  nodesPerZone: number;
  /** Root of the cluster's data (`coordinator/`, `zones/<node>/`, `logs/`). */
  dataDir: string;
  /** Flags of the coordinator process. @default [] */
  coordinatorArgs?: string[];
  /** Flags of each zone-node process. @default [] */
  zoneArgs?: string[];
  /** Time each process has to print its ready line. @default 60000 */
  readyTimeoutMs?: number;
  /** The dashboard's supervisor, when the run has one. @default none */
  supervisor?: WorldSupervisor;
  /**
   * The API key the cluster requires and the clients sign with. @default whatever
   * `ZONESIM_ACCESS_KEY_ID` and `ZONESIM_SECRET_ACCESS_KEY` say (the processes inherit them too)
   */
  credentials?: SigV4Credentials;
  /** The `zonesim` entry script. @default the bin of @zonesim/cli */
  bin?: string;
}

/** The coordinator's `--outlier-*` flags for what `cluster.outlier` sets. */
function outlierArgs(o: ResolvedScenario['cluster']['outlier']): string[] {
  const flags: Array<[string, number | undefined]> = [
    ['--outlier-consecutive-failures', o.consecutiveFailures],
    ['--outlier-failure-percent', o.failurePercent],
    ['--outlier-min-requests', o.minRequests],
    ['--outlier-interval-ms', o.intervalMs],
    ['--outlier-ejection-ms', o.ejectionMs],
    ['--outlier-max-ejected-percent', o.maxEjectedPercent],
  ];
  return flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)]));
}

/** The coordinator's flags for a scenario's `cluster:` section. */
export function coordinatorArgsFor(s: ResolvedScenario): string[] {
  const c = s.cluster;
  return [
    '--heartbeat-ms', String(c.heartbeatMs),
    '--miss-limit', String(c.missLimit),
    '--placement', c.placement,
    ...(c.placement === 'shuffle-shard' ? ['--shard-size', String(c.shardSize)] : []),
    '--detector', c.detector,
    ...outlierArgs(c.outlier),
    '--time-scale', String(c.timeScale),
    '--account-concurrency', String(c.accountConcurrency),
    '--scaling-rate', String(c.scalingRate),
    ...(c.headroom > 0 ? ['--headroom', String(c.headroom)] : []),
    ...(c.failover ? [] : ['--no-failover']),
    ...(c.ledger !== 'full' ? ['--ledger-detail', c.ledger] : []),
  ];
}

/** A zone node's flags for a scenario's `cluster:` section. */
export function zoneArgsFor(s: ResolvedScenario): string[] {
  const n = s.cluster.node;
  return [
    '--max-environments', String(n.maxEnvironments),
    '--memory-mb', String(n.memoryMb),
    '--isolation', n.isolation,
    '--keep-alive-ms', String(n.keepAliveMs),
    ...(n.keepAlivePolicy.kind === 'fixed' ? [] : ['--keep-alive-policy', formatKeepAlivePolicy(n.keepAlivePolicy)]),
    '--time-scale', String(s.cluster.timeScale),
    // CPU in proportion to memory (issue 15): memory-tuning scenarios compare durations and bills.
    ...(s.cluster.cpuModel === 'lambda' ? ['--cpu-model', 'lambda'] : []),
  ];
}

/**
 * Today's world: a coordinator and one zone-node process per node, each a real OS process, every
 * zone node's link behind its own {@link LinkProxy}, reached over HTTP (signed when the cluster
 * requires it), on the system clock. If the runner is killed, the processes exit with it (their
 * stdin is a pipe from it).
 */
export class RealWorld implements RunWorld {
  readonly clock: Clock = systemClock;
  readonly description: string;
  readonly nodes: readonly WorldNode[];
  readonly #options: RealWorldOptions;
  readonly #credentials: SigV4Credentials | undefined;
  readonly #proxies = new Map<string, LinkProxy>();
  #cluster: LocalCluster | undefined;
  #transport: HttpApiTransport | undefined;
  #client: ClusterClient | undefined;
  #api: ApiClient | undefined;
  #admin: AdminClient | undefined;
  #faults: FaultActuator | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: RealWorldOptions) {
    this.#options = options;
    this.#credentials = options.credentials ?? apiCredentialsFrom();
    this.nodes = topology({ cluster: { zones: [...options.zones], nodesPerZone: options.nodesPerZone } }).nodes.map((n) => ({ zone: n.zone, nodeId: n.nodeId }));
    this.description = `${options.zones.length} zones x ${options.nodesPerZone} node(s) behind link proxies`;
  }

  /** A world for a scenario's `cluster:` section, its data under `dataDir`. */
  static forScenario(scenario: ResolvedScenario, options: { dataDir: string; supervisor?: WorldSupervisor; credentials?: SigV4Credentials; bin?: string }): RealWorld {
    return new RealWorld({
      zones: scenario.cluster.zones,
      nodesPerZone: scenario.cluster.nodesPerZone,
      coordinatorArgs: coordinatorArgsFor(scenario),
      zoneArgs: zoneArgsFor(scenario),
      ...options,
    });
  }

  /** The cluster, once started (the dashboard's supervisor and tests look at its processes). */
  get cluster(): LocalCluster | undefined {
    return this.#cluster;
  }

  /** The link proxy in front of each zone node, by node id. */
  get proxies(): ReadonlyMap<string, LinkProxy> {
    return this.#proxies;
  }

  get client(): ClusterClient {
    return this.#started(this.#client);
  }

  get api(): ApiClient {
    return this.#started(this.#api);
  }

  get admin(): AdminClient {
    return this.#started(this.#admin);
  }

  get faults(): FaultActuator {
    return this.#started(this.#faults);
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<WorldInfo> {
    if (this.#cluster || this.#stopping) throw new RunWorldError('this world was already started');
    options.signal?.throwIfAborted();
    const o = this.#options;
    const cluster = await startLocalCluster({
      zones: [...o.zones],
      nodesPerZone: o.nodesPerZone,
      dataDir: o.dataDir,
      coordinatorArgs: o.coordinatorArgs ?? [],
      zoneArgs: o.zoneArgs ?? [],
      readyTimeoutMs: o.readyTimeoutMs ?? DEFAULT_WORLD_READY_TIMEOUT_MS,
      withoutNodeOptions: true,
      nodeIdFor,
      ...(this.#credentials ? { credentials: this.#credentials } : {}),
      ...(o.supervisor ? { supervisor: o.supervisor } : {}),
      ...(o.bin ? { bin: o.bin } : {}),
      zoneLinkUrl: linkProxiesInFront(this.#proxies),
    });
    this.#cluster = cluster;
    o.supervisor?.attach(cluster, this.#proxies);
    const transport = new HttpApiTransport(cluster.apiUrl, this.#credentials ? { credentials: this.#credentials } : {}, { clock: this.clock });
    this.#transport = transport;
    this.#client = new ApiClusterClient(transport);
    this.#api = new ApiClient(transport);
    this.#admin = new AdminClient(this.#api);
    this.#faults = new RealFaultActuator(cluster, this.#proxies, { clock: this.clock });
    return { apiUrl: cluster.apiUrl, endpoint: `Lambda API at ${cluster.apiUrl}` };
  }

  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  destroy(): void {
    const cluster = this.#cluster;
    if (cluster) for (const h of [...cluster.zoneNodes.map((z) => z.handle), cluster.coordinator]) h.signal('SIGKILL');
    for (const proxy of this.#proxies.values()) proxy.destroy();
    this.#transport?.close();
  }

  async collect(outDir: string): Promise<void> {
    const ledger = join(resolve(this.#options.dataDir), 'coordinator', 'ledger');
    if (await stat(ledger).then(() => true, () => false)) await rename(ledger, join(outDir, RunFile.LedgerDir));
  }

  async #stop(): Promise<void> {
    this.#transport?.close();
    await this.#options.supervisor?.stop();
    await this.#cluster?.stop();
    await Promise.allSettled([...this.#proxies.values()].map((p) => p.stop()));
  }

  #started<T>(value: T | undefined): T {
    if (value === undefined) throw new RunWorldError('the world is not started');
    return value;
  }
}
