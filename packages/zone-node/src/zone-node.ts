import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { CodeCache } from '@zonesim/code';
import { LifecycleState, SYNTHETIC_RUNTIME, createLogger, systemClock, systemEntropy, withinGrace, type Clock, type Entropy, type Logger } from '@zonesim/common';
import {
  IMAGE_RUNTIME,
  MAX_IMAGE_PACKAGE_BYTES,
  MAX_IMAGE_UNPACKED_BYTES,
  MAX_LOG_TAIL_BYTES,
  MAX_REPORTED_ENVIRONMENTS,
  PROTOCOL_VERSION,
  WireErrorCode,
  msgpackCodec,
  toWireErrorData,
  type Codec,
  type CoordinatorMessage,
  type Dialer,
  type EnvironmentReport,
  type FunctionSpec,
  type Invoke,
  type InvokeResult,
  type Welcome,
} from '@zonesim/protocol';
import { CoordinatorLink } from './coordinator-link.js';
import { WsDialer } from './ws-dialer.js';
import { Turnstile } from './turnstile.js';
import { fetchCode } from './code-fetcher.js';
import { EnvironmentPool, SpareRuntimes, logStreamName, createEnvironmentFactory, type EnvironmentInvokeResult } from './environment/index.js';
import { resolveZoneNodeOptions, type ResolvedZoneNodeOptions, type ZoneNodeOptions } from './options.js';
import { ProvisionedEnvironments } from './provisioned-environments.js';
import { LogShipper } from './log-shipper.js';
import { Sandbox } from './sandbox/sandbox.js';

/** Runtimes a zone node runs (all on its own Node.js; see docs/limits.md). */
export const NODE_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

/**
 * Every runtime a zone node advertises in `hello`: the Node.js ones, custom runtimes and images
 * (an executable under the Runtime API), and synthetic functions (timers, no process).
 */
export const ZONE_NODE_RUNTIMES = [...NODE_RUNTIMES, 'provided.al2023', 'provided.al2', IMAGE_RUNTIME, SYNTHETIC_RUNTIME];

/** How often a heartbeat carries the environment report (dashboard, issue 9). */
const ENVIRONMENT_REPORT_EVERY_MS = 500;

/** Lambda's 50 MB zipped limit bounds what a node will download. */
const MAX_PACKAGE_BYTES = 50 * 1024 * 1024;

/** Components a zone node uses, injectable for tests. */
export interface ZoneNodeComponents {
  clock?: Clock;
  /** Environment ids, log stream names, gray-failure draws, redial jitter. @default systemEntropy */
  entropy?: Entropy;
  /** Opens the zone link. @default a WebSocket dialer */
  dialer?: Dialer;
  logger?: Logger;
  codec?: Codec;
}

/**
 * A zone-node process: a host in one zone. It registers with the coordinator, receives invocations,
 * fetches and caches code on first use, and runs each invocation in an execution environment from
 * its pool (warm if one is idle, cold otherwise). It keeps its warm environments while the link is
 * down and re-registers when the link returns.
 *
 * Emits `fatal(code, reason)` when the coordinator refuses the node for good (wrong token or
 * protocol version): the process entry point decides to exit.
 */
export class ZoneNode extends EventEmitter {
  readonly options: ResolvedZoneNodeOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #link: CoordinatorLink;
  readonly #pool: EnvironmentPool;
  /** Runtimes started ahead of need (process isolation only). */
  readonly #spares: SpareRuntimes | undefined;
  /** What contains process environments and custom runtimes (issue 15), decided at start. */
  readonly #sandbox: Sandbox;
  readonly #cache: CodeCache;
  readonly #running = new Set<Promise<void>>();
  /** Cold starts go through one per event-loop turn (see {@link Turnstile}). */
  readonly #coldStarts = new Turnstile();
  /** The package each live environment runs from: its code directory stays pinned in the cache. */
  readonly #codeOfEnvironment = new Map<string, string>();
  readonly #provisioned: ProvisionedEnvironments;
  readonly #logs: LogShipper;
  #state: LifecycleState = LifecycleState.Idle;
  /** A gray failure the coordinator injected (chaos): slow answers and failing invocations. */
  #degrade = { slowFactor: 1, failRate: 0 };
  /** Monotonic ms of the last heartbeat that carried the environment report (dashboard, issue 9). */
  #reportedAt = -Infinity;
  #welcome: Welcome | undefined;
  #stopping: Promise<void> | undefined;
  /**
   * A ref'd handle held from start to stop. The clock's timers are unref'd, and while the link is
   * down (backoff) nothing else may hold the event loop: without this the process would quietly
   * exit instead of redialling.
   */
  #keepProcessAlive: NodeJS.Timeout | undefined;
  #firstWelcome: { promise: Promise<Welcome>; resolve: (w: Welcome) => void; reject: (e: Error) => void };

  constructor(options: ZoneNodeOptions, components: ZoneNodeComponents = {}) {
    super();
    this.options = resolveZoneNodeOptions(options);
    const o = this.options;
    this.#clock = components.clock ?? systemClock;
    this.#entropy = components.entropy ?? systemEntropy;
    this.#log = components.logger ?? createLogger('zone-node', { bindings: { zone: o.zone, nodeId: o.nodeId } });
    this.#cache = new CodeCache({ root: join(o.dataDir, 'code-cache'), maxBytes: o.codeCacheBytes });
    this.#sandbox = new Sandbox(o.sandboxSettings, { workDir: join(o.dataDir, 'sandbox'), isolation: o.isolation }, { log: this.#log });
    this.#spares =
      o.isolation === 'process' && o.spareRuntimes > 0 ? new SpareRuntimes({ max: o.spareRuntimes, log: this.#log, sandbox: this.#sandbox, turn: () => this.#coldStarts.pass() }) : undefined;
    this.#pool = new EnvironmentPool({
      factory: createEnvironmentFactory(
        o.isolation,
        {
          initTimeoutMs: o.initTimeoutMs,
          shutdownGraceMs: o.shutdownGraceMs,
          memoryPollMs: o.memoryPollMs,
        },
        { sandbox: this.#sandbox, ...(this.#spares ? { spares: this.#spares } : {}) },
      ),
      maxEnvironments: o.maxEnvironments,
      memoryMb: o.memoryMb,
      keepAliveMs: Math.max(1, Math.round(o.keepAliveMs / o.timeScale)),
      clock: this.#clock,
      entropy: this.#entropy,
    });
    this.#pool.on('evicted', (e: { environmentId: string; specKey: string; reason: string }) => {
      this.#releaseCode(e.environmentId);
      this.#link.send({ type: 'environment-evicted', environmentId: e.environmentId, specKey: e.specKey, reason: e.reason });
      // A provisioned environment that died while idle is replaced.
      if (e.reason === 'crashed') this.#provisioned.reconcile(e.specKey);
    });
    this.#logs = new LogShipper({ clock: this.#clock, send: (batch) => this.#link.send(batch) });
    this.#provisioned = new ProvisionedEnvironments({
      pool: this.#pool,
      ensureCode: (spec) => this.#ensureCode(spec),
      unpinCode: (spec) => this.#cache.unpin(spec.codeSha256Hex),
      adoptCode: (environmentId, spec) => this.#codeOfEnvironment.set(environmentId, spec.codeSha256Hex),
      environmentOptions: (spec) => ({ logStreamName: logStreamName(this.#clock.now(), spec.version, this.#entropy), platformEnv: this.#platformEnv() }),
      coldStartTurn: () => this.#coldStarts.pass(),
      onInitLog: (env, lines) => this.#logs.push(env.config.spec.functionName, env.config.logStreamName, lines, this.#clock.now()),
      send: (status) => this.#link.send(status),
      log: this.#log,
    });
    this.#link = new CoordinatorLink({
      settings: {
        url: o.coordinatorUrl,
        connectTimeoutMs: o.connectTimeoutMs,
        reconnectMinMs: o.reconnectMinMs,
        reconnectMaxMs: o.reconnectMaxMs,
        heartbeatMissLimit: o.heartbeatMissLimit,
        maxFrameBytes: o.maxFrameBytes,
      },
      hello: () => ({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        clusterToken: o.clusterToken,
        zone: o.zone,
        nodeId: o.nodeId,
        capacity: { memoryMb: o.memoryMb, maxEnvironments: o.maxEnvironments },
        isolation: o.isolation,
        sandbox: this.#sandbox.report,
        runtimes: ZONE_NODE_RUNTIMES,
        // Provisioned environments are left out: the coordinator re-sends their targets and learns
        // them from `provisioned-status` (counting them here too would count them twice).
        warm: Object.entries(this.#pool.counts().bySpecKey)
          .filter(([, c]) => c.idle - c.provisioned > 0)
          .map(([specKey, c]) => ({ specKey, idle: c.idle - c.provisioned })),
      }),
      heartbeat: () => ({ busyEnvironments: this.#pool.busyCount, idleEnvironments: this.#pool.idleCount, ...this.#environmentReport() }),
      codec: components.codec ?? msgpackCodec,
      dialer: components.dialer ?? new WsDialer({ maxFrameBytes: o.maxFrameBytes, connectTimeoutMs: o.connectTimeoutMs }),
      clock: this.#clock,
      entropy: this.#entropy,
      log: this.#log,
    });
    let resolve!: (w: Welcome) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Welcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.#firstWelcome = { promise, resolve, reject };
    this.#link.on('connected', (welcome: Welcome) => {
      this.#welcome = welcome;
      this.#firstWelcome.resolve(welcome);
    });
    this.#link.on('fatal', (code: number, reason: string) => {
      this.#firstWelcome.reject(Object.assign(new Error(`coordinator refused this node: ${reason} (close ${code})`), { closeCode: code }));
      this.emit('fatal', code, reason);
    });
    this.#link.on('message', (m: CoordinatorMessage) => this.#onMessage(m));
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Starts the link; resolves once the coordinator has welcomed the node (or rejects on refusal). */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`zone node cannot start from state ${this.#state}`);
    this.#state = LifecycleState.Starting;
    this.#keepProcessAlive = setInterval(() => undefined, 1 << 30);
    await this.#cache.init();
    // Before the node registers: `hello` says what contains its environments, and `--sandbox on`
    // refuses to start (SANDBOX_UNAVAILABLE) rather than run environments unsandboxed.
    await this.#sandbox.start();
    this.#link.start();
    const aborted = new Promise<never>((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
    });
    await Promise.race([this.#firstWelcome.promise, aborted]);
    this.#state = LifecycleState.Running;
  }

  /** Stops: running invocations get `stopGraceMs`, then environments are destroyed. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = LifecycleState.Stopping;
    if (!(await withinGrace(Promise.all([...this.#running]), this.options.stopGraceMs))) {
      this.#log.warn({ running: this.#running.size }, 'grace period over; destroying busy environments');
    }
    this.#provisioned.stop();
    this.#logs.stop();
    this.#link.stop();
    await this.#pool.stop();
    await this.#spares?.stop();
    // The environments are gone: their cgroups, and then the node's, are removed.
    await this.#sandbox.stop();
    clearInterval(this.#keepProcessAlive);
    this.#state = LifecycleState.Stopped;
    this.#log.info('zone node stopped');
  }

  #onMessage(message: CoordinatorMessage): void {
    if (message.type === 'invoke') {
      const run = this.#invoke(message).catch((err: unknown) => {
        this.#log.error({ err, invocationId: message.invocationId }, 'invocation handling failed');
        this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err) });
      });
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    } else if (message.type === 'provision') {
      this.#log.info({ function: message.fn.functionName, version: message.fn.version, count: message.count }, 'provisioned concurrency target');
      this.#provisioned.setTarget(message.fn, message.count);
    } else if (message.type === 'degrade') {
      this.#degrade = { slowFactor: message.slowFactor, failRate: message.failRate };
      this.#log.warn(this.#degrade, message.slowFactor === 1 && message.failRate === 0 ? 'gray failure healed' : 'gray failure injected');
    } else if (message.type === 'drop-environments') {
      const dropped = this.#pool.evictIdle(new Set(message.specKeys));
      this.#log.info({ dropped, specKeys: message.specKeys.length, reason: message.reason }, 'dropped stale environments');
    } else if (message.type === 'error') {
      this.#log.warn({ error: message.error }, 'coordinator reported an error');
    }
  }

  async #invoke(message: Invoke): Promise<void> {
    const receivedAt = this.#clock.now();
    if (this.#state === LifecycleState.Stopping || this.#state === LifecycleState.Stopped) {
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.NodeDraining, message: 'zone node is stopping' } });
      return;
    }
    if (receivedAt > message.acceptBy) {
      // The coordinator may already have declared this node down (it was frozen, or its loop was
      // blocked) and placed the invocation elsewhere: running it now would run it twice.
      this.#log.warn({ invocationId: message.invocationId, lateByMs: receivedAt - message.acceptBy }, 'invocation arrived after its accept deadline; refusing');
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.DispatchExpired, message: 'arrived after its accept deadline' } });
      return;
    }
    // The acceptance must have left before the environment gets the event (awaited below): the
    // coordinator re-dispatches an invocation it never saw accepted, so a node killed between the
    // two would otherwise have run a synchronous invocation that then runs again elsewhere. Code
    // and environment are made ready meanwhile; no user code runs before it is written.
    const acceptanceWritten = this.#link.sendWritten({ type: 'invoke-accepted', invocationId: message.invocationId });
    if (this.#degrade.failRate > 0 && this.#entropy.random() < this.#degrade.failRate) {
      // Gray failure: the node is alive and answers heartbeats, but this invocation fails in the platform.
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.EnvironmentFailed, message: 'gray failure injected on this zone node' } });
      return;
    }
    const fn = message.fn;
    let codeDir: string;
    try {
      // Pinned until we know whether a new environment will live in it (see below).
      codeDir = await this.#ensureCode(fn);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, sha: fn.codeSha256Hex }, 'code unavailable');
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err, WireErrorCode.CodeUnavailable) });
      return;
    }
    let lease;
    try {
      lease = await this.#pool.acquire({
        spec: fn,
        codeDir,
        // No logStreamName: the pool names the stream only when it creates an environment (a warm
        // invoke needs none, and naming one costs random bytes).
        platformEnv: this.#platformEnv(),
      });
    } catch (err) {
      this.#cache.unpin(fn.codeSha256Hex);
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err) });
      return;
    }
    const env = lease.environment;
    // A new environment keeps the pin for its whole life; a warm one already holds its own.
    if (lease.cold) this.#codeOfEnvironment.set(env.id, fn.codeSha256Hex);
    else this.#cache.unpin(fn.codeSha256Hex);
    // Synthetic environments fork nothing, so they skip the turnstile (thousands may start at once).
    if (lease.cold && fn.runtime !== SYNTHETIC_RUNTIME) await this.#coldStarts.pass();
    if (!(await acceptanceWritten)) {
      // The link went down first: the coordinator fails or re-dispatches this invocation; it must not run here.
      // A new environment that never started is dropped rather than kept as a "warm" one.
      if (lease.cold) await env.destroy('link lost before the invocation started');
      this.#pool.release(env);
      if (lease.cold) this.#releaseCode(env.id);
      this.#log.warn({ invocationId: message.invocationId }, 'link lost before the invocation was acknowledged; not running it');
      return;
    }
    let result: EnvironmentInvokeResult;
    try {
      result = await env.invoke({
        requestId: message.requestId,
        payload: message.payload,
        invokedFunctionArn: message.invokedFunctionArn,
        ...(message.clientContext === undefined ? {} : { clientContext: message.clientContext }),
      });
    } catch (err) {
      // Only platform failures reject (the environment could not be created); user-code errors
      // come back as results. Nothing ran, so the router may place the invocation elsewhere.
      this.#releaseCode(env.id);
      this.#link.send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err, WireErrorCode.EnvironmentFailed) });
      return;
    } finally {
      this.#pool.release(env);
    }
    if (!result.environmentKept) this.#releaseCode(env.id);
    const answer = this.#toResult(message, result, { environmentId: env.id, cold: lease.cold, provisioned: lease.provisioned }, receivedAt);
    this.#shipLog(env.config.logStreamName, fn, result);
    if (this.#degrade.slowFactor > 1) {
      // Gray failure: the answer comes back slowFactor times later than it could have.
      const extraMs = (this.#degrade.slowFactor - 1) * Math.max(1, this.#clock.now() - receivedAt);
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, extraMs));
    }
    this.#link.send(answer);
    // A provisioned environment the invocation destroyed (crash, timeout, OOM) is replaced.
    if (lease.provisioned && !result.environmentKept) this.#provisioned.reconcile(fn.specKey);
  }

  /**
   * The environments for the dashboard, in at most one heartbeat per {@link ENVIRONMENT_REPORT_EVERY_MS}
   * (bounded to MAX_REPORTED_ENVIRONMENTS entries): cheap enough at any load, fresh enough for a class.
   */
  #environmentReport(): { environments?: EnvironmentReport } {
    const now = this.#clock.monotonic();
    if (now - this.#reportedAt < ENVIRONMENT_REPORT_EVERY_MS) return {};
    this.#reportedAt = now;
    return { environments: this.#pool.environmentReport(MAX_REPORTED_ENVIRONMENTS) };
  }

  /** Unpacks (fetching if needed) and pins a function's code; resolves with its directory. */
  #ensureCode(fn: FunctionSpec): Promise<string> {
    return this.#cache.ensureUnpacked(
      fn.codeSha256Hex,
      (sha, { signal }) =>
        fetchCode({
          signal,
          baseUrl: this.#welcome?.codeBaseUrl ?? '',
          sha256Hex: sha,
          clusterToken: this.options.clusterToken,
          timeoutMs: this.options.codeFetchTimeoutMs,
          // An image's root is a larger package than a zip (docs/limits.md).
          maxBytes: fn.image ? MAX_IMAGE_PACKAGE_BYTES : MAX_PACKAGE_BYTES,
        }),
      fn.image ? { pin: true, limits: { maxZippedBytes: MAX_IMAGE_PACKAGE_BYTES, maxUnzippedBytes: MAX_IMAGE_UNPACKED_BYTES } } : { pin: true },
    );
  }

  /** Sends an invocation's log to its environment's log stream: END and REPORT at its end, the rest at its start. */
  #shipLog(logStream: string, fn: FunctionSpec, result: EnvironmentInvokeResult): void {
    const lines = result.logLines;
    let split = lines.length;
    while (split > 0 && /^(END|REPORT) RequestId: /.test(lines[split - 1]!)) split--;
    this.#logs.push(fn.functionName, logStream, lines.slice(0, split), result.startedAt);
    this.#logs.push(fn.functionName, logStream, lines.slice(split), result.endedAt);
  }

  /**
   * What the platform adds to every environment: the Lambda API endpoint and dummy credentials, so
   * a handler using the AWS SDK invokes other functions through this platform (SDKs read
   * `AWS_ENDPOINT_URL_LAMBDA`), as on Lambda where the role's credentials are in the environment.
   */
  #platformEnv(): Record<string, string> {
    const apiUrl = this.#welcome?.apiUrl;
    if (!apiUrl) return {};
    const credentials = this.#welcome?.credentials;
    if (credentials) {
      return {
        AWS_ENDPOINT_URL_LAMBDA: apiUrl,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      };
    }
    return {
      AWS_ENDPOINT_URL_LAMBDA: apiUrl,
      AWS_ACCESS_KEY_ID: 'zonesim',
      AWS_SECRET_ACCESS_KEY: 'zonesim',
      AWS_SESSION_TOKEN: 'zonesim',
    };
  }

  #releaseCode(environmentId: string): void {
    const sha = this.#codeOfEnvironment.get(environmentId);
    if (sha === undefined) return;
    this.#codeOfEnvironment.delete(environmentId);
    this.#cache.unpin(sha);
  }

  #toResult(message: Invoke, r: EnvironmentInvokeResult, where: { environmentId: string; cold: boolean; provisioned: boolean }, receivedAt: number): InvokeResult {
    // The environment already turned an oversize response into Function.ResponseSizeTooLarge.
    const result: InvokeResult = {
      type: 'invoke-result',
      invocationId: message.invocationId,
      outcome: r.outcome,
      placement: {
        zone: this.options.zone,
        nodeId: this.options.nodeId,
        environmentId: where.environmentId,
        cold: where.cold,
        ...(where.provisioned ? { provisioned: true } : {}),
      },
      timings: {
        receivedAt,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        ...(r.initMs === undefined ? {} : { initMs: r.initMs }),
        durationMs: r.durationMs,
        billedMs: r.billedMs,
        memorySizeMb: message.fn.memoryMb,
        maxMemoryUsedMb: r.maxMemoryUsedMb,
      },
      environmentKept: r.environmentKept,
    };
    if (r.payload) result.payload = r.payload;
    if (r.functionError) result.functionError = r.functionError;
    if (message.logTail) result.logTail = tail(r.logLines.join('\n') + '\n', MAX_LOG_TAIL_BYTES);
    return result;
  }
}

function tail(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return bytes.subarray(bytes.length - maxBytes).toString('utf8');
}
