import { mkdtempSync } from 'node:fs';
import { cp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { seededEntropy, type BrokenSafety } from '@zonesim/common';
import { parseLedgerDetail } from '@zonesim/ledger';
import type { Toxic } from '@zonesim/link-proxy';
import { RunFile, topology, type EnvironmentTotals, type ResolvedScenario } from '@zonesim/scenario';
import { resolveKeepAlivePolicy } from '@zonesim/zone-node/core';
import type { Codec } from '@zonesim/protocol';
import type { ProcessClock } from '@zonesim/sim';
import { AdminClient } from '../client/admin-client.js';
import { ApiClient } from '../client/api-client.js';
import { ApiClusterClient } from '../client/cluster-client.js';
import { ApiConnectionError, RunWorldError } from '../errors.js';
import type { ZonesView } from '../client/admin-types.js';
import type { CoordinatorCore } from '@zonesim/coordinator';
import type { FaultActuator, RunWorld, WorldInfo, WorldNode } from '../world/run-world.js';
import { FrontClusterClient } from './front-cluster-client.js';
import { InProcessApiTransport } from './in-process-transport.js';
import { VirtualCluster, type ClusterObserver, type VirtualClusterOptions } from './virtual-cluster.js';

/**
 * The scenario's world in virtual time (issue 16): a {@link VirtualCluster} (the real cores on one
 * simulated clock and an in-memory network), reached in-process by the same clients as the real
 * world, with every fault of the scenario format acting on simulated processes and links. The
 * runner's own clock is the harness's: faults never pause it.
 *
 * Everything runs only while the simulation is driven: `world.drive(run.runUntil())`.
 */
export class VirtualWorld implements RunWorld {
  readonly cluster: VirtualCluster;
  readonly clock: ProcessClock;
  readonly description: string;
  readonly nodes: readonly WorldNode[];
  readonly client: FrontClusterClient;
  readonly api: ApiClient;
  readonly admin: AdminClient;
  readonly faults: FaultActuator;
  /** In-process invocations cost no socket: the load may keep a million in flight. */
  readonly maxClientInFlight = 1_000_000;
  readonly #dataDir: string;
  readonly #transport: InProcessApiTransport;
  #stopping: Promise<void> | undefined;
  #wallStart = 0;
  #virtualStart = 0;

  readonly #scratch: boolean;
  readonly #keepAlivePolicy: string;

  constructor(options: VirtualClusterOptions & { scratch?: boolean }) {
    this.#scratch = options.scratch === true;
    this.#keepAlivePolicy = options.node?.keepAlivePolicy?.kind ?? 'fixed';
    this.cluster = new VirtualCluster(options);
    this.#dataDir = options.dataDir;
    this.clock = this.cluster.harnessClock;
    this.nodes = options.nodes.map((n) => ({ zone: n.zone, nodeId: n.nodeId }));
    const zones = new Set(options.nodes.map((n) => n.zone)).size;
    this.description = `${zones} zones x ${options.nodes.length / Math.max(1, zones)} node(s) in virtual time (seed ${String(options.seed)})`;
    this.#transport = new InProcessApiTransport(() => this.cluster.api, { clock: this.clock });
    this.client = new FrontClusterClient({
      core: () => this.cluster.coordinator,
      clock: this.clock,
      entropy: seededEntropy(`${String(options.seed)}:clients`),
      fallback: new ApiClusterClient(this.#transport),
    });
    this.cluster.onCoordinatorCrash(() => {
      this.#transport.resetAll();
      this.client.resetAll();
    });
    this.api = new ApiClient(this.#transport);
    this.admin = new CoreAdminClient(this.api, () => this.cluster.coordinator);
    this.faults = new VirtualFaultActuator(this.cluster);
  }

  /**
   * A virtual world for a scenario's `cluster:` section. The coordinator's data (SQLite files,
   * ledger) goes under `<dataDir>/coordinator`, or, with `scratchDir` (e.g. a tmpfs), under a fresh
   * directory there, removed after `collect` has moved the ledger to the results.
   */
  static forScenario(scenario: ResolvedScenario, options: { dataDir: string; scratchDir?: string; linkCodec?: Codec; observer?: ClusterObserver; brokenSafety?: BrokenSafety }): VirtualWorld {
    const c = scenario.cluster;
    const nodes = topology({ cluster: { zones: [...c.zones], nodesPerZone: c.nodesPerZone } }).nodes.map((n) => ({ zone: n.zone, nodeId: n.nodeId }));
    return new VirtualWorld({
      seed: scenario.seed,
      scratch: options.scratchDir !== undefined,
      dataDir: options.scratchDir
        ? join(mkdtempSync(join(options.scratchDir, 'zonesim-virtual-')), 'coordinator')
        : join(resolve(options.dataDir), 'coordinator'),
      nodes,
      ...(options.linkCodec ? { linkCodec: options.linkCodec } : {}),
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.brokenSafety ? { brokenSafety: options.brokenSafety } : {}),
      coordinator: {
        heartbeatIntervalMs: c.heartbeatMs,
        heartbeatMissLimit: c.missLimit,
        placement: c.placement,
        shardSize: c.shardSize,
        detector: c.detector,
        outlier: c.outlier,
        timeScale: c.timeScale,
        accountConcurrency: c.accountConcurrency,
        scalingRatePer10s: c.scalingRate,
        headroom: c.headroom,
        failover: c.failover,
        ledgerDetail: parseLedgerDetail(c.ledger, 'cluster.ledger'),
      },
      node: {
        maxEnvironments: c.node.maxEnvironments,
        memoryMb: c.node.memoryMb,
        isolation: c.node.isolation,
        keepAliveMs: c.node.keepAliveMs,
        keepAlivePolicy: resolveKeepAlivePolicy(c.node.keepAlivePolicy),
        timeScale: c.timeScale,
        heartbeatMissLimit: c.missLimit,
      },
    });
  }

  /** Runs the simulation until `work` settles: how a virtual run is driven from outside. */
  drive<T>(work: Promise<T>, options: { signal?: AbortSignal; maxVirtualMs?: number } = {}): Promise<T> {
    return this.cluster.sim.runUntil(work, { ...(options.signal ? { signal: options.signal } : {}), ...(options.maxVirtualMs === undefined ? {} : { maxVirtualMs: options.maxVirtualMs }) });
  }

  /** Real I/O of the runner (its files): virtual time stands still until it is done. */
  io<T>(work: Promise<T>): Promise<T> {
    return this.cluster.sim.io(work);
  }

  /**
   * Virtual time against wall time since the world started. The wall clock is read here only for
   * the terminal: nothing simulated sees it, and it is in no file of the digest.
   */
  progressNote(): string {
    const wallMs = performance.now() - this.#wallStart;
    const virtualMs = this.cluster.sim.time - this.#virtualStart;
    return `virtual ${(virtualMs / 1000).toFixed(0)}s in wall ${(wallMs / 1000).toFixed(1)}s (${(virtualMs / Math.max(1, wallMs)).toFixed(1)}x)`;
  }

  async start(_options: { signal?: AbortSignal } = {}): Promise<WorldInfo> {
    this.#wallStart = performance.now();
    this.#virtualStart = this.cluster.sim.time;
    await this.cluster.start();
    return { apiUrl: undefined, endpoint: `in-process cluster on virtual time` };
  }

  stop(): Promise<void> {
    this.#stopping ??= this.cluster.stop();
    return this.#stopping;
  }

  destroy(): void {
    for (const node of this.cluster.nodes.values()) node.process.kill();
    // As a kill: its timers gone and its stores closed (their files stay as a crash leaves them).
    this.cluster.crashCoordinator();
  }

  async collect(outDir: string): Promise<void> {
    // The pools' totals (issue 18): the ledger has no record of idle time, the nodes' pools do.
    const stats = this.cluster.environmentStats();
    const totals: EnvironmentTotals = {
      v: 1,
      keepAlivePolicy: this.#keepAlivePolicy,
      idleMemoryMbSeconds: stats.idleMemoryMbMs / 1000,
      prewarms: stats.prewarms,
      prewarmsFailed: stats.prewarmsFailed,
    };
    await writeFile(join(outDir, RunFile.Environments), `${JSON.stringify(totals)}\n`);
    const ledger = join(this.#dataDir, 'ledger');
    const to = join(outDir, RunFile.LedgerDir);
    if (await stat(ledger).then(() => true, () => false)) {
      // A scratch directory on another file system (tmpfs) cannot be renamed across: copied then.
      await rename(ledger, to).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV') throw err;
        await cp(ledger, to, { recursive: true });
      });
    }
    if (this.#scratch) await rm(dirname(this.#dataDir), { recursive: true, force: true });
  }
}

/**
 * The admin API, with one call answered from the core's values instead of JSON: the zone view the
 * zone watcher polls every 50 virtual ms (for a region of 1,000 nodes, serializing and parsing it
 * was half of a run's wall time). The same values the route sends (`membership.zones()` and the
 * placement policy), refused while the coordinator is down as the route would be.
 */
class CoreAdminClient extends AdminClient {
  readonly #core: () => CoordinatorCore | undefined;

  constructor(api: ApiClient, core: () => CoordinatorCore | undefined) {
    super(api);
    this.#core = core;
  }

  override async zones(): Promise<ZonesView> {
    const core = this.#core();
    if (!core) throw new ApiConnectionError('GET', '/zonesim/v1/zones', Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    return { zones: core.membership.zones(), placement: core.router.policyName } as unknown as ZonesView;
  }
}

/** The scenario's process and network faults on simulated processes and links. */
class VirtualFaultActuator implements FaultActuator {
  readonly #cluster: VirtualCluster;

  constructor(cluster: VirtualCluster) {
    this.#cluster = cluster;
  }

  kill(nodeId: string): void {
    this.#cluster.kill(nodeId);
  }

  pause(nodeId: string): void {
    this.#cluster.pause(nodeId);
  }

  resume(nodeId: string): void {
    this.#cluster.resume(nodeId);
  }

  async restart(nodeId: string): Promise<void> {
    this.#cluster.restart(nodeId);
  }

  hasLink(nodeId: string): boolean {
    return this.#cluster.nodes.has(nodeId);
  }

  addToxic(nodeId: string, toxic: Toxic): string {
    return this.#node(nodeId).link.addToxic(toxic);
  }

  removeToxic(nodeId: string, toxicId: string): void {
    this.#node(nodeId).link.removeToxic(toxicId);
  }

  resetLink(nodeId: string): void {
    this.#node(nodeId).link.reset();
  }

  async killCoordinator(): Promise<void> {
    this.#cluster.crashCoordinator();
  }

  async restartCoordinator(): Promise<void> {
    await this.#cluster.startCoordinator();
  }

  #node(nodeId: string) {
    const node = this.#cluster.nodes.get(nodeId);
    if (!node) throw new RunWorldError(`no zone node ${nodeId} in this world`);
    return node;
  }
}
