import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CodeStore } from '@zonesim/code';
import { LifecycleState, createLogger, systemClock, withinGrace, type Clock, type Logger, systemEntropy, type Entropy } from '@zonesim/common';
import { CloseCode, msgpackCodec, type Codec } from '@zonesim/protocol';
import type { AsyncInvocations } from './async-invocations.js';
import { SigV4Verifier } from './auth/sigv4-verifier.js';
import type { ConcurrencyLimits } from './concurrency/concurrency-limits.js';
import type { LogStore } from './logs/log-store.js';
import type { InvocationLedger } from './ledger/invocation-ledger.js';
import type { FaultWindows } from './chaos/fault-windows.js';
import type { ZoneDegradations } from './chaos/zone-degradations.js';
import type { ProvisionedConcurrency } from './provisioned/provisioned-concurrency.js';
import type { ApiServer } from './http/api-server.js';
import type { Membership } from './membership/membership.js';
import { ZONE_LINK_PATH, type ZoneLinkServer } from './membership/zone-link-server.js';
import { isLoopbackHost, resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './options.js';
import type { Registry } from './registry/registry.js';
import { ImageBuilder } from './images/image-builder.js';
import { PackageJobs } from './uploads/package-jobs.js';
import { UploadPool } from './uploads/upload-pool.js';
import { EventLoopDelay } from './event-loop-delay.js';
import type { PlacementPolicy } from './router/placement.js';
import type { InvocationPipeline } from './invocation/invocation-pipeline.js';
import type { Router } from './router/router.js';
import { DashboardAssets } from './dashboard/dashboard-assets.js';
import { DashboardFeed } from './dashboard/dashboard-feed.js';
import { ClusterControl } from './supervisor/cluster-control.js';
import type { SupervisorChannel } from './supervisor/supervisor-messages.js';
import type { QueueService } from './queues/queue-service.js';
import { isSqsRequest } from './http/sqs-routes.js';
import type { Triggers } from './triggers/triggers.js';
import { CoordinatorCore } from './coordinator-core.js';
import { createFrontDoor, frontDoorSettings } from './front-door.js';

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
 * The coordinator process: the region's front door and control plane, a shell around a
 * {@link CoordinatorCore} (the platform's logic, issue 16). The shell owns what only a real process
 * has: the HTTP server and its route table, the zone nodes' WebSocket endpoint, the upload workers,
 * the dashboard, metrics and the event-loop monitor. `start()` listens on HTTP (the Lambda API, the
 * admin API and the zone-node WebSocket endpoint); `stop()` closes gracefully within `stopGraceMs`,
 * then destroys what is left.
 */
export class Coordinator {
  readonly options: ResolvedCoordinatorOptions;
  /** The platform's logic; the fields below are its parts, named as before the split. */
  readonly core: CoordinatorCore;
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
    const codec = components.codec ?? msgpackCodec;
    this.#log = components.logger ?? createLogger('coordinator');
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
    // SQS's JSON protocol is signed for the service `sqs`; everything else for `lambda`.
    const verifier = apiCredentials
      ? new SigV4Verifier({ credentials: [apiCredentials], service: (req) => (isSqsRequest({ method: req.method, headers: req.headers }) ? 'sqs' : 'lambda') }, { clock })
      : undefined;
    this.core = new CoordinatorCore(o, {
      clock,
      entropy,
      logger: this.#log,
      codec,
      codeStore,
      jobs,
      images,
      ...(verifier ? { verifier } : {}),
      ...(components.placement ? { placement: components.placement } : {}),
      apiUrl: () => this.#apiUrl,
      codeBaseUrl: () => `${this.#apiUrl}/zonesim/v1/code`,
      ...(apiCredentials ? { apiCredentials } : {}),
    });
    const core = this.core;
    this.registry = core.registry;
    this.membership = core.membership;
    this.router = core.router;
    this.asyncInvocations = core.asyncInvocations;
    this.concurrency = core.concurrency;
    this.invocations = core.invocations;
    this.provisioned = core.provisioned;
    this.logs = core.logs;
    this.ledger = core.ledger;
    this.faults = core.faults;
    this.degradations = core.degradations;
    this.queues = core.queues;
    this.triggers = core.triggers;
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
    const frontDoor = createFrontDoor(core, frontDoorSettings(o), {
      clock,
      entropy,
      log: this.#log,
      verifier,
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
      runtime: { eventLoop: () => this.eventLoop.snapshot(), uploads: () => this.#uploads.stats() },
    });
    this.#api = frontDoor.api;
    this.#zoneLink = frontDoor.zoneLink;
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
    // The stores are open and the timers run before the first request can arrive.
    await this.core.start();
    this.#apiUrl = await this.#api.listen(this.options.host, this.options.port);
    if (this.options.accessKeyId === undefined && !isLoopbackHost(this.options.host)) {
      this.#log.warn({ host: this.options.host }, 'the API listens beyond loopback without authentication (insecureNoAuth): anyone who can reach it can deploy and run code');
    }
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
    // Dashboard streams never end by themselves: end them first, or they hold the grace period.
    this.dashboard.stop();
    this.control.close();
    const closed = this.#api.close();
    this.core.beginStop();
    this.#zoneLink.closeAll(CloseCode.GoingAway, 'coordinator stopping');
    await this.core.stop();
    if (!(await withinGrace(closed, this.options.stopGraceMs))) {
      this.#log.warn('grace period over; destroying open connections');
    }
    this.#api.destroy();
    this.#zoneLink.terminateAll();
    // After the HTTP grace: an upload still running then has lost its caller anyway.
    await this.#uploads.stop();
    this.eventLoop.stop();
    // Last: attempts that finished during the grace period are still recorded.
    await this.core.close();
    this.#state = LifecycleState.Stopped;
    this.#log.info('coordinator stopped');
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
