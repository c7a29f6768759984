import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CodeStore } from '@zonesim/code';
import { LifecycleState, createLogger, systemClock, withinGrace, type Clock, type Logger, type TimerHandle, systemEntropy, type Entropy } from '@zonesim/common';
import { CloseCode, msgpackCodec, type Codec, type LogEvents, type ProvisionedStatus } from '@zonesim/protocol';
import { AsyncInvocations } from './async-invocations.js';
import { SigV4Verifier } from './auth/sigv4-verifier.js';
import { ConcurrencyLimits } from './concurrency/concurrency-limits.js';
import { ScalingRate } from './concurrency/scaling-rate.js';
import { LogStore } from './logs/log-store.js';
import { InvocationLedger } from './ledger/invocation-ledger.js';
import { CoordinatorMetrics } from './ledger/metrics.js';
import { FaultWindows } from './chaos/fault-windows.js';
import { ZoneDegradations } from './chaos/zone-degradations.js';
import { ProvisionedConcurrency } from './provisioned/provisioned-concurrency.js';
import { ApiServer } from './http/api-server.js';
import { Membership } from './membership/membership.js';
import { ZONE_LINK_PATH, ZoneLinkServer } from './membership/zone-link-server.js';
import { ZoneLinkAcceptor } from './membership/zone-link-acceptor.js';
import { isLoopbackHost, resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './options.js';
import { Registry } from './registry/registry.js';
import { RegistryStore } from './registry/registry-store.js';
import { ImageBuilder } from './images/image-builder.js';
import { PackageJobs } from './uploads/package-jobs.js';
import { UploadPool } from './uploads/upload-pool.js';
import { EventLoopDelay } from './event-loop-delay.js';
import { PLACEMENT_POLICIES, type PlacementPolicy } from './router/placement.js';
import { InvocationPipeline } from './invocation/invocation-pipeline.js';
import { InvokeFront } from './invocation/invoke-front.js';
import { Throttles } from './invocation/throttles.js';
import { Router } from './router/router.js';
import { DashboardAssets } from './dashboard/dashboard-assets.js';
import { DashboardFeed } from './dashboard/dashboard-feed.js';
import { ClusterControl } from './supervisor/cluster-control.js';
import type { SupervisorChannel } from './supervisor/supervisor-messages.js';
import { QueueService } from './queues/queue-service.js';
import { isSqsRequest } from './http/sqs-routes.js';
import { Triggers } from './triggers/triggers.js';
import { queueDestinationDelivery } from './queues/queue-destination.js';

/** Components a coordinator uses, injectable for tests (settings stay in {@link CoordinatorOptions}). */
export interface CoordinatorComponents {
  clock?: Clock;
  logger?: Logger;
  codec?: Codec;
  placement?: PlacementPolicy;
  /** Ids and random draws (request ids, revision ids, alias picks, jitter). @default systemEntropy */
  entropy?: Entropy;
  /**
   * The channel to the process that started this coordinator and owns its zone nodes' processes and
   * link proxies (`zonesim up`, `zonesim demo`): the dashboard's kill, freeze, partition and latency
   * controls go through it. Absent: those controls are refused (issue 9).
   */
  supervisor?: SupervisorChannel;
}

/**
 * The coordinator process: the region's front door and control plane. `start()` listens on HTTP
 * (the Lambda API, the admin API and the zone-node WebSocket endpoint); `stop()` closes gracefully
 * within `stopGraceMs`, then destroys what is left.
 */
export class Coordinator {
  readonly options: ResolvedCoordinatorOptions;
  readonly registry: Registry;
  readonly membership: Membership;
  readonly router: Router;
  readonly asyncInvocations: AsyncInvocations;
  readonly concurrency: ConcurrencyLimits;
  /** The one path of every invocation: resolve, throttle, route, record (issue 16). */
  readonly invocations: InvocationPipeline;
  readonly provisioned: ProvisionedConcurrency;
  readonly logs: LogStore;
  readonly ledger: InvocationLedger;
  readonly faults: FaultWindows;
  readonly degradations: ZoneDegradations;
  /** The live dashboard's feed and its index of recent invocations (issue 9). */
  readonly dashboard: DashboardFeed;
  /** The dashboard's controls. */
  readonly control: ClusterControl;
  /** The built-in queue service (SQS semantics, `<dataDir>/queues.db`). */
  readonly queues: QueueService;
  /** Event source mappings, schedules and function URLs (`<dataDir>/triggers.db`). */
  readonly triggers: Triggers;
  #logTrimTimer: TimerHandle | undefined;
  readonly #clock: Clock;
  readonly #api: ApiServer;
  readonly #zoneLink: ZoneLinkServer;
  readonly #log: Logger;
  readonly #uploads: UploadPool;
  /** How late this process's event loop runs (`eventLoop` in /zonesim/v1/stats; issue 15, finding 4). */
  readonly eventLoop: EventLoopDelay;
  #state: LifecycleState = LifecycleState.Idle;
  #stopping: Promise<void> | undefined;
  #apiUrl = '';

  constructor(options: CoordinatorOptions, components: CoordinatorComponents = {}) {
    this.options = resolveCoordinatorOptions(options);
    const o = this.options;
    const clock = components.clock ?? systemClock;
    const entropy = components.entropy ?? systemEntropy;
    this.#clock = clock;
    const codec = components.codec ?? msgpackCodec;
    this.#log = components.logger ?? createLogger('coordinator');
    const account = { region: o.region, accountId: o.accountId };
    const apiCredentials = o.accessKeyId !== undefined && o.secretAccessKey !== undefined
      ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey }
      : undefined;
    // Package work (parsing, inspecting, hashing, storing, image building) runs in these workers,
    // never on the event loop that answers the zone nodes' heartbeats (issue 15, finding 4).
    this.#uploads = new UploadPool(o.uploads, { log: this.#log });
    this.eventLoop = new EventLoopDelay({}, { clock });
    const codeStore = new CodeStore({ root: join(o.dataDir, 'code') });
    const jobs = new PackageJobs(this.#uploads, { storeRoot: codeStore.root });
    const images: ImageBuilder = new ImageBuilder(
      { dir: join(o.dataDir, 'images'), hostDirs: o.imageDirs },
      { inspectArchive: (path) => jobs.inspectImageArchive(path, images.settings) },
    );
    this.registry = new Registry({
      store: codeStore,
      jobs,
      records: new RegistryStore(join(o.dataDir, 'registry.db')),
      settings: { ...account, maxUnzippedBytes: o.maxUnzippedBytes, maxZipBytes: o.maxZipBytes, activationDelayMs: o.activationDelayMs },
      clock,
      entropy,
      log: this.#log,
      images,
    });
    this.concurrency = new ConcurrencyLimits(o.accountConcurrency);
    const throttles = new Throttles({
      concurrency: this.concurrency,
      scaling: new ScalingRate({ perTenSeconds: o.scalingRatePer10s, timeScale: o.timeScale, clock }),
    });
    this.membership = new Membership({
      clock,
      log: this.#log,
      settings: {
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        heartbeatMissLimit: o.heartbeatMissLimit,
        refusalSuspectLimit: o.refusalSuspectLimit,
        refusalProbationMs: o.refusalProbationMs,
      },
    });
    this.router = new Router({
      membership: this.membership,
      policy: components.placement ?? PLACEMENT_POLICIES[o.placement](),
      settings: {
        placementTimeoutMs: o.placementTimeoutMs,
        maxPendingInvocations: o.maxPendingInvocations,
        initTimeoutMs: o.initTimeoutMs,
        invokeGraceMs: o.invokeGraceMs,
        acceptWindowMs: o.heartbeatIntervalMs * o.heartbeatMissLimit,
        redispatch: o.failover,
      },
      throttles,
      clock,
      entropy,
      log: this.#log,
    });
    this.ledger = new InvocationLedger({ settings: { dir: join(o.dataDir, 'ledger'), freeTier: o.freeTier }, clock, log: this.#log });
    this.invocations = new InvocationPipeline({ account }, { registry: this.registry, router: this.router, throttles, ledger: this.ledger, clock, entropy, log: this.#log });
    this.faults = new FaultWindows({ file: join(o.dataDir, 'faults.ndjson'), clock });
    this.ledger.setFaultSource((t) => this.faults.activeAt(t));
    this.ledger.setGaugeSource(() => ({
      inFlight: this.membership.sessions().reduce((n, s) => n + s.inFlight, 0) + this.router.waiting,
      healthyZones: this.membership.zones().filter((z) => z.health !== 'down').length,
    }));
    this.degradations = new ZoneDegradations(this.membership);
    this.queues = new QueueService({ dataDir: o.dataDir }, { ...account, baseUrl: () => this.#apiUrl }, { clock, entropy, logger: this.#log });
    this.provisioned = new ProvisionedConcurrency({
      registry: this.registry,
      membership: this.membership,
      concurrency: this.concurrency,
      clock,
      log: this.#log,
      account,
      onWindow: (key, window) => this.ledger.provisioned(key, window),
    });
    this.logs = new LogStore(join(o.dataDir, 'logs.db'), { maxEventsPerFunction: o.logRetentionEvents });
    this.asyncInvocations = new AsyncInvocations({
      settings: {
        dataDir: o.dataDir,
        region: o.region,
        accountId: o.accountId,
        timeScale: o.timeScale,
        maxConcurrentAttempts: o.asyncMaxConcurrentAttempts,
        failover: o.failover,
        stopGraceMs: o.stopGraceMs,
      },
      registry: this.registry,
      pipeline: this.invocations,
      ledger: this.ledger,
      deliverToQueue: queueDestinationDelivery(this.queues),
      clock,
      entropy,
      log: this.#log,
    });
    this.#zoneLink = new ZoneLinkServer(new ZoneLinkAcceptor({
      settings: {
        clusterToken: o.clusterToken,
        helloTimeoutMs: o.helloTimeoutMs,
        maxFrameBytes: o.maxFrameBytes,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        sendHighWaterBytes: o.sendHighWaterBytes,
        codeBaseUrl: () => `${this.#apiUrl}/zonesim/v1/code`,
        apiUrl: () => this.#apiUrl,
        apiCredentials,
      },
      codec,
      clock,
      entropy,
      log: this.#log,
      onSession: (session) => {
        session.on('provisioned-status', (status: ProvisionedStatus) => this.provisioned.onStatus(session, status));
        session.on('log-events', (batch: LogEvents) => this.#storeLogs(batch));
        this.membership.add(session);
        this.degradations.onSession(session);
        // A node back from a lost link is told which of its warm environments can never be used
        // again (their function was deleted or changed meanwhile).
        const current = this.registry.currentSpecKeys();
        const stale = session.warmSpecKeys().filter((k) => !current.has(k));
        if (stale.length > 0) {
          session.forgetSpecs(stale);
          session.send({ type: 'drop-environments', specKeys: stale, reason: 'function deleted or changed while the node was away' });
        }
      },
    }));
    this.control = new ClusterControl({
      settings: { ...controlsAllowed(o), requestTimeoutMs: 30_000 },
      ...(components.supervisor ? { channel: components.supervisor } : {}),
      faults: this.faults,
      degradations: this.degradations,
      membership: this.membership,
      clock,
      log: this.#log,
    });
    this.dashboard = new DashboardFeed(o.dashboard, {
      ledger: this.ledger,
      membership: this.membership,
      asyncInvocations: this.asyncInvocations,
      faults: this.faults,
      control: this.control,
      region: o.region,
      clock,
      log: this.#log,
    });
    // SQS's JSON protocol is signed for the service `sqs`; everything else for `lambda`.
    const verifier = apiCredentials
      ? new SigV4Verifier({ credentials: [apiCredentials], service: (req) => (isSqsRequest({ method: req.method, headers: req.headers }) ? 'sqs' : 'lambda') }, { clock })
      : undefined;
    this.triggers = new Triggers(
      { dataDir: o.dataDir, region: o.region, accountId: o.accountId, timeScale: o.timeScale, baseUrl: () => this.#apiUrl },
      { registry: this.registry, pipeline: this.invocations, queues: this.queues, asyncInvocations: this.asyncInvocations, clock, entropy, log: this.#log, verifier },
    );
    this.#api = new ApiServer({
      registry: this.registry,
      router: this.router,
      concurrency: this.concurrency,
      maxUnzippedBytes: o.maxUnzippedBytes,
      asyncInvocations: this.asyncInvocations,
      invokeFront: new InvokeFront({ account }, { pipeline: this.invocations, asyncInvocations: this.asyncInvocations, clock }),
      membership: this.membership,
      zoneLink: this.#zoneLink,
      account,
      clusterToken: o.clusterToken,
      maxZipBytes: o.maxZipBytes,
      provisioned: this.provisioned,
      logs: this.logs,
      ledger: this.ledger,
      faults: this.faults,
      brownout: { failRate: 0 },
      dashboard: {
        feed: this.dashboard,
        control: this.control,
        assets: new DashboardAssets(),
        ledger: this.ledger,
        ledgerDir: join(o.dataDir, 'ledger'),
        logs: this.logs,
        asyncInvocations: this.asyncInvocations,
        settings: o.dashboard,
      },
      degradations: this.degradations,
      metrics: new CoordinatorMetrics({
        ledger: this.ledger,
        membership: this.membership,
        router: this.router,
        asyncInvocations: this.asyncInvocations,
        provisioned: this.provisioned,
      }),
      queues: this.queues,
      triggers: this.triggers,
      verifier,
      runtime: { eventLoop: () => this.eventLoop.snapshot(), uploads: () => this.#uploads.stats() },
      entropy,
      clock,
      log: this.#log,
    }, {
      listenHost: o.host,
      allowedHosts: o.allowedHosts,
      headersTimeoutMs: o.headersTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      keepAliveTimeoutMs: o.keepAliveTimeoutMs,
      maxConnections: o.maxConnections,
      checkIntervalMs: o.connectionCheckIntervalMs,
    });
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Base URL of the Lambda API, once started. */
  get apiUrl(): string {
    return this.#apiUrl;
  }

  /** WebSocket URL zone nodes connect to, once started. */
  get zoneUrl(): string {
    return this.#apiUrl.replace(/^http/, 'ws') + ZONE_LINK_PATH;
  }

  async start(): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`coordinator cannot start from state ${this.#state}`);
    this.#state = LifecycleState.Starting;
    await mkdir(this.options.dataDir, { recursive: true });
    this.eventLoop.start();
    await this.#uploads.start();
    const loaded = this.registry.load();
    for (const f of this.registry.list()) if (f.reservedConcurrency !== undefined) this.concurrency.setReserved(f.name, f.reservedConcurrency);
    await this.ledger.start();
    this.provisioned.load();
    this.logs.open();
    this.queues.start();
    this.#logTrimTimer = this.#clock.setInterval(() => this.#trimLogs(), 10_000);
    if (loaded > 0) this.#log.info({ functions: loaded }, 'functions restored from the data directory');
    this.#apiUrl = await this.#api.listen(this.options.host, this.options.port);
    if (this.options.accessKeyId === undefined && !isLoopbackHost(this.options.host)) {
      this.#log.warn({ host: this.options.host }, 'the API listens beyond loopback without authentication (insecureNoAuth): anyone who can reach it can deploy and run code');
    }
    this.membership.start();
    // Events a crash left in flight are queued again here: delivery is at-least-once.
    this.asyncInvocations.start();
    // Mappings resume polling and schedules their timers; function URLs answer from here on.
    this.triggers.start();
    this.dashboard.start();
    void this.control.refresh();
    this.#state = LifecycleState.Running;
    this.#log.info(
      { apiUrl: this.#apiUrl, zoneUrl: this.zoneUrl, dataDir: this.options.dataDir, apiAuth: this.options.accessKeyId ? 'sigv4' : 'off' },
      'coordinator listening',
    );
  }

  /** Graceful stop: no new requests, zone links closed, in-flight HTTP given `stopGraceMs`. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === LifecycleState.Idle) {
      this.#state = LifecycleState.Stopped;
      return;
    }
    this.#state = LifecycleState.Stopping;
    this.membership.stop();
    // Dashboard streams never end by themselves: end them first, or they hold the grace period.
    this.dashboard.stop();
    this.control.close();
    if (this.#logTrimTimer !== undefined) this.#clock.clearInterval(this.#logTrimTimer);
    const closed = this.#api.close();
    this.membership.closeAll(CloseCode.GoingAway, 'coordinator stopping');
    this.#zoneLink.closeAll(CloseCode.GoingAway, 'coordinator stopping');
    this.router.stop();
    // Pollers finish the batches they are invoking; one waiting for capacity must not hold the stop.
    if (!(await withinGrace(this.triggers.stop(), this.options.stopGraceMs))) this.#log.warn('event source mapping pollers still busy at the end of the grace period');
    await this.asyncInvocations.stop();
    this.queues.stop();
    if (!(await withinGrace(closed, this.options.stopGraceMs))) {
      this.#log.warn('grace period over; destroying open connections');
    }
    this.#api.destroy();
    this.#zoneLink.terminateAll();
    // After the HTTP grace: an upload still running then has lost its caller anyway.
    await this.#uploads.stop();
    this.eventLoop.stop();
    this.registry.stop();
    this.logs.close();
    this.#closeFaults();
    // Last: attempts that finished during the grace period are still recorded.
    await this.ledger.stop();
    this.#state = LifecycleState.Stopped;
    this.#log.info('coordinator stopped');
  }

  /** A zone node's batch of log lines; a store failure costs those lines, never the link. */
  #storeLogs(batch: LogEvents): void {
    try {
      this.logs.append(batch);
      if (batch.dropped > 0) this.#log.warn({ dropped: batch.dropped }, 'a zone node dropped log lines (its log buffer was full)');
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'could not store log lines');
    }
  }

  #closeFaults(): void {
    try {
      this.faults.closeAll();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'could not record the open fault windows');
    }
  }

  #trimLogs(): void {
    try {
      this.logs.trim();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'log retention failed');
    }
  }
}

/**
 * Whether the dashboard's controls may act (issue 9): on by default only when the API listens on
 * loopback (only this machine's users reach it), or behind the API's SigV4 authentication.
 */
function controlsAllowed(o: ResolvedCoordinatorOptions): { enabled: boolean; disabledReason?: string } {
  if (o.dashboard.controls === 'off') return { enabled: false, disabledReason: 'The dashboard controls are off (--dashboard-controls off).' };
  if (isLoopback(o.host) || o.accessKeyId !== undefined) return { enabled: true };
  return {
    enabled: false,
    disabledReason: `The API listens on ${o.host}, beyond loopback, without authentication: the controls are off. Start it with --access-key-id and --secret-access-key to use them.`,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
