import { join } from 'node:path';
import type { CodeStore } from '@zonesim/code';
import type { LedgerSink } from '@zonesim/ledger';
import { INTACT, LifecycleState, withinGrace, type BrokenSafety, type Clock, type Entropy, type Logger, type TimerHandle } from '@zonesim/common';
import { CloseCode, type Codec, type LogEvents, type ProvisionedStatus } from '@zonesim/protocol';
import { AsyncInvocations } from './async-invocations.js';
import type { SigV4Verifier } from './auth/sigv4-verifier.js';
import { FaultWindows } from './chaos/fault-windows.js';
import { ZoneDegradations } from './chaos/zone-degradations.js';
import { ConcurrencyLimits } from './concurrency/concurrency-limits.js';
import { ScalingRate } from './concurrency/scaling-rate.js';
import { serviceException } from './errors.js';
import type { Brownout } from './http/chaos-routes.js';
import type { ImageBuilder } from './images/image-builder.js';
import { InvocationPipeline } from './invocation/invocation-pipeline.js';
import { InvokeFront } from './invocation/invoke-front.js';
import { Throttles } from './invocation/throttles.js';
import { InvocationLedger } from './ledger/invocation-ledger.js';
import { LogStore } from './logs/log-store.js';
import { Membership } from './membership/membership.js';
import { ZoneLinkAcceptor } from './membership/zone-link-acceptor.js';
import type { ResolvedCoordinatorOptions } from './options.js';
import { ProvisionedConcurrency } from './provisioned/provisioned-concurrency.js';
import { StaticHeadroom } from './provisioned/static-headroom.js';

/** How often static-stability floors are recomputed. */
const HEADROOM_TICK_MS = 1_000;
import { queueDestinationDelivery } from './queues/queue-destination.js';
import { QueueService } from './queues/queue-service.js';
import { Registry } from './registry/registry.js';
import { RegistryStore } from './registry/registry-store.js';
import { PLACEMENT_POLICIES, type PlacementPolicy } from './router/placement.js';
import { Router } from './router/router.js';
import { Triggers } from './triggers/triggers.js';
import type { PackageJobs } from './uploads/package-jobs.js';

/**
 * What a coordinator core is given (issue 16): time, ids and draws, the log, and the few ports to
 * the outside world. Nothing has a default: a real process passes the system clock and entropy, a
 * simulation its virtual clock and a seeded entropy.
 */
export interface CoordinatorCoreComponents {
  clock: Clock;
  entropy: Entropy;
  logger: Logger;
  codec: Codec;
  /** Where packages are stored, content-addressed (`<dataDir>/code`). */
  codeStore: CodeStore;
  /** Package work: worker threads in a real process, inline in virtual time. */
  jobs: PackageJobs;
  /** Container images, when the coordinator has a place for them. */
  images?: ImageBuilder;
  /**
   * Makes the ledger's file writer for its directory. @default the buffered async `LedgerWriter`;
   * virtual time passes a `SyncLedgerWriter`, whose writes never depend on the disk's speed.
   */
  ledgerSink?: (dir: string) => LedgerSink;
  /** Checks SigV4 on function URLs with `AuthType: AWS_IAM` (the API's own requests are checked by the front door). */
  verifier?: SigV4Verifier;
  placement?: PlacementPolicy;
  /** The Lambda API's base URL as clients reach it (queue URLs, function URLs, the zone nodes' API endpoint); read lazily. */
  apiUrl: () => string;
  /** Where zone nodes fetch code from; read lazily. */
  codeBaseUrl: () => string;
  /** The credentials handed to zone nodes for their functions' SDK calls, when the API requires signatures. */
  apiCredentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Safety mechanisms switched off: a deliberately broken build for explore's self-test (issue 19).
   * Only virtual runs pass it; a real coordinator never does. @default none
   */
  brokenSafety?: BrokenSafety;
}

/**
 * The coordinator's logic, with no I/O of its own beyond its SQLite files and its ledger (issue 16):
 * the registry, membership and the failure detector, the router and placement, concurrency and
 * scaling limits, the one invocation pipeline, the async store, dispatcher, retries, destinations and
 * dead letters, queues, triggers, provisioned concurrency, the ledger, fault windows, gray failures
 * and brownout. Zone links arrive through {@link acceptor} as `LinkConnection`s; invocations enter
 * through {@link invokeFront} and the pipeline. The real `Coordinator` puts HTTP, WebSockets, upload
 * workers and the dashboard around it; the simulator puts a virtual clock and an in-memory network.
 *
 * `start()` opens the stores and starts the timers; `stop()` closes gracefully; `crash()` is what a
 * SIGKILL leaves: nothing flushed that was not already written, every timer gone.
 */
export class CoordinatorCore {
  readonly settings: ResolvedCoordinatorOptions;
  readonly registry: Registry;
  readonly membership: Membership;
  readonly router: Router;
  readonly concurrency: ConcurrencyLimits;
  readonly throttles: Throttles;
  /** The one path of every invocation: resolve, throttle, route, record. */
  readonly invocations: InvocationPipeline;
  /** The Invoke API as values: what the HTTP route and an in-process client both call. */
  readonly invokeFront: InvokeFront;
  readonly asyncInvocations: AsyncInvocations;
  readonly provisioned: ProvisionedConcurrency;
  /** Static-stability headroom (issue 18), when `headroom` > 0. */
  readonly headroom: StaticHeadroom | undefined;
  readonly logs: LogStore;
  readonly ledger: InvocationLedger;
  readonly faults: FaultWindows;
  readonly degradations: ZoneDegradations;
  readonly queues: QueueService;
  readonly triggers: Triggers;
  /** The zone link's handshake and sessions, over any `LinkConnection`. */
  readonly acceptor: ZoneLinkAcceptor;
  /** The front door's injected failure rate (chaos): read by every entry point through {@link browningOut}. */
  readonly brownout: Brownout = { failRate: 0 };
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  #logTrimTimer: TimerHandle | undefined;
  #state: LifecycleState = LifecycleState.Idle;
  #stopping: Promise<void> | undefined;

  constructor(settings: ResolvedCoordinatorOptions, components: CoordinatorCoreComponents) {
    this.settings = settings;
    const o = settings;
    const { clock, entropy, codec } = components;
    this.#clock = clock;
    this.#entropy = entropy;
    this.#log = components.logger;
    const log = this.#log;
    const account = { region: o.region, accountId: o.accountId };
    this.registry = new Registry({
      store: components.codeStore,
      jobs: components.jobs,
      records: new RegistryStore(join(o.dataDir, 'registry.db')),
      settings: { ...account, maxUnzippedBytes: o.maxUnzippedBytes, maxZipBytes: o.maxZipBytes, activationDelayMs: o.activationDelayMs },
      clock,
      entropy,
      log,
      ...(components.images ? { images: components.images } : {}),
    });
    const broken = components.brokenSafety ?? INTACT;
    this.concurrency = new ConcurrencyLimits(o.accountConcurrency, broken);
    const scaling = new ScalingRate({ perTenSeconds: o.scalingRatePer10s, timeScale: o.timeScale, clock });
    this.throttles = new Throttles({ concurrency: this.concurrency, scaling });
    this.membership = new Membership({
      clock,
      log,
      settings: {
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        heartbeatMissLimit: o.heartbeatMissLimit,
        refusalSuspectLimit: o.refusalSuspectLimit,
        refusalProbationMs: o.refusalProbationMs,
        ...(o.detector === 'work-aware' ? { outlier: o.outlier } : {}),
      },
      broken,
    });
    this.headroom =
      o.headroom > 0
        ? new StaticHeadroom({
            settings: { headroom: o.headroom, windowMs: o.headroomWindowMs, tickMs: HEADROOM_TICK_MS },
            membership: this.membership,
            inFlight: (name) => this.concurrency.inFlight(name),
            // The spare environments are new environments: they scale at the function's rate.
            takeScalingToken: (name) => scaling.tryTake(name),
            clock,
            log,
          })
        : undefined;
    this.router = new Router({
      membership: this.membership,
      ...(this.headroom ? { observer: this.headroom } : {}),
      policy: components.placement ?? PLACEMENT_POLICIES[o.placement]({ shardSize: o.shardSize }),
      settings: {
        placementTimeoutMs: o.placementTimeoutMs,
        maxPendingInvocations: o.maxPendingInvocations,
        initTimeoutMs: o.initTimeoutMs,
        invokeGraceMs: o.invokeGraceMs,
        acceptWindowMs: o.heartbeatIntervalMs * o.heartbeatMissLimit,
      },
      throttles: this.throttles,
      clock,
      entropy,
      log,
      broken,
    });
    this.ledger = new InvocationLedger({
      settings: { dir: join(o.dataDir, 'ledger'), freeTier: o.freeTier, detail: o.ledgerDetail },
      clock,
      log,
      ...(components.ledgerSink ? { sink: components.ledgerSink(join(o.dataDir, 'ledger')) } : {}),
      broken,
    });
    this.invocations = new InvocationPipeline({ account }, { registry: this.registry, router: this.router, throttles: this.throttles, ledger: this.ledger, clock, entropy, log });
    this.faults = new FaultWindows({ file: join(o.dataDir, 'faults.ndjson'), clock });
    this.ledger.setFaultSource((t) => this.faults.activeAt(t));
    this.ledger.setGaugeSource(() => ({
      inFlight: this.invocationsInFlight,
      healthyZones: this.membership.zones().filter((z) => z.health !== 'down').length,
    }));
    this.degradations = new ZoneDegradations(this.membership);
    this.queues = new QueueService({ dataDir: o.dataDir }, { ...account, baseUrl: components.apiUrl }, { clock, entropy, logger: log });
    this.provisioned = new ProvisionedConcurrency({
      registry: this.registry,
      membership: this.membership,
      concurrency: this.concurrency,
      clock,
      log,
      account,
      onWindow: (key, window) => this.ledger.provisioned(key, window),
      joinSettleMs: o.heartbeatIntervalMs * o.heartbeatMissLimit,
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
      log,
      broken,
    });
    this.invokeFront = new InvokeFront({ account, streamResponseLimitBytes: o.streamResponseLimitBytes }, { pipeline: this.invocations, asyncInvocations: this.asyncInvocations, clock });
    this.acceptor = new ZoneLinkAcceptor({
      settings: {
        clusterToken: o.clusterToken,
        helloTimeoutMs: o.helloTimeoutMs,
        maxFrameBytes: o.maxFrameBytes,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        sendHighWaterBytes: o.sendHighWaterBytes,
        codeBaseUrl: components.codeBaseUrl,
        apiUrl: components.apiUrl,
        apiCredentials: components.apiCredentials,
      },
      codec,
      clock,
      entropy,
      log,
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
    });
    this.triggers = new Triggers(
      { dataDir: o.dataDir, region: o.region, accountId: o.accountId, timeScale: o.timeScale, baseUrl: components.apiUrl, streamResponseLimitBytes: o.streamResponseLimitBytes },
      { registry: this.registry, pipeline: this.invocations, queues: this.queues, asyncInvocations: this.asyncInvocations, clock, entropy, log, verifier: components.verifier, broken },
    );
  }

  /** Invocations the coordinator holds: in flight on zone nodes, or waiting for room. */
  get invocationsInFlight(): number {
    return this.membership.sessions().reduce((n, s) => n + s.inFlight, 0) + this.router.waiting;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /**
   * Whether the front door fails this call (injected brownout): one draw per call that a brownout
   * covers, from the core's entropy, so a seeded run fails the same calls.
   */
  browningOut(): boolean {
    return this.brownout.failRate > 0 && this.#entropy.random() < this.brownout.failRate;
  }

  /** The error a browned-out call gets: 500 `ServiceException`, before anything is accepted. */
  brownoutError(): Error {
    return serviceException('Brownout injected by zonesim: the front door failed this request.');
  }

  /**
   * Opens the stores (functions, async events, queues, triggers, logs), starts the ledger and every
   * timer, and re-queues the async events a crash left in flight (at-least-once). The data
   * directory must exist. Zone links are accepted from here on.
   */
  async start(): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`coordinator core cannot start from state ${this.#state}`);
    this.#state = LifecycleState.Starting;
    const loaded = this.registry.load();
    for (const f of this.registry.list()) if (f.reservedConcurrency !== undefined) this.concurrency.setReserved(f.name, f.reservedConcurrency);
    await this.ledger.start();
    this.provisioned.load();
    this.logs.open();
    this.queues.start();
    this.#logTrimTimer = this.#clock.setInterval(() => this.#trimLogs(), 10_000);
    if (loaded > 0) this.#log.info({ functions: loaded }, 'functions restored from the data directory');
    this.membership.start();
    this.headroom?.start();
    // Events a crash left in flight are queued again here: delivery is at-least-once.
    this.asyncInvocations.start();
    // Mappings resume polling and schedules their timers; function URLs answer from here on.
    this.triggers.start();
    this.#state = LifecycleState.Running;
  }

  /**
   * Graceful stop, in two halves around the shell's own closing: `beginStop` refuses new work and
   * closes the zone links; the returned promise settles when pollers, async attempts, queues and
   * stores are done and the ledger has every record.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** The first half of {@link stop}: membership stopped, zone links closed, the router refusing. */
  beginStop(): void {
    if (this.#state === LifecycleState.Stopping || this.#state === LifecycleState.Stopped) return;
    this.#state = LifecycleState.Stopping;
    this.membership.stop();
    this.headroom?.stop();
    this.provisioned.stop();
    if (this.#logTrimTimer !== undefined) this.#clock.clearInterval(this.#logTrimTimer);
    this.membership.closeAll(CloseCode.GoingAway, 'coordinator stopping');
    this.router.stop();
  }

  async #stop(): Promise<void> {
    if (this.#state === LifecycleState.Idle) {
      this.#state = LifecycleState.Stopped;
      return;
    }
    this.beginStop();
    // Pollers finish the batches they are invoking; one waiting for capacity must not hold the stop.
    if (!(await withinGrace(this.triggers.stop(), this.settings.stopGraceMs, this.#clock))) this.#log.warn('event source mapping pollers still busy at the end of the grace period');
    await this.asyncInvocations.stop();
    this.queues.stop();
  }

  /**
   * The second half of a graceful stop, after the shell's connections are gone: the stores closed
   * and, last, the ledger, so that attempts that finished during the grace period are recorded.
   */
  async close(): Promise<void> {
    await this.stop();
    this.registry.stop();
    this.logs.close();
    this.#closeFaults();
    await this.ledger.stop();
    this.#state = LifecycleState.Stopped;
  }

  /**
   * What a SIGKILL leaves (virtual time's coordinator restart): every zone link dropped at once,
   * timers gone, the SQLite files closed with what was committed and nothing else (waiters of a
   * group commit were never acknowledged, as after kill -9), the ledger's buffered records lost as
   * a real crash loses them. The data directory is then opened by a new core. Never throws.
   */
  crash(): void {
    this.#state = LifecycleState.Stopped;
    const attempt = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        this.#log.debug({ err: (err as Error).message, what }, 'crash: ignored');
      }
    };
    attempt('membership', () => this.membership.stop());
    attempt('headroom', () => this.headroom?.stop());
    if (this.#logTrimTimer !== undefined) this.#clock.clearInterval(this.#logTrimTimer);
    attempt('links', () => this.membership.closeAll(CloseCode.GoingAway, 'coordinator crashed'));
    attempt('router', () => this.router.stop());
    attempt('triggers', () => void this.triggers.stop().catch(() => undefined));
    attempt('async', () => this.asyncInvocations.abandon());
    attempt('queues', () => this.queues.abandon());
    attempt('registry', () => this.registry.stop());
    attempt('logs', () => this.logs.close());
    // The ledger is left as it is: its timers die with the process's clock, and records it had not
    // written are lost, as a real crash loses them. A new core opens the next ledger file.
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
