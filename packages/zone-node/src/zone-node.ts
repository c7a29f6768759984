import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { LifecycleState, createLogger, systemClock, systemEntropy, type Clock, type Entropy, type Logger } from '@zonesim/common';
import { msgpackCodec, type Codec, type Dialer } from '@zonesim/protocol';
import { CacheCodeSource } from './cache-code-source.js';
import { WsDialer } from './ws-dialer.js';
import { Turnstile } from './turnstile.js';
import { SpareRuntimes, createEnvironmentFactory } from './environment/index.js';
import { resolveZoneNodeOptions, type ResolvedZoneNodeOptions, type ZoneNodeOptions } from './options.js';
import { Sandbox } from './sandbox/sandbox.js';
import { ZoneNodeCore } from './zone-node-core.js';

export { NODE_RUNTIMES, ZONE_NODE_RUNTIMES } from './zone-node-core.js';

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
 * This is the shell around {@link ZoneNodeCore} (issue 16): it wires the core to the system clock,
 * a WebSocket dialer, the code cache on disk and HTTP code fetches, the sandbox, spare runtimes and
 * real (process, worker, custom-runtime) environments, and keeps the process alive while the link
 * backs off.
 *
 * Emits `fatal(code, reason)` when the coordinator refuses the node for good (wrong token or
 * protocol version): the process entry point decides to exit.
 */
export class ZoneNode extends EventEmitter {
  readonly options: ResolvedZoneNodeOptions;
  readonly #core: ZoneNodeCore;
  /** Runtimes started ahead of need (process isolation only). */
  readonly #spares: SpareRuntimes | undefined;
  /** What contains process environments and custom runtimes (issue 15), decided at start. */
  readonly #sandbox: Sandbox;
  readonly #code: CacheCodeSource;
  #state: LifecycleState = LifecycleState.Idle;
  #stopping: Promise<void> | undefined;
  /**
   * A ref'd handle held from start to stop. The clock's timers are unref'd, and while the link is
   * down (backoff) nothing else may hold the event loop: without this the process would quietly
   * exit instead of redialling.
   */
  #keepProcessAlive: NodeJS.Timeout | undefined;

  constructor(options: ZoneNodeOptions, components: ZoneNodeComponents = {}) {
    super();
    this.options = resolveZoneNodeOptions(options);
    const o = this.options;
    const clock = components.clock ?? systemClock;
    const log = components.logger ?? createLogger('zone-node', { bindings: { zone: o.zone, nodeId: o.nodeId } });
    this.#code = new CacheCodeSource({ root: join(o.dataDir, 'code-cache'), maxBytes: o.codeCacheBytes, clusterToken: o.clusterToken, fetchTimeoutMs: o.codeFetchTimeoutMs });
    this.#sandbox = new Sandbox(o.sandboxSettings, { workDir: join(o.dataDir, 'sandbox'), isolation: o.isolation }, { log });
    /** Cold starts and spare refills go through one per event-loop turn (see {@link Turnstile}). */
    const coldStarts = new Turnstile(clock);
    this.#spares =
      o.isolation === 'process' && o.spareRuntimes > 0 ? new SpareRuntimes({ max: o.spareRuntimes, log, sandbox: this.#sandbox, turn: () => coldStarts.pass() }) : undefined;
    const environments = createEnvironmentFactory(
      o.isolation,
      { initTimeoutMs: o.initTimeoutMs, shutdownGraceMs: o.shutdownGraceMs, memoryPollMs: o.memoryPollMs },
      { clock, sandbox: this.#sandbox, ...(this.#spares ? { spares: this.#spares } : {}) },
    );
    const sandbox = this.#sandbox;
    this.#core = new ZoneNodeCore(o, {
      clock,
      entropy: components.entropy ?? systemEntropy,
      logger: log,
      codec: components.codec ?? msgpackCodec,
      dialer: components.dialer ?? new WsDialer({ maxFrameBytes: o.maxFrameBytes, connectTimeoutMs: o.connectTimeoutMs }),
      environments,
      code: this.#code,
      coldStarts,
      sandboxReport: () => sandbox.report,
    });
    this.#core.on('fatal', (code: number, reason: string) => this.emit('fatal', code, reason));
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Starts the link; resolves once the coordinator has welcomed the node (or rejects on refusal). */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`zone node cannot start from state ${this.#state}`);
    this.#state = LifecycleState.Starting;
    this.#keepProcessAlive = setInterval(() => undefined, 1 << 30);
    await this.#code.init();
    // Before the node registers: `hello` says what contains its environments, and `--sandbox on`
    // refuses to start (SANDBOX_UNAVAILABLE) rather than run environments unsandboxed.
    await this.#sandbox.start();
    await this.#core.start(options);
    this.#state = LifecycleState.Running;
  }

  /** Stops: running invocations get `stopGraceMs`, then environments are destroyed. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = LifecycleState.Stopping;
    await this.#core.stop();
    await this.#spares?.stop();
    // The environments are gone: their cgroups, and then the node's, are removed.
    await this.#sandbox.stop();
    clearInterval(this.#keepProcessAlive);
    this.#state = LifecycleState.Stopped;
  }
}
