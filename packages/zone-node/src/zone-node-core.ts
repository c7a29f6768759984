import { EventEmitter } from 'node:events';
import { LifecycleState, SYNTHETIC_RUNTIME, withinGrace, type BrokenSafety, type Clock, type Entropy, type Logger, type TimerHandle } from '@zonesim/common';
import {
  IMAGE_RUNTIME,
  MAX_LOG_TAIL_BYTES,
  MAX_STREAM_CHUNK_BYTES,
  MAX_REPORTED_ENVIRONMENTS,
  PROTOCOL_VERSION,
  WireErrorCode,
  toWireErrorData,
  type Codec,
  type CoordinatorMessage,
  type Dialer,
  type EnvironmentReport,
  type FunctionSpec,
  type Hello,
  type Invoke,
  type InvokeResult,
  type SandboxReport,
  type Welcome,
  type ZoneMessage,
} from '@zonesim/protocol';
import { leaseOf, type CodeSource, type LeasedCode } from './code-source.js';
import { CoordinatorLink, type LinkState } from './coordinator-link.js';
import { createKeepAlivePolicy, type KeepAlivePolicySettings } from './environment/keep-alive-policy.js';
import { EnvironmentPool, logStreamName, type PoolCounts, type PoolStats } from './environment/pool.js';
import type { ResponseStreamTarget } from './environment/response-stream.js';
import type { EnvironmentFactory, EnvironmentInvokeResult } from './environment/types.js';
import { LogShipper } from './log-shipper.js';
import type { ResolvedZoneNodeOptions } from './options.js';
import { ProvisionedEnvironments } from './provisioned-environments.js';
import { WarmFloor } from './warm-floor.js';
import { JAVA_RUNTIMES, PYTHON_RUNTIMES } from './environment/runtime-names.js';
import type { ColdStartGate } from './turnstile.js';

/** Runtimes a zone node runs (all on its own Node.js; see docs/limits.md). */
export const NODE_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

/**
 * Every runtime a zone node advertises in `hello`: the Node.js ones, Python, custom runtimes and images
 * (an executable under the Runtime API), and synthetic functions (timers, no process).
 */
export const ZONE_NODE_RUNTIMES = [...NODE_RUNTIMES, ...PYTHON_RUNTIMES, ...JAVA_RUNTIMES, 'provided.al2023', 'provided.al2', IMAGE_RUNTIME, SYNTHETIC_RUNTIME];

/** How often a heartbeat carries the environment report (dashboard, issue 9). */
const ENVIRONMENT_REPORT_EVERY_MS = 500;

/**
 * The settings the core uses: a subset of {@link ResolvedZoneNodeOptions} (a resolved options
 * object is one; a simulation may build it by hand).
 */
export type ZoneNodeCoreSettings = Pick<
  ResolvedZoneNodeOptions,
  | 'coordinatorUrl'
  | 'clusterToken'
  | 'zone'
  | 'nodeId'
  | 'memoryMb'
  | 'maxEnvironments'
  | 'isolation'
  | 'keepAliveMs'
  | 'timeScale'
  | 'connectTimeoutMs'
  | 'reconnectMinMs'
  | 'reconnectMaxMs'
  | 'heartbeatMissLimit'
  | 'maxFrameBytes'
  | 'stopGraceMs'
> & {
  /** The keep-alive policy (issue 18). @default { kind: 'fixed' } (every environment kept `keepAliveMs`) */
  keepAlivePolicy?: KeepAlivePolicySettings;
  /**
   * Ship function logs (START, END, REPORT and the handler's lines) to the coordinator's log store.
   * Off in large virtual-time runs, where nobody reads them and they cost a third of a frame per
   * invocation. @default true
   */
  shipLogs?: boolean;
};

/**
 * What the core runs on, all given (no defaults here: a real process passes the system clock,
 * entropy, a WebSocket dialer, real environments and the code cache; a simulation its virtual
 * clock, seeded entropy, in-memory link, synthetic environments and packages from memory).
 */
export interface ZoneNodeCoreComponents {
  clock: Clock;
  /** Environment ids, log stream names, gray-failure draws, redial jitter. */
  entropy: Entropy;
  logger: Logger;
  /** Frames of the zone link. */
  codec: Codec;
  /** Opens the zone link. */
  dialer: Dialer;
  /** Creates execution environments. */
  environments: EnvironmentFactory;
  /** Deployment packages, pinned while environments live in them. */
  code: CodeSource;
  /** Where a cold start waits for its turn (one fork per event-loop turn). */
  coldStarts: ColdStartGate;
  /** What contains the node's environments, as `hello` reports it (read at each dial). */
  sandboxReport: () => SandboxReport;
  /** Safety switched off: a deliberately broken build for explore's self-test (issue 19); only virtual runs pass it. @default none */
  brokenSafety?: BrokenSafety;
}

/**
 * The logic of a zone node, with no socket, process, file or wall clock of its own: the session with
 * the coordinator ({@link CoordinatorLink} over the given dialer), the pool of environments, code
 * pinning, provisioned concurrency, log shipping, the invoke path (accept-by deadline, acceptance
 * before the event is handed over, gray failures), the environment report in heartbeats, degrade
 * and drop-environments. The same class runs in a zone-node process (`ZoneNode` wires it to real
 * sockets and processes) and in a deterministic simulation (virtual clock, in-memory link,
 * synthetic environments).
 *
 * Events: `connected(welcome)` at every welcome, `disconnected(code, reason)` when a registered
 * link drops, `fatal(code, reason)` when the coordinator refuses the node for good (wrong token
 * or protocol version).
 */
export class ZoneNodeCore extends EventEmitter {
  readonly settings: ZoneNodeCoreSettings;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #link: CoordinatorLink;
  readonly #pool: EnvironmentPool;
  readonly #code: CodeSource;
  readonly #coldStarts: ColdStartGate;
  readonly #running = new Set<Promise<void>>();
  /** The package each live environment runs from: its code stays pinned while it lives. */
  readonly #provisioned: ProvisionedEnvironments;
  /** Static-stability headroom the coordinator asks for (`keep-warm`). */
  readonly #warmFloor: WarmFloor;
  readonly #logs: LogShipper;
  /** Timers of answers held back by a gray failure (cleared by `abandon`). */
  readonly #slowAnswers = new Set<TimerHandle>();
  #state: LifecycleState = LifecycleState.Idle;
  /** Set by `abandon`: the process is gone, nothing may leave it any more. */
  #abandoned = false;
  /** A gray failure the coordinator injected (chaos): slow answers and failing invocations. */
  #degrade = { slowFactor: 1, failRate: 0 };
  /** Monotonic ms of the last heartbeat that carried the environment report (dashboard, issue 9). */
  #reportedAt = -Infinity;
  #welcome: Welcome | undefined;
  /** {@link #platformEnv} of the current welcome (environments only read it). */
  #platformEnvOf: { welcome: Welcome | undefined; env: Record<string, string> } | undefined;
  #stopping: Promise<void> | undefined;
  readonly #firstWelcome: { promise: Promise<Welcome>; resolve: (w: Welcome) => void; reject: (e: Error) => void };

  constructor(settings: ZoneNodeCoreSettings, components: ZoneNodeCoreComponents) {
    super();
    this.settings = settings;
    const o = settings;
    this.#clock = components.clock;
    this.#entropy = components.entropy;
    this.#log = components.logger;
    this.#code = components.code;
    this.#coldStarts = components.coldStarts;
    this.#pool = new EnvironmentPool({
      factory: components.environments,
      maxEnvironments: o.maxEnvironments,
      memoryMb: o.memoryMb,
      keepAliveMs: Math.max(1, Math.round(o.keepAliveMs / o.timeScale)),
      clock: this.#clock,
      entropy: this.#entropy,
      keepAlive: createKeepAlivePolicy(o.keepAlivePolicy ?? { kind: 'fixed' }, o.keepAliveMs, this.#clock, o.timeScale),
      ...(components.brokenSafety ? { broken: components.brokenSafety } : {}),
    });
    this.#pool.on('evicted', (e) => {
      if (this.#abandoned) return;
      // Unloaded as its invocation ended: that invocation's result says so (environmentKept: false);
      // the coordinator never counted it as idle.
      if (!e.atRelease) this.#send({ type: 'environment-evicted', environmentId: e.environmentId, specKey: e.specKey, reason: e.reason });
      // A provisioned environment that died while idle is replaced.
      if (e.reason === 'crashed') this.#provisioned.reconcile(e.specKey);
      // An environment of a warm floor aged out or died: load the floor again.
      this.#warmFloor.check(e.specKey);
    });
    this.#pool.on('prewarm', (e) => void this.#prewarm(e.spec, { keepAliveMs: e.keepAliveMs }));
    this.#warmFloor = new WarmFloor({
      environmentsOf: (specKey) => {
        const c = this.#pool.counts().bySpecKey[specKey];
        return c ? c.busy + c.idle : 0;
      },
      load: (spec) => this.#prewarm(spec, { keepAliveMs: this.#pool.keepAliveMs, alongside: true }),
    });
    this.#logs = new LogShipper({ clock: this.#clock, send: (batch) => this.#send(batch) });
    this.#provisioned = new ProvisionedEnvironments({
      pool: this.#pool,
      ensureCode: (spec) => this.#ensureCode(spec),
      environmentOptions: (spec) => ({ logStreamName: logStreamName(this.#clock.now(), spec.version, this.#entropy), platformEnv: this.#platformEnv() }),
      coldStartTurn: () => this.#coldStarts.pass(),
      onInitLog: (env, lines) => {
        if (!this.#abandoned && this.settings.shipLogs !== false) this.#logs.push(env.config.spec.functionName, env.config.logStreamName, lines, this.#clock.now());
      },
      send: (status) => this.#send(status),
      log: this.#log,
    });
    const runtimes = components.environments.runtimes ? [...components.environments.runtimes] : ZONE_NODE_RUNTIMES;
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
        sandbox: components.sandboxReport(),
        runtimes,
        ...this.#keptEnvironments(),
      }),
      heartbeat: () => ({ busyEnvironments: this.#pool.busyCount, idleEnvironments: this.#pool.idleCount, ...this.#environmentReport() }),
      codec: components.codec,
      dialer: components.dialer,
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
      this.emit('connected', welcome);
    });
    this.#link.on('disconnected', (code: number, reason: string) => this.emit('disconnected', code, reason));
    this.#link.on('fatal', (code: number, reason: string) => {
      this.#firstWelcome.reject(Object.assign(new Error(`coordinator refused this node: ${reason} (close ${code})`), { closeCode: code }));
      this.emit('fatal', code, reason);
    });
    this.#link.on('message', (m: CoordinatorMessage) => this.#onMessage(m));
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get nodeId(): string {
    return this.settings.nodeId;
  }

  get zone(): string {
    return this.settings.zone;
  }

  /** The state of the zone link. */
  get linkState(): LinkState {
    return this.#link.state;
  }

  /** The coordinator's last welcome (undefined before the first). */
  get welcome(): Welcome | undefined {
    return this.#welcome;
  }

  /** Invocations being handled (accepted and not yet answered). */
  get runningInvocations(): number {
    return this.#running.size;
  }

  /** True once {@link abandon} was called. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** The pool's busy / idle / total counts, memory in use and per-specKey counts. */
  environmentCounts(): PoolCounts {
    return this.#pool.counts();
  }

  /** What the pool measured: idle memory x time, pre-warms (issue 18). */
  environmentStats(): PoolStats {
    return this.#pool.stats();
  }

  /**
   * Starts the link; resolves once the coordinator has welcomed the node, rejects when it refuses
   * the node for good, when `signal` aborts, or when the core is abandoned first.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`zone node cannot start from state ${this.#state}`);
    this.#state = LifecycleState.Starting;
    this.#link.start();
    const signal = options.signal;
    if (!signal) await this.#firstWelcome.promise;
    else {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([this.#firstWelcome.promise, aborted]);
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }
    }
    if (this.#state === LifecycleState.Starting) this.#state = LifecycleState.Running;
  }

  /**
   * Stops gracefully: new invocations are refused (`NODE_DRAINING`), running ones get `stopGraceMs`
   * on the core's clock, then the link closes and every environment is destroyed. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#abandoned) return;
    this.#state = LifecycleState.Stopping;
    if (!(await withinGrace(Promise.all([...this.#running]), this.settings.stopGraceMs, this.#clock))) {
      this.#log.warn({ running: this.#running.size }, 'grace period over; destroying busy environments');
    }
    this.#provisioned.stop();
    this.#warmFloor.stop();
    this.#logs.stop();
    this.#link.stop();
    await this.#pool.stop();
    this.#state = LifecycleState.Stopped;
    this.#log.info('zone node stopped');
  }

  /**
   * What a simulated kill -9 does to the node: the link is terminated without a close frame, the
   * core's timers (link, heartbeats, log batching, held-back answers, keep-alives) are cleared,
   * environments are destroyed at once (no grace is awaited), and nothing is sent any more: pending
   * answers, evictions, log lines and provisioned-status are dropped. `start()` still waiting
   * rejects. Synchronous, idempotent, never throws; the core cannot be used afterwards.
   */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#state = LifecycleState.Stopped;
    const step = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        this.#log.warn({ err, step: what }, 'abandon step failed');
      }
    };
    step('link', () => this.#link.abandon());
    step('first welcome', () => this.#firstWelcome.reject(new Error('zone node abandoned')));
    step('provisioned', () => this.#provisioned.stop());
    step('warm floor', () => this.#warmFloor.stop());
    step('logs', () => this.#logs.discard());
    step('answers', () => {
      for (const t of this.#slowAnswers) this.#clock.clearTimeout(t);
      this.#slowAnswers.clear();
    });
    step('environments', () => {
      this.#pool.stop().catch((err: unknown) => this.#log.warn({ err }, 'destroying environments of an abandoned node failed'));
    });
  }

  /** Sends one message; false when the link is down or the core was abandoned. */
  /**
   * What the node kept from an earlier session, for its hello: warm on-demand environments (for warm
   * placement; provisioned ones are not warm capacity, counting them there would count them twice),
   * busy ones (old work that holds slots) and provisioned ones per configuration (they hold slots
   * before the coordinator sends this session any target).
   */
  #keptEnvironments(): Pick<Hello, 'warm' | 'busy' | 'provisioned'> {
    const bySpec = Object.entries(this.#pool.counts().bySpecKey);
    return {
      warm: bySpec.filter(([, c]) => c.idle - c.provisioned > 0).map(([specKey, c]) => ({ specKey, idle: c.idle - c.provisioned })),
      busy: this.#pool.busyCount,
      provisioned: bySpec.filter(([, c]) => c.provisioned > 0).map(([specKey, c]) => ({ specKey, count: c.provisioned })),
    };
  }

  #send(message: ZoneMessage): boolean {
    if (this.#abandoned) return false;
    return this.#link.send(message);
  }

  #onMessage(message: CoordinatorMessage): void {
    if (this.#abandoned) return;
    if (message.type === 'invoke') {
      const run = this.#invoke(message).catch((err: unknown) => {
        this.#log.error({ err, invocationId: message.invocationId }, 'invocation handling failed');
        this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err) });
      });
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    } else if (message.type === 'keep-warm') {
      this.#log.info({ function: message.fn.functionName, version: message.fn.version, count: message.count }, 'warm floor (static-stability headroom)');
      this.#warmFloor.set(message.fn, message.count);
    } else if (message.type === 'provision') {
      this.#log.info({ function: message.fn.functionName, version: message.fn.version, count: message.count }, 'provisioned concurrency target');
      this.#provisioned.setTarget(message.fn, message.count);
    } else if (message.type === 'degrade') {
      const changed = message.slowFactor !== this.#degrade.slowFactor || message.failRate !== this.#degrade.failRate;
      this.#degrade = { slowFactor: message.slowFactor, failRate: message.failRate };
      if (changed) this.#log.warn(this.#degrade, message.slowFactor === 1 && message.failRate === 0 ? 'gray failure healed' : 'gray failure injected');
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
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.NodeDraining, message: 'zone node is stopping' } });
      return;
    }
    if (receivedAt > message.acceptBy) {
      // The coordinator may already have declared this node down (it was frozen, or its loop was
      // blocked) and placed the invocation elsewhere: running it now would run it twice.
      this.#log.warn({ invocationId: message.invocationId, lateByMs: receivedAt - message.acceptBy }, 'invocation arrived after its accept deadline; refusing');
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.DispatchExpired, message: 'arrived after its accept deadline' } });
      return;
    }
    // The acceptance must have left before the environment gets the event (awaited below): the
    // coordinator re-dispatches an invocation it never saw accepted, so a node killed between the
    // two would otherwise have run a synchronous invocation that then runs again elsewhere. Code
    // and environment are made ready meanwhile; no user code runs before it is written.
    const acceptanceWritten = this.#link.sendWritten({ type: 'invoke-accepted', invocationId: message.invocationId });
    if (this.#degrade.failRate > 0 && this.#entropy.random() < this.#degrade.failRate) {
      // Gray failure: the node is alive and answers heartbeats, but this invocation fails in the platform.
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: { code: WireErrorCode.EnvironmentFailed, message: 'gray failure injected on this zone node' } });
      return;
    }
    const fn = message.fn;
    let code: LeasedCode;
    try {
      // Pinned: a new environment takes the lease over (and releases it when it dies); else it goes back below.
      code = await this.#ensureCode(fn);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, sha: fn.codeSha256Hex }, 'code unavailable');
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err, WireErrorCode.CodeUnavailable) });
      return;
    }
    let lease;
    try {
      lease = await this.#pool.acquire({
        spec: fn,
        ...code.dirs,
        codeLease: code.lease,
        // No logStreamName: the pool names the stream only when it creates an environment (a warm
        // invoke needs none, and naming one costs random bytes).
        platformEnv: this.#platformEnv(),
      });
    } catch (err) {
      code.lease.release();
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err) });
      return;
    }
    const env = lease.environment;
    // A new environment keeps the pin for its whole life; a warm one already holds its own.
    if (!lease.cold) code.lease.release();
    // Synthetic environments fork nothing, so they skip the turnstile (thousands may start at once).
    if (lease.cold && fn.runtime !== SYNTHETIC_RUNTIME) await this.#coldStarts.pass();
    if (!(await acceptanceWritten) || this.#abandoned) {
      // The link went down first: the coordinator fails or re-dispatches this invocation; it must not run here.
      // A new environment that never started is dropped rather than kept as a "warm" one.
      if (lease.cold) await env.destroy('link lost before the invocation started');
      this.#pool.release(env);
      this.#log.warn({ invocationId: message.invocationId }, 'link lost before the invocation was acknowledged; not running it');
      return;
    }
    let result: EnvironmentInvokeResult;
    let provisionedAtEnd = lease.provisioned;
    try {
      result = await env.invoke({
        requestId: message.requestId,
        payload: message.payload,
        invokedFunctionArn: message.invokedFunctionArn,
        ...(message.clientContext === undefined ? {} : { clientContext: message.clientContext }),
        ...(message.stream === undefined ? {} : { stream: this.#chunkSender(message.invocationId, message.stream.maxBytes) }),
      });
    } catch (err) {
      // Only platform failures reject (the environment could not be created); user-code errors
      // come back as results. Nothing ran, so the router may place the invocation elsewhere.
      this.#send({ type: 'invoke-rejected', invocationId: message.invocationId, error: toWireErrorData(err, WireErrorCode.EnvironmentFailed) });
      return;
    } finally {
      // Still provisioned at its end: one lowered meanwhile (its share moved to another node) no
      // longer counts as provisioned concurrency, which the new share's environment now is.
      provisionedAtEnd = lease.provisioned && this.#pool.isProvisioned(env.id);
      this.#pool.release(env);
    }
    if (this.#abandoned) return;
    // The keep-alive policy may have unloaded it as it was released (to pre-warm another later).
    const kept = result.environmentKept && this.#pool.has(env.id);
    const answer = this.#toResult(message, { ...result, environmentKept: kept }, { environmentId: env.id, cold: lease.cold, provisioned: provisionedAtEnd }, receivedAt);
    this.#shipLog(env.config.logStreamName, fn, result);
    if (this.#degrade.slowFactor > 1) {
      // Gray failure: the answer comes back slowFactor times later than it could have. Scaled by
      // the invocation's own work (INIT and handler), not by the time since it arrived: a node
      // paused meanwhile held its answer back for tens of seconds after the run (found by zonesim
      // explore, issue 19: invocations still running on a node long after their callers had gone).
      const extraMs = (this.#degrade.slowFactor - 1) * Math.max(1, (result.initMs ?? 0) + result.durationMs);
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(() => {
          this.#slowAnswers.delete(timer);
          resolve();
        }, extraMs);
        this.#slowAnswers.add(timer);
      });
    }
    this.#send(answer);
    // A provisioned environment the invocation destroyed (crash, timeout, OOM) is replaced.
    if (lease.provisioned && !result.environmentKept) this.#provisioned.reconcile(fn.specKey);
  }

  /**
   * Loads an environment the keep-alive policy asked for ahead of an expected invocation: the code
   * is made ready and pinned, the cold start takes its turn, the pool runs INIT, and the
   * coordinator hears of one more warm environment (`environment-ready`) so that it places the
   * next invocation here. Failures are logged and dropped: a pre-warm is an optimisation.
   */
  async #prewarm(spec: FunctionSpec, options: { keepAliveMs: number; alongside?: boolean }): Promise<boolean> {
    if (this.#abandoned || this.#state === LifecycleState.Stopping || this.#state === LifecycleState.Stopped) return false;
    let code: LeasedCode;
    try {
      code = await this.#ensureCode(spec);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, function: spec.functionName }, 'pre-warm: code unavailable');
      return false;
    }
    try {
      if (spec.runtime !== SYNTHETIC_RUNTIME) await this.#coldStarts.pass();
      const created = this.#abandoned
        ? undefined
        : await this.#pool.prewarm(
            { spec, ...code.dirs, codeLease: code.lease, logStreamName: logStreamName(this.#clock.now(), spec.version, this.#entropy), platformEnv: this.#platformEnv() },
            { keepAliveMs: options.keepAliveMs, ...(options.alongside ? { alongside: true } : {}) },
          );
      if (created && this.settings.shipLogs !== false && !this.#abandoned) {
        this.#logs.push(spec.functionName, created.environment.config.logStreamName, created.result.logLines, this.#clock.now());
      }
      const env = created?.environment;
      // No environment took the code: give the pin back (a lease is released once; one that died has).
      if (!env) code.lease.release();
      if (!env || !created.result.ok || !this.#pool.has(env.id) || this.#abandoned) return false;
      this.#send({ type: 'environment-ready', environmentId: env.id, specKey: spec.specKey });
      return true;
    } catch (err) {
      code.lease.release();
      this.#log.warn({ err: (err as Error).message, function: spec.functionName }, 'pre-warm failed');
      return false;
    }
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

  /** Makes a function's code available and pins it; resolves with its directories and the pin's lease. */
  async #ensureCode(fn: FunctionSpec): Promise<LeasedCode> {
    const dirs = await this.#code.ensure(fn, { codeBaseUrl: this.#welcome?.codeBaseUrl ?? '' });
    return { dirs, lease: leaseOf(this.#code, fn) };
  }

  /** Sends an invocation's log to its environment's log stream: END and REPORT at its end, the rest at its start. */
  #shipLog(logStream: string, fn: FunctionSpec, result: EnvironmentInvokeResult): void {
    if (this.settings.shipLogs === false) return;
    const lines = result.logLines;
    let split = lines.length;
    while (split > 0 && /^(END|REPORT) RequestId: /.test(lines[split - 1]!)) split--;
    this.#logs.push(fn.functionName, logStream, lines.slice(0, split), result.startedAt);
    this.#logs.push(fn.functionName, logStream, lines.slice(split), result.endedAt);
  }

  /**
   * What the platform adds to every environment: the region's endpoint for every AWS service
   * (`AWS_ENDPOINT_URL`, and per service for Lambda and SQS, which SDKs read before the general one)
   * and credentials, so that an SDK call from a handler reaches this platform and never real AWS
   * (services the region does not run answer 501 naming themselves), as on Lambda where the role's
   * credentials are in the environment.
   */
  #platformEnv(): Record<string, string> {
    // Built once per session's welcome, not per invocation (a virtual run's profile showed it).
    const cached = this.#platformEnvOf;
    if (cached && cached.welcome === this.#welcome) return cached.env;
    const env = Object.freeze(this.#buildPlatformEnv());
    this.#platformEnvOf = { welcome: this.#welcome, env };
    return env;
  }

  #buildPlatformEnv(): Record<string, string> {
    const apiUrl = this.#welcome?.apiUrl;
    if (!apiUrl) return {};
    const endpoints = { AWS_ENDPOINT_URL: apiUrl, AWS_ENDPOINT_URL_LAMBDA: apiUrl, AWS_ENDPOINT_URL_SQS: apiUrl };
    const credentials = this.#welcome?.credentials;
    if (credentials) return { ...endpoints, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
    return { ...endpoints, AWS_ACCESS_KEY_ID: 'zonesim', AWS_SECRET_ACCESS_KEY: 'zonesim', AWS_SESSION_TOKEN: 'zonesim' };
  }

  /**
   * Sends a streaming handler's bytes to the coordinator as they are written: `invoke-chunk`
   * frames of at most MAX_STREAM_CHUNK_BYTES, in order, ahead of the invocation's result.
   */
  #chunkSender(invocationId: string, maxBytes: number): ResponseStreamTarget {
    return {
      maxBytes,
      write: (data, contentType) => {
        for (let at = 0; at < data.byteLength; at += MAX_STREAM_CHUNK_BYTES) {
          const piece = data.subarray(at, Math.min(data.byteLength, at + MAX_STREAM_CHUNK_BYTES));
          this.#send({ type: 'invoke-chunk', invocationId, data: piece, ...(at === 0 && contentType !== undefined ? { contentType } : {}) });
        }
      },
    };
  }

  #toResult(message: Invoke, r: EnvironmentInvokeResult, where: { environmentId: string; cold: boolean; provisioned: boolean }, receivedAt: number): InvokeResult {
    // The environment already turned an oversize response into Function.ResponseSizeTooLarge.
    const result: InvokeResult = {
      type: 'invoke-result',
      invocationId: message.invocationId,
      outcome: r.outcome,
      placement: {
        zone: this.settings.zone,
        nodeId: this.settings.nodeId,
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
    if (r.streamed) result.streamed = true;
    if (r.contentType !== undefined) result.contentType = r.contentType;
    if (message.logTail) result.logTail = tail(r.logLines.join('\n') + '\n', MAX_LOG_TAIL_BYTES);
    return result;
  }
}

function tail(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return bytes.subarray(bytes.length - maxBytes).toString('utf8');
}
