import { EventEmitter } from 'node:events';
import { SafetySwitch, type BrokenSafety, type Clock, type Entropy, type TimerHandle } from '@zonesim/common';
import type { EnvironmentReport, FunctionSpec } from '@zonesim/protocol';
import { EnvironmentErrorCode, EnvironmentSettingsError, NodeCapacityError } from './errors.js';
import { FixedKeepAlive, type KeepAlivePolicy } from './keep-alive-policy.js';
import type { CodeLease, EnvironmentFactory, EnvironmentInitResult, ExecutionEnvironment, InitializationType } from './types.js';

/** Lambda keeps idle environments for about 10 minutes (measured, lambda-facts 4). */
export const DEFAULT_KEEP_ALIVE_MS = 10 * 60 * 1000;

/** Why an environment left the pool without an invocation failing in it. */
export const EvictionReason = {
  /** Idle for longer than `keepAliveMs`. */
  KeepAlive: 'keep-alive',
  /** Made room for an environment of another function version. */
  Capacity: 'capacity',
  /** Died while idle (e.g. a leftover timer threw or called process.exit). */
  Crashed: 'crashed',
  /** The pool was stopped. */
  Shutdown: 'shutdown',
  /** The coordinator said the configuration is gone (function deleted or changed while away). */
  Stale: 'stale',
  /** Provisioned concurrency of the configuration was lowered or removed. */
  Deprovisioned: 'deprovisioned',
} as const;
/** One of {@link EvictionReason}. */
export type EvictionReason = (typeof EvictionReason)[keyof typeof EvictionReason];

/** Payload of the pool's `evicted` event (the zone node forwards it as `environment-evicted`). */
export interface EnvironmentEvictedEvent {
  environmentId: string;
  specKey: string;
  reason: EvictionReason;
  /**
   * True when the keep-alive policy unloaded the environment as its invocation ended (to pre-warm
   * another later): that invocation's result reports it (`environmentKept: false`), not an eviction.
   */
  atRelease?: boolean;
}

/**
 * Payload of the pool's `prewarm` event: the keep-alive policy unloaded an environment of `spec`
 * earlier and wants a new one loaded now (the zone node fetches the code and calls
 * {@link EnvironmentPool.prewarm}), kept idle for `keepAliveMs`.
 */
export interface PrewarmDueEvent {
  spec: FunctionSpec;
  keepAliveMs: number;
}

/** Pre-warms waiting for their time at once, one per configuration at most (docs/limits.md). */
export const MAX_PENDING_PREWARMS = 1000;

/** What the pool measured since it started. */
export interface PoolStats {
  /**
   * Memory x time of environments loaded and idle (the ATC'20 paper's wasted memory time): each
   * environment's configured memory, MB, times ms it waited for an invocation, kept after one,
   * pre-warmed (from the start of its INIT) or provisioned; open idle spells count up to now.
   */
  idleMemoryMbMs: number;
  /** Environments the keep-alive policy pre-warmed (INIT started). */
  prewarms: number;
  /** Pre-warms given up: the node had no room, the pool was stopping, or INIT failed. */
  prewarmsFailed: number;
}

/** Capacity settings of one zone node. */
export interface EnvironmentPoolOptions {
  /** Most environments alive at once, busy or idle. */
  maxEnvironments: number;
  /** Memory offered to environments: the sum of their memory sizes stays at or below it, MB. */
  memoryMb: number;
  /** Idle time after which a warm environment is destroyed. @default 600000 (10 min) */
  keepAliveMs?: number;
}

/** Components of the pool (kept apart from settings; tests pass a ManualClock). */
export interface EnvironmentPoolComponents {
  factory: EnvironmentFactory;
  /** Keep-alive timers and log stream dates. */
  clock: Clock;
  /** Environment ids and log stream names. */
  entropy: Entropy;
  /** @default `env-` and a short id from `entropy` */
  newEnvironmentId?: () => string;
  /**
   * Decides how long an on-demand environment stays after its invocation, or whether it is unloaded
   * and pre-warmed later (issue 18). @default a {@link FixedKeepAlive} of `keepAliveMs`
   */
  keepAlive?: KeepAlivePolicy;
  /** Safety switched off (explore's self-test, issue 19); never set by a real zone node. @default none */
  broken?: BrokenSafety;
}

/** What to run: one function version, unpacked in `codeDir` (its layers in `optDir`). */
export interface AcquireRequest {
  spec: FunctionSpec;
  codeDir: string;
  optDir?: string;
  /** Used when a new environment is created. @default `YYYY/MM/DD/[version]<32 hex>` from the clock */
  logStreamName?: string;
  /** @default 'on-demand' */
  initializationType?: InitializationType;
  platformEnv?: Record<string, string>;
  /** The pin on the code a new environment takes over (released at its death); a warm one has its own. */
  codeLease?: CodeLease;
}

/** An environment reserved for exactly one invocation; give it back with `release`. */
export interface EnvironmentLease {
  environment: ExecutionEnvironment;
  /** True when the environment is new: its first invoke runs INIT. */
  cold: boolean;
  /** True when it is a provisioned-concurrency environment (initialised ahead of time). */
  provisioned: boolean;
}

/** Counts for heartbeats and dashboards. */
export interface PoolCounts {
  busy: number;
  idle: number;
  total: number;
  memoryMb: number;
  /** Per configuration; `provisioned` counts provisioned environments among busy and idle. */
  bySpecKey: Record<string, { busy: number; idle: number; provisioned: number }>;
}

interface Entry {
  env: ExecutionEnvironment;
  memoryMb: number;
  leased: boolean;
  /** Provisioned concurrency: initialised ahead of time, never evicted for idleness or room. */
  provisioned: boolean;
  /** Recency order of releases (the clock may not move between two releases). */
  releasedSeq: number;
  keepAlive: TimerHandle | undefined;
  /** Monotonic ms this environment became idle (loaded, no invocation); undefined while busy or gone. */
  idleSince: number | undefined;
}

/** Lambda's log stream name, one per environment: `2026/11/27/[$LATEST]<32 hex>`. */
export function logStreamName(epochMs: number, version: string, entropy: Entropy): string {
  const d = new Date(epochMs);
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[${version}]${entropy.hex32()}`;
}

function positiveInt(field: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new EnvironmentSettingsError(field, `must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * The execution environments of one zone node. `acquire` leases an idle warm environment of the
 * same `specKey` (most recently used first, as Lambda tends to reuse the hottest sandbox) or creates
 * a cold one, evicting least-recently-used idle environments of other versions when the node is out
 * of slots or memory; when everything is busy it throws `NODE_AT_CAPACITY` so the router can try
 * elsewhere. A leased environment belongs to one caller until `release`, so no environment ever
 * runs two invocations at once (one request per environment, lambda-facts 4).
 *
 * Events: `evicted` ({@link EnvironmentEvictedEvent}) when an environment leaves for a reason the
 * coordinator cannot see in an invoke result. Environments discarded by a failed invocation are
 * reported by that result (`environmentKept: false`) instead.
 */
export class EnvironmentPool extends EventEmitter<{ evicted: [EnvironmentEvictedEvent]; prewarm: [PrewarmDueEvent] }> {
  readonly maxEnvironments: number;
  readonly memoryMb: number;
  readonly keepAliveMs: number;
  readonly keepAlivePolicy: KeepAlivePolicy;
  readonly #neverEvict: boolean;
  readonly #factory: EnvironmentFactory;
  readonly #clock: Clock;
  readonly #newId: () => string;
  readonly #entropy: Entropy;
  readonly #entries = new Map<string, Entry>();
  readonly #destroying = new Set<Promise<void>>();
  /** Pre-warms waiting for their time, per configuration (insertion order: oldest first). */
  readonly #pendingPrewarms = new Map<string, TimerHandle>();
  #seq = 0;
  #stopping: Promise<void> | undefined;
  /** Idle memory x time of spells that have ended, MB x ms. */
  #idleMbMs = 0;
  #prewarms = 0;
  #prewarmsFailed = 0;

  constructor(options: EnvironmentPoolOptions & EnvironmentPoolComponents) {
    super();
    this.maxEnvironments = positiveInt('maxEnvironments', options.maxEnvironments);
    this.memoryMb = positiveInt('memoryMb', options.memoryMb);
    this.keepAliveMs = positiveInt('keepAliveMs', options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
    this.keepAlivePolicy = options.keepAlive ?? new FixedKeepAlive(this.keepAliveMs);
    this.#neverEvict = options.broken?.has(SafetySwitch.KeepAliveEviction) === true;
    this.#factory = options.factory;
    this.#clock = options.clock;
    this.#entropy = options.entropy;
    const entropy = this.#entropy;
    this.#newId = options.newEnvironmentId ?? (() => entropy.shortId('env-'));
  }

  /** Environments leased to a caller (running, or about to run, an invocation). */
  get busyCount(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.leased) n++;
    return n;
  }

  /** Warm environments waiting for an invocation. */
  get idleCount(): number {
    return this.#entries.size - this.busyCount;
  }

  /** Busy / idle / total counts, memory in use and per-specKey counts. */
  counts(): PoolCounts {
    const bySpecKey: PoolCounts['bySpecKey'] = {};
    let busy = 0;
    let memoryMb = 0;
    for (const e of this.#entries.values()) {
      const c = (bySpecKey[e.env.specKey] ??= { busy: 0, idle: 0, provisioned: 0 });
      if (e.provisioned) c.provisioned++;
      if (e.leased) {
        busy++;
        c.busy++;
      } else c.idle++;
      memoryMb += e.memoryMb;
    }
    return { busy, idle: this.#entries.size - busy, total: this.#entries.size, memoryMb, bySpecKey };
  }

  /** Idle memory x time and pre-warms since the pool started (open idle spells up to now). */
  stats(): PoolStats {
    const now = this.#clock.monotonic();
    let idle = this.#idleMbMs;
    for (const e of this.#entries.values()) if (e.idleSince !== undefined) idle += (now - e.idleSince) * e.memoryMb;
    return { idleMemoryMbMs: idle, prewarms: this.#prewarms, prewarmsFailed: this.#prewarmsFailed };
  }

  /** True while the environment is in the pool as provisioned concurrency. */
  isProvisioned(environmentId: string): boolean {
    return this.#entries.get(environmentId)?.provisioned === true;
  }

  /** True while the environment is in the pool (busy, initialising or idle). */
  has(environmentId: string): boolean {
    return this.#entries.has(environmentId);
  }

  /** Pre-warms waiting for their time (at most {@link MAX_PENDING_PREWARMS}). */
  get pendingPrewarms(): number {
    return this.#pendingPrewarms.size;
  }

  /**
   * The environments by state for the dashboard (issue 9): exact counts, and at most `max` listed,
   * busy and initializing ones first (those are what a class watches). A leased environment not yet
   * started counts as busy; one running INIT (cold start or provisioning) as initializing.
   */
  environmentReport(max: number): EnvironmentReport {
    const report: EnvironmentReport = { initializing: 0, busy: 0, idle: 0, list: [] };
    const quiet: EnvironmentReport['list'] = [];
    for (const e of this.#entries.values()) {
      const s = e.env.state;
      const state = s === 'initializing' || s === 'created' ? 'initializing' : e.leased ? 'busy' : 'idle';
      report[state]++;
      const item = { id: e.env.id, functionName: e.env.config.spec.functionName, state, ...(e.provisioned ? { provisioned: true } : {}) } as const;
      if (state === 'idle') {
        if (quiet.length < max) quiet.push(item);
      } else if (report.list.length < max) report.list.push(item);
    }
    for (const item of quiet) {
      if (report.list.length >= max) break;
      report.list.push(item);
    }
    return report;
  }

  /**
   * Leases an environment for one invocation.
   * @throws NodeCapacityError `NODE_AT_CAPACITY` when no slot or memory can be freed,
   *   `NODE_DRAINING` after `stop()`.
   */
  async acquire(request: AcquireRequest): Promise<EnvironmentLease> {
    if (this.#stopping) throw new NodeCapacityError(EnvironmentErrorCode.NodeDraining, 'the zone node is shutting down', request.spec.specKey);
    const { spec } = request;
    const warm = this.#mostRecentIdle(spec.specKey);
    if (warm) {
      this.#lease(warm);
      this.keepAlivePolicy.invocationStarted(spec.specKey);
      return { environment: warm.env, cold: false, provisioned: warm.provisioned };
    }
    this.#makeRoom(spec);
    const env = this.#factory.create({
      environmentId: this.#newId(),
      spec,
      codeDir: request.codeDir,
      ...(request.optDir === undefined ? {} : { optDir: request.optDir }),
      logStreamName: request.logStreamName ?? logStreamName(this.#clock.now(), spec.version, this.#entropy),
      initializationType: request.initializationType ?? 'on-demand',
      ...(request.platformEnv ? { platformEnv: request.platformEnv } : {}),
      ...(request.codeLease ? { codeLease: request.codeLease } : {}),
    });
    const entry: Entry = { env, memoryMb: spec.memoryMb, leased: true, provisioned: false, releasedSeq: 0, keepAlive: undefined, idleSince: undefined };
    this.#entries.set(env.id, entry);
    env.onDead?.(() => this.#onDead(entry));
    this.keepAlivePolicy.invocationStarted(spec.specKey);
    return { environment: env, cold: true, provisioned: false };
  }

  /** Provisioned environments of a configuration (initialising, busy or idle). */
  provisionedCount(specKey: string): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.provisioned && e.env.specKey === specKey) n++;
    return n;
  }

  /**
   * Creates a provisioned-concurrency environment and runs its INIT now (Lambda's
   * `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`). It then waits idle, without
   * keep-alive, and is preferred by `acquire`. A failed INIT leaves nothing behind.
   * @throws NodeCapacityError when no room can be made (provisioned environments are never evicted
   *   to make room), or the runtime cannot start.
   */
  async provision(request: AcquireRequest, options: { initTimeoutMs?: number } = {}): Promise<{ environment: ExecutionEnvironment; result: EnvironmentInitResult }> {
    if (this.#stopping) throw new NodeCapacityError(EnvironmentErrorCode.NodeDraining, 'the zone node is shutting down', request.spec.specKey);
    this.#makeRoom(request.spec);
    const { env, result, kept } = await this.#createInitialized(request, 'provisioned-concurrency', options);
    // Lowered while its INIT ran (`deprovision` made it on-demand): idle with the keep-alive like
    // any on-demand environment, not kept for good (a leak found by zonesim explore, issue 19).
    if (kept) this.#toIdle(kept, kept.provisioned ? undefined : this.keepAliveMs);
    return { environment: env, result };
  }

  /**
   * Loads a new on-demand environment of a configuration ahead of its next invocation, as the
   * keep-alive policy asked (`prewarm` event): INIT runs now (`AWS_LAMBDA_INITIALIZATION_TYPE`
   * stays `on-demand`; it is not provisioned concurrency), then the environment waits idle for
   * `keepAliveMs` and the next invocation finds it warm. Resolves with the environment and its INIT
   * result (a failed INIT leaves nothing behind), or undefined when there is no room (no other
   * environment is evicted for it), the pool is stopping, or the configuration already has an
   * environment here. Its idle memory counts from the start of INIT.
   */
  async prewarm(
    request: AcquireRequest,
    options: { keepAliveMs: number; initTimeoutMs?: number; /** Load it even when the configuration has environments here (a warm floor asks for several). */ alongside?: boolean },
  ): Promise<{ environment: ExecutionEnvironment; result: EnvironmentInitResult } | undefined> {
    const { spec } = request;
    if (!options.alongside && this.#holds(spec.specKey)) return undefined;
    if (this.#stopping || !this.#fitsWithoutEviction(spec)) {
      this.#prewarmsFailed++;
      return undefined;
    }
    let started = false;
    let created;
    try {
      created = await this.#createInitialized(request, 'on-demand', options.initTimeoutMs === undefined ? {} : { initTimeoutMs: options.initTimeoutMs }, () => {
        started = true;
        this.#prewarms++;
      });
    } catch (err) {
      // A pre-warm that started and then failed (a runtime that could not start is not counted).
      if (started) this.#prewarmsFailed++;
      throw err;
    }
    if (created.kept) this.#toIdle(created.kept, options.keepAliveMs);
    else this.#prewarmsFailed++;
    return { environment: created.env, result: created.result };
  }

  /**
   * Creates an environment and runs its INIT now, for provisioned concurrency or a pre-warm. It is
   * leased while INIT runs, so that no invocation takes it half-initialised; a pre-warmed one counts
   * as idle memory from the start (no invocation is using what it holds). `kept` is its entry once
   * INIT succeeded and the environment still lives; a failed INIT leaves nothing behind.
   * `registered` runs once the environment is in the pool (a spawn failure throws before it).
   */
  async #createInitialized(
    request: AcquireRequest,
    initializationType: 'provisioned-concurrency' | 'on-demand',
    initOptions: { initTimeoutMs?: number },
    registered?: () => void,
  ): Promise<{ env: ExecutionEnvironment; result: EnvironmentInitResult; kept: Entry | undefined }> {
    const { spec } = request;
    const env = this.#factory.create({
      environmentId: this.#newId(),
      spec,
      codeDir: request.codeDir,
      ...(request.optDir === undefined ? {} : { optDir: request.optDir }),
      logStreamName: request.logStreamName ?? logStreamName(this.#clock.now(), spec.version, this.#entropy),
      initializationType,
      ...(request.platformEnv ? { platformEnv: request.platformEnv } : {}),
      ...(request.codeLease ? { codeLease: request.codeLease } : {}),
    });
    const provisioned = initializationType === 'provisioned-concurrency';
    const entry: Entry = { env, memoryMb: spec.memoryMb, leased: true, provisioned, releasedSeq: 0, keepAlive: undefined, idleSince: provisioned ? undefined : this.#clock.monotonic() };
    this.#entries.set(env.id, entry);
    env.onDead?.(() => this.#onDead(entry));
    registered?.();
    let result: EnvironmentInitResult;
    try {
      result = await env.initialize(initOptions);
    } catch (err) {
      this.#remove(entry);
      throw err;
    }
    if (!result.ok || env.state === 'dead' || this.#entries.get(env.id) !== entry) {
      this.#remove(entry);
      return { env, result, kept: undefined };
    }
    return { env, result, kept: entry };
  }

  /**
   * Lowers a configuration's provisioned environments to `keep`: idle ones beyond it are evicted,
   * and busy ones beyond it become ordinary on-demand environments (kept alive as usual).
   * Returns how many were evicted.
   */
  deprovision(specKey: string, keep: number): number {
    let count = this.provisionedCount(specKey);
    let evicted = 0;
    const mine = [...this.#entries.values()].filter((e) => e.provisioned && e.env.specKey === specKey);
    for (const e of mine.filter((x) => !x.leased)) {
      if (count <= keep) break;
      this.#evict(e, EvictionReason.Deprovisioned);
      count--;
      evicted++;
    }
    for (const e of mine.filter((x) => x.leased)) {
      if (count <= keep) break;
      e.provisioned = false;
      count--;
    }
    return evicted;
  }

  /**
   * Evicts the idle environments of the given configurations (busy ones finish first and are
   * then kept or dropped by the caller). Returns how many were evicted.
   */
  evictIdle(specKeys: ReadonlySet<string>, reason: EvictionReason = EvictionReason.Stale): number {
    for (const key of specKeys) this.#cancelPrewarm(key);
    let n = 0;
    for (const entry of [...this.#entries.values()]) {
      if (!entry.leased && specKeys.has(entry.env.specKey)) {
        this.#evict(entry, reason);
        n++;
      }
    }
    return n;
  }

  /**
   * Returns a leased environment. A dead one is dropped; a live one becomes idle for the keep-alive
   * policy's window, or is unloaded at once and pre-warmed later when the policy says so.
   */
  release(env: ExecutionEnvironment): void {
    const entry = this.#entries.get(env.id);
    if (!entry || entry.env !== env || !entry.leased) return;
    // Provisioned environments stay initialised until their configuration is lowered: no policy.
    const windows = entry.provisioned ? undefined : this.keepAlivePolicy.invocationEnded(env.specKey);
    if (env.state === 'dead') {
      entry.leased = false;
      this.#remove(entry);
      return;
    }
    if (windows && windows.prewarmMs > 0) {
      // The policy expects the next invocation later than the pre-warm window: unloading now and
      // loading again just before it costs less memory than waiting (ATC'20, the hybrid policy).
      entry.leased = false;
      this.#evict(entry, EvictionReason.KeepAlive, true);
      this.#schedulePrewarm(env.config.spec, windows.prewarmMs, windows.keepAliveMs);
      return;
    }
    this.#toIdle(entry, windows?.keepAliveMs);
  }

  /** Destroys every environment (running invocations end as `Sandbox.Aborted`). Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const key of [...this.#pendingPrewarms.keys()]) this.#cancelPrewarm(key);
      for (const entry of [...this.#entries.values()]) {
        if (entry.leased) {
          this.#remove(entry);
          this.#track(entry.env.destroy(EvictionReason.Shutdown));
        } else this.#evict(entry, EvictionReason.Shutdown);
      }
      while (this.#destroying.size > 0) await Promise.allSettled([...this.#destroying]);
    })();
    return this.#stopping;
  }

  /** Provisioned environments first (Lambda routes to provisioned concurrency before spilling over), then the most recently used. */
  #mostRecentIdle(specKey: string): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.#entries.values()) {
      if (e.leased || e.env.specKey !== specKey || e.env.state !== 'idle') continue;
      if (!best || (e.provisioned && !best.provisioned) || (e.provisioned === best.provisioned && e.releasedSeq > best.releasedSeq)) best = e;
    }
    return best;
  }

  #lease(entry: Entry): void {
    entry.leased = true;
    this.#endIdle(entry);
    if (entry.keepAlive !== undefined) this.#clock.clearTimeout(entry.keepAlive);
    entry.keepAlive = undefined;
  }

  /** A leased, live environment becomes idle; with `keepAliveMs`, evicted after that long unused. */
  #toIdle(entry: Entry, keepAliveMs: number | undefined): void {
    entry.leased = false;
    entry.releasedSeq = ++this.#seq;
    entry.idleSince ??= this.#clock.monotonic();
    // Without keep-alive eviction (a deliberately broken build) an idle environment stays for good.
    if (keepAliveMs === undefined || this.#neverEvict) return;
    entry.keepAlive = this.#clock.setTimeout(() => {
      entry.keepAlive = undefined;
      if (!entry.leased && this.#entries.get(entry.env.id) === entry) this.#evict(entry, EvictionReason.KeepAlive);
    }, keepAliveMs);
  }

  #endIdle(entry: Entry): void {
    if (entry.idleSince === undefined) return;
    this.#idleMbMs += (this.#clock.monotonic() - entry.idleSince) * entry.memoryMb;
    entry.idleSince = undefined;
  }

  /** One pending pre-warm per configuration: a later release moves it; the oldest goes past the bound. */
  #schedulePrewarm(spec: FunctionSpec, prewarmMs: number, keepAliveMs: number): void {
    this.#cancelPrewarm(spec.specKey);
    if (this.#pendingPrewarms.size >= MAX_PENDING_PREWARMS) {
      const oldest = this.#pendingPrewarms.keys().next().value;
      if (oldest !== undefined) this.#cancelPrewarm(oldest);
      this.#prewarmsFailed++;
    }
    const timer = this.#clock.setTimeout(() => {
      this.#pendingPrewarms.delete(spec.specKey);
      if (this.#stopping) return;
      // An invocation came meanwhile and its environment is still here (busy or kept): no need.
      if (this.#holds(spec.specKey)) return;
      this.emit('prewarm', { spec, keepAliveMs });
    }, prewarmMs);
    this.#pendingPrewarms.set(spec.specKey, timer);
  }

  #cancelPrewarm(specKey: string): void {
    const timer = this.#pendingPrewarms.get(specKey);
    if (timer === undefined) return;
    this.#clock.clearTimeout(timer);
    this.#pendingPrewarms.delete(specKey);
  }

  /** True when an environment of the configuration is in the pool (busy, initialising or idle). */
  #holds(specKey: string): boolean {
    for (const e of this.#entries.values()) if (e.env.specKey === specKey) return true;
    return false;
  }

  /** True when one more environment of `spec` fits in the free slots and memory as they are. */
  #fitsWithoutEviction(spec: FunctionSpec): boolean {
    let memory = 0;
    for (const e of this.#entries.values()) memory += e.memoryMb;
    return this.#entries.size + 1 <= this.maxEnvironments && memory + spec.memoryMb <= this.memoryMb;
  }

  /** Evicts LRU idle environments until `spec` fits, or throws without evicting anything. */
  #makeRoom(spec: FunctionSpec): void {
    if (spec.memoryMb > this.memoryMb) {
      throw new NodeCapacityError(
        EnvironmentErrorCode.NodeAtCapacity,
        `function needs ${spec.memoryMb} MB but the node offers ${this.memoryMb} MB`,
        spec.specKey,
      );
    }
    let count = this.#entries.size;
    let memory = 0;
    for (const e of this.#entries.values()) memory += e.memoryMb;
    const fits = (): boolean => count + 1 <= this.maxEnvironments && memory + spec.memoryMb <= this.memoryMb;
    const victims: Entry[] = [];
    const idle = [...this.#entries.values()].filter((e) => !e.leased && !e.provisioned).sort((a, b) => a.releasedSeq - b.releasedSeq);
    for (const e of idle) {
      if (fits()) break;
      victims.push(e);
      count--;
      memory -= e.memoryMb;
    }
    if (!fits()) {
      throw new NodeCapacityError(
        EnvironmentErrorCode.NodeAtCapacity,
        `no room for another environment: ${this.busyCount} busy of ${this.maxEnvironments} slots, ${this.memoryMb} MB`,
        spec.specKey,
      );
    }
    for (const e of victims) this.#evict(e, EvictionReason.Capacity);
  }

  #evict(entry: Entry, reason: EvictionReason, atRelease = false): void {
    this.#remove(entry);
    this.#track(entry.env.destroy(reason));
    this.emit('evicted', { environmentId: entry.env.id, specKey: entry.env.specKey, reason, ...(atRelease ? { atRelease } : {}) });
  }

  #onDead(entry: Entry): void {
    // Leased: the invoke result tells the caller, and release() drops it. Evicted: already gone.
    if (entry.leased || this.#entries.get(entry.env.id) !== entry) return;
    this.#evict(entry, EvictionReason.Crashed);
  }

  #remove(entry: Entry): void {
    this.#endIdle(entry);
    if (entry.keepAlive !== undefined) this.#clock.clearTimeout(entry.keepAlive);
    entry.keepAlive = undefined;
    if (this.#entries.get(entry.env.id) === entry) this.#entries.delete(entry.env.id);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.#destroying.delete(tracked));
    this.#destroying.add(tracked);
  }
}
