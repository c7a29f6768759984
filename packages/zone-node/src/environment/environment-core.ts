import type { Clock, TimerHandle } from '@zonesim/common';
import { EnvironmentLifecycle } from './environment-lifecycle.js';
import { Phase } from './phase.js';
import { frameInvocation, type Ending } from './invocation-ending.js';
import { LogBuffer } from './log-buffer.js';
import { formatInitReportLine, formatStartLine } from './report-lines.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type {
  EnvironmentConfig,
  EnvironmentInitResult,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
} from './types.js';

/**
 * One execution environment of a real runtime: the state machine, written once for every kind that
 * runs user code in a process or thread (issue 17). `created -> initializing -> busy <-> idle`, and
 * `dead` from anywhere. It runs INIT on the first invoke (a cold start, bounded by `initTimeoutMs`)
 * or ahead of it (`initialize`, provisioned concurrency), one invocation at a time bounded by the
 * function timeout and an abort signal, frames the log as Lambda does (START / END / REPORT, plus
 * INIT_REPORT and timeout lines, lines printed while idle carried into the next invocation), and
 * discards itself after anything that resets a Lambda environment. Death and reaping, graceful
 * shutdown within Lambda's 2 s, then kill, are here too.
 *
 * What differs per kind is an {@link EnvironmentDriver}: how the runtime is started and told about
 * INIT and events, and what its answers mean. Node.js talks over IPC (node-ipc-driver.ts); Python,
 * Java, custom runtimes and images over the Runtime API (runtime-api-driver.ts). Synthetic
 * environments are not real runtimes: they run on timers alone (synthetic-environment.ts).
 */

/** What ended a wait, whatever the driver: the platform's own outcomes. */
export type CoreOutcome = { kind: 'timeout' } | { kind: 'aborted'; reason: string };

/** What a driver can tell the core. */
export interface DriverSink<O> {
  /** An outcome of the runtime (an answer, an exit): to the waiting phase, or queued, or idle death. */
  deliver(o: O): void;
  /** A line of output, to the open log (INIT's or the invocation's) or, when none, the idle log. */
  output(line: string): void;
  /** Lines the runtime dropped past its bound. */
  dropped(count: number): void;
  /** The output of the open log is complete (its end mark was read): later lines are the idle log's. */
  endLog(): void;
}

/** Waits for the next outcome (bounded by the phase's deadline and abort signal). */
export type Wait<O> = () => Promise<O | CoreOutcome>;

/** How one kind of runtime is started and driven. */
export interface EnvironmentDriver<O extends { kind: string }> {
  /** What the runtime is said to be when it cannot start (`the process runtime`). */
  readonly label: string;
  /** Starts the runtime and runs INIT to its first outcome. Throws EnvironmentSpawnError when it cannot start at all. */
  init(wait: Wait<O>): Promise<O | CoreOutcome>;
  initSucceeded(o: O | CoreOutcome): boolean;
  /** The ending of a failed INIT, and the error type INIT_REPORT names (default: the ending's). */
  initEnding(o: O | CoreOutcome, requestId: string, initTimeoutMs: number, at: number): { ending: Ending; reportedType?: string };
  /** Hands one event to the runtime and waits for its answer (or the end of the wait). */
  invoke(input: EnvironmentInvokeInput, timing: { startedAt: number; timeoutMs: number }, wait: Wait<O>): Promise<O | CoreOutcome>;
  invocationEnding(o: O | CoreOutcome, requestId: string, timeoutMs: number, at: number): Ending;
  /** The invocation ended and the environment stays. */
  kept(): void;
  /** An outcome while idle: the reason the environment is dead, or undefined when it means nothing. */
  idleOutcome(o: O): string | undefined;
  /** The core is about to end the wait itself (abort): what the driver holds back comes first. */
  flush?(): void;
  /** Called with the kind of mark that ends a log the core opens (`invoke`, or `init` for a provisioned INIT). */
  logOpened?(endsWith: 'init' | 'invoke'): void;
  startMemoryWatch(): void;
  stopMemoryWatch(): void;
  /** Peak memory of the runtime so far, bytes. */
  peakBytes(): number;
  /** Resolves when the runtime is gone; undefined before it started. */
  readonly exited: Promise<unknown> | undefined;
  /** Asks an idle runtime to shut down (SIGTERM listeners run). */
  requestShutdown(): void;
  kill(options?: { outOfMemory?: boolean }): void;
  /** Releases what the driver holds besides the runtime (a Runtime API server). */
  close(): Promise<void>;
  /** What runs, for the first REPORT (managed runtimes), once known. */
  readonly runtimeVersion?: string | undefined;
}

/** What the core runs on: its timers and the times in results and logs. */
export interface EnvironmentCoreComponents {
  clock: Clock;
}

const MIB = 1024 * 1024;

export class EnvironmentCore<O extends { kind: string }, D extends EnvironmentDriver<O> = EnvironmentDriver<O>> implements ExecutionEnvironment {
  readonly id: string;
  readonly specKey: string;
  readonly config: EnvironmentConfig;

  protected readonly settings: ResolvedEnvironmentSettings;
  protected readonly clock: Clock;
  /** The kind's driver (a subclass may read what only its kind has, such as the Runtime API's address). */
  protected readonly driver: D;
  /** States, the invoke gate, death and the code lease (shared with synthetic environments). */
  readonly #life: EnvironmentLifecycle;
  #waiter: ((o: O | CoreOutcome) => void) | undefined;
  #queued: Array<O | CoreOutcome> = [];
  #log: LogBuffer | undefined;
  /** The open log's output is complete (its end mark was read): later lines go to the idle log. */
  #logEnded = false;
  readonly #idleLog: LogBuffer;
  #destroying: Promise<void> | undefined;

  constructor(
    config: EnvironmentConfig,
    settings: ResolvedEnvironmentSettings,
    components: EnvironmentCoreComponents,
    driverOf: (sink: DriverSink<O>, clock: Clock) => D,
  ) {
    this.id = config.environmentId;
    this.specKey = config.spec.specKey;
    this.config = config;
    this.settings = settings;
    this.clock = components.clock;
    this.#life = new EnvironmentLifecycle(config, this.clock.now());
    this.#idleLog = new LogBuffer(settings.maxLogBytesPerInvocation);
    this.driver = driverOf(
      {
        deliver: (o) => this.#deliver(o),
        output: (line) => this.#logNow.push(line),
        dropped: (count) => this.#logNow.noteDropped(count),
        endLog: () => {
          if (this.#log !== undefined) this.#logEnded = true;
        },
      },
      this.clock,
    );
  }

  get state(): EnvironmentState {
    return this.#life.state;
  }

  get lastUsedAt(): number {
    return this.#life.lastUsedAt;
  }

  /** Calls `listener` once when the environment dies (crash while idle, discard, destroy). */
  onDead(listener: (reason: string) => void): void {
    this.#life.onDead(listener);
  }

  async invoke(input: EnvironmentInvokeInput, options: { signal?: AbortSignal } = {}): Promise<EnvironmentInvokeResult> {
    // Decided synchronously, before any await: a second invoke() now fails with Busy.
    const cold = this.#life.beginInvoke(this.#destroying !== undefined);
    this.#queued = [];
    const log = new LogBuffer(this.settings.maxLogBytesPerInvocation);
    this.#openLog(log, 'invoke');
    try {
      if (!cold) return await this.#runInvocation(input, log, options.signal, undefined);
      const { o, initMs } = await this.#runInit(this.settings.initTimeoutMs, options.signal);
      if (this.driver.initSucceeded(o)) {
        this.#life.busy();
        return await this.#runInvocation(input, log, options.signal, initMs);
      }
      return await this.#initFailed(input, log, o, initMs);
    } finally {
      this.#log = undefined;
    }
  }

  /**
   * Runs INIT ahead of any invocation, as Lambda does for provisioned concurrency:
   * `created -> initializing -> idle`. The next invoke is then warm (its REPORT has no Init
   * Duration). A failed INIT discards the environment and is reported, not thrown.
   */
  async initialize(options: { initTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnvironmentInitResult> {
    this.#life.beginInit(this.#destroying !== undefined);
    const log = new LogBuffer(this.settings.maxLogBytesPerInvocation);
    this.#openLog(log, 'init');
    const timeoutMs = options.initTimeoutMs ?? this.settings.initTimeoutMs;
    try {
      const { o, initMs } = await this.#runInit(timeoutMs, options.signal);
      if (this.driver.initSucceeded(o)) {
        this.#life.idle(this.clock.now());
        return { ok: true, initMs, logLines: log.drain() };
      }
      const { ending, reportedType } = this.driver.initEnding(o, '', timeoutMs, this.clock.now());
      await this.#discard(o.kind === 'aborted' ? `aborted: ${(o as { reason: string }).reason}` : 'init-failed');
      // No request: no RequestId lines.
      log.pushAll(ending.extraLines.filter((l) => !l.includes('RequestId: ')));
      log.push(initReport(ending, initMs, reportedType));
      return { ok: false, initMs, logLines: log.drain(), ...(ending.functionError ? { error: ending.functionError } : {}) };
    } finally {
      this.#log = undefined;
    }
  }

  destroy(reason: string): Promise<void> {
    this.#destroying ??= this.#shutdown(reason);
    return this.#destroying;
  }

  // ------------------------------------------------------------------ INIT

  /** Starts the runtime and runs INIT within `timeoutMs`; a spawn failure throws. */
  async #runInit(timeoutMs: number, signal: AbortSignal | undefined): Promise<{ o: O | CoreOutcome; initMs: number }> {
    const t0 = this.clock.monotonic();
    let o: O | CoreOutcome;
    try {
      o = await this.driver.init(() => this.#wait(t0 + timeoutMs, signal));
    } catch (err) {
      this.#markDead('spawn-failed');
      throw err;
    }
    const elapsed = this.clock.monotonic() - t0;
    // Timers fire on a millisecond clock and can run a fraction early: a timed-out INIT lasted its cap.
    return { o, initMs: o.kind === 'timeout' ? Math.max(elapsed, timeoutMs) : elapsed };
  }

  /** INIT failed, crashed or timed out: Lambda prints INIT_REPORT, and the first invoke fails with the INIT error. */
  async #initFailed(input: EnvironmentInvokeInput, log: LogBuffer, o: O | CoreOutcome, initMs: number): Promise<EnvironmentInvokeResult> {
    const { requestId } = input;
    const startedAt = this.clock.now();
    const { ending, reportedType } = this.driver.initEnding(o, requestId, this.settings.initTimeoutMs, startedAt);
    await this.#discard(o.kind === 'aborted' ? `aborted: ${(o as { reason: string }).reason}` : 'init-failed');
    log.push(initReport(ending, initMs, reportedType));
    log.push(formatStartLine(requestId, this.config.spec.version));
    log.pushAll(ending.extraLines);
    // INIT already reported its duration in INIT_REPORT; no handler ran, so Duration is 0.
    return frameInvocation(log, {
      requestId,
      startedAt,
      endedAt: this.clock.now(),
      durationMs: 0,
      initMs,
      showInitInReport: false,
      memorySizeMb: this.config.spec.memoryMb,
      maxMemoryUsedMb: this.#maxMemoryUsedMb(ending.outOfMemory),
      ending: { ...ending, extraLines: [] },
    });
  }

  // ------------------------------------------------------------------ INVOKE

  async #runInvocation(input: EnvironmentInvokeInput, log: LogBuffer, signal: AbortSignal | undefined, initMs: number | undefined): Promise<EnvironmentInvokeResult> {
    const { requestId } = input;
    const timeoutMs = this.config.spec.timeoutSec * 1000;
    log.push(formatStartLine(requestId, this.config.spec.version));
    // Output produced between invocations (leftover timers) shows up in the next invocation, as
    // it does in Lambda, where a frozen environment resumes those callbacks on the next event.
    log.pushAll(this.#idleLog.drain());
    const startedAt = this.clock.now();
    const t1 = this.clock.monotonic();
    this.driver.startMemoryWatch();
    const o = await this.driver.invoke(input, { startedAt, timeoutMs }, () => this.#wait(t1 + timeoutMs, signal));
    // A timed-out invocation lasted at least its timeout (Lambda's REPORT never shows less).
    const elapsed = this.clock.monotonic() - t1;
    const durationMs = o.kind === 'timeout' ? Math.max(elapsed, timeoutMs) : elapsed;
    this.driver.stopMemoryWatch();
    const endedAt = this.clock.now();
    const ending = this.driver.invocationEnding(o, requestId, timeoutMs, endedAt);
    if (!ending.keep) await this.#discard(o.kind === 'aborted' ? `aborted: ${(o as { reason: string }).reason}` : `discarded: ${ending.functionError?.errorType}`);
    else {
      this.driver.kept();
      this.#life.idle(endedAt);
    }
    const runtimeVersion = this.driver.runtimeVersion;
    return frameInvocation(log, {
      requestId,
      startedAt,
      endedAt,
      durationMs,
      initMs,
      showInitInReport: true,
      memorySizeMb: this.config.spec.memoryMb,
      maxMemoryUsedMb: this.#maxMemoryUsedMb(ending.outOfMemory),
      ending,
      ...(runtimeVersion === undefined ? {} : { runtimeVersion }),
    });
  }

  /** Lambda's Max Memory Used: the peak, in MB, never above the memory size (which an OOM reaches). */
  #maxMemoryUsedMb(outOfMemory: boolean): number {
    const size = this.config.spec.memoryMb;
    if (outOfMemory) return size;
    return Math.min(size, Math.max(1, Math.round(this.driver.peakBytes() / MIB)));
  }

  // ------------------------------------------------------------------ outcomes and logs

  /** Where an output line goes now: the open log (INIT's or the invocation's), or the idle log. */
  get #logNow(): LogBuffer {
    return this.#log !== undefined && !this.#logEnded ? this.#log : this.#idleLog;
  }

  #openLog(log: LogBuffer, endsWith: 'init' | 'invoke'): void {
    this.#log = log;
    this.#logEnded = false;
    this.driver.logOpened?.(endsWith);
  }

  /** Hands an outcome to the waiting phase, queues it for the next wait, or handles idle death. */
  #deliver(o: O | CoreOutcome): void {
    if (this.#waiter) {
      this.#waiter(o);
      return;
    }
    if (this.#life.running) {
      this.#queued.push(o);
      return;
    }
    // Being destroyed: #shutdown owns the ending.
    if (this.#destroying) return;
    // Idle: the runtime crashed, reported an uncaught error or exited between invocations.
    const dead = o.kind === 'timeout' || o.kind === 'aborted' ? undefined : this.driver.idleOutcome(o as O);
    if (dead !== undefined) this.#markDead(dead);
  }

  /** Waits for the next outcome until `deadline` (monotonic ms) or abort. */
  #wait(deadline: number, signal: AbortSignal | undefined): Promise<O | CoreOutcome> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<O | CoreOutcome>((resolve) => {
      const phase = new Phase(this.clock, signal, (reason) => {
        // What the driver holds back comes before the abort.
        this.driver.flush?.();
        finish({ kind: 'aborted', reason });
      });
      const finish = (o: O | CoreOutcome): void => {
        if (this.#waiter !== finish) return;
        this.#waiter = undefined;
        phase.end();
        resolve(o);
      };
      this.#waiter = finish;
      phase.at(deadline - this.clock.monotonic(), () => finish({ kind: 'timeout' }));
      phase.checkSignal();
    });
  }

  // ------------------------------------------------------------------ teardown

  /** Kills the runtime and waits (bounded) until it is reaped. */
  async #discard(reason: string): Promise<void> {
    this.#life.dying();
    if (this.driver.exited) {
      this.driver.stopMemoryWatch();
      this.driver.kill();
      await this.#reaped(this.settings.killWaitMs);
    }
    await this.driver.close();
    this.#markDead(reason);
  }

  async #shutdown(reason: string): Promise<void> {
    const started = this.driver.exited !== undefined;
    if (this.#life.running) {
      // The running phase ends as Sandbox.Aborted; its own path kills and reaps the runtime.
      this.driver.flush?.();
      this.#deliver({ kind: 'aborted', reason });
      if (started) await this.#reaped(this.settings.killWaitMs);
      await this.driver.close();
      this.#markDead(reason);
      return;
    }
    if (this.#life.state !== 'idle' || !started) {
      this.#life.dying();
      if (started) {
        this.driver.kill();
        await this.#reaped(this.settings.killWaitMs);
      }
      await this.driver.close();
      this.#markDead(reason);
      return;
    }
    // Idle: graceful shutdown within Lambda's 2 s cap (SIGTERM listeners run), then kill. The
    // kill also runs after a graceful exit, to sweep processes user code left behind.
    this.#life.dying();
    this.driver.requestShutdown();
    const graceful = await this.#reaped(this.settings.shutdownGraceMs);
    this.driver.kill();
    if (!graceful) await this.#reaped(this.settings.killWaitMs);
    await this.driver.close();
    this.#markDead(reason);
  }

  /** True when the runtime exited within `ms`. */
  async #reaped(ms: number): Promise<boolean> {
    const exited = this.driver.exited;
    if (!exited) return true;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([exited.then(() => true as const), timeout]);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }

  #markDead(reason: string): void {
    this.driver.stopMemoryWatch();
    this.#life.markDead(reason);
  }

}

/** INIT_REPORT for a failed INIT. */
function initReport(ending: Ending, initMs: number, reportedType: string | undefined): string {
  const errorType = reportedType ?? ending.functionError?.errorType;
  return formatInitReportLine(
    ending.status === 'timeout' ? { initMs, phase: 'init', status: 'timeout' } : { initMs, phase: 'init', status: 'error', ...(errorType ? { errorType } : {}) },
  );
}
