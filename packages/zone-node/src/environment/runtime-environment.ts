import { systemClock, type Clock, type TimerHandle } from '@zonesim/common';
import { EnvironmentErrorCode, EnvironmentSpawnError, EnvironmentStateError } from './errors.js';
import { frameInvocation, initFailureEnding, invocationEnding, type Outcome } from './invocation-ending.js';
import { buildLambdaEnvironment } from './lambda-env.js';
import { LogBuffer } from './log-buffer.js';
import { formatInitReportLine, formatStartLine } from './report-lines.js';
import { BOOTSTRAP_PATH, RUNTIME_DIR, type RuntimeHost, type RuntimeHostFactory } from './runtime-host.js';
import { parseRuntimeMessage } from './runtime-messages.js';
import { newTraceHeader } from './trace-header.js';
import type { MarkKind } from './runtime-output.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { SpareRuntimes } from './spare-runtimes.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type {
  EnvironmentInitResult,
  EnvironmentConfig,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
  IsolationMode,
} from './types.js';

/** Components injected into environments (kept apart from settings so tests can pass fakes). */
export interface EnvironmentComponents {
  /** @default systemClock */
  clock?: Clock;
  /** Runtimes started ahead of need, for `process` isolation (none: every cold start forks). */
  spares?: SpareRuntimes;
  /** The zone node's sandbox (issue 15): process and custom-runtime environments start inside it. */
  sandbox?: Sandbox;
}

const MIB = 1024 * 1024;

/**
 * How long a result waits for the runtime's output to be read up to its mark (runtime/output.mjs).
 * The mark is in the pipe before the result is sent, so this is one read away; the bound only
 * matters when user code wrote to fd 1 directly and broke the line the mark starts.
 */
export const LOG_MARK_WAIT_MS = 500;

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}

/**
 * One execution environment: the state machine shared by both isolation modes.
 * `created -> initializing -> busy <-> idle`, and `dead` from anywhere. It spawns its runtime on
 * the first invoke (a cold start, INIT bounded by `initTimeoutMs`), runs one invocation at a time
 * bounded by the function timeout, frames the log as Lambda does (START / END / REPORT, plus
 * INIT_REPORT and timeout lines) and discards itself after anything that resets a Lambda
 * environment: timeout, crash, exit, out of memory, uncaught error, failed INIT, abort.
 */
export class RuntimeEnvironment implements ExecutionEnvironment {
  readonly id: string;
  readonly specKey: string;
  readonly config: EnvironmentConfig;
  readonly isolation: IsolationMode;

  readonly #settings: ResolvedEnvironmentSettings;
  readonly #clock: Clock;
  readonly #startHost: RuntimeHostFactory;
  #state: EnvironmentState = 'created';
  #lastUsedAt: number;
  #host: RuntimeHost | undefined;
  #waiter: ((o: Outcome) => void) | undefined;
  #queued: Outcome[] = [];
  #requestId: string | undefined;
  #log: LogBuffer | undefined;
  /** What ends `#log` in the output stream: INIT's mark (provisioned INIT) or the invocation's. */
  #logEndsWith: MarkKind = 'invoke';
  /** The runtime's output reached the mark that ends `#log`: later lines go to the idle log. */
  #logEnded = false;
  readonly #idleLog: LogBuffer;
  /** The last mark read from the runtime's output, and the last one an outcome was delivered for. */
  #marksRead = 0;
  #marksDelivered = 0;
  /** An outcome waiting until the output is read up to its mark (at most LOG_MARK_WAIT_MS). */
  #markWait: { seq: number; o: Outcome; timer: TimerHandle } | undefined;
  #runtimePeakBytes = 0;
  #destroying: Promise<void> | undefined;
  readonly #deadListeners: Array<(reason: string) => void> = [];
  #deadReason: string | undefined;

  constructor(
    config: EnvironmentConfig,
    isolation: IsolationMode,
    startHost: RuntimeHostFactory,
    settings: ResolvedEnvironmentSettings,
    components: EnvironmentComponents = {},
  ) {
    this.id = config.environmentId;
    this.specKey = config.spec.specKey;
    this.config = config;
    this.isolation = isolation;
    this.#startHost = startHost;
    this.#settings = settings;
    this.#clock = components.clock ?? systemClock;
    this.#lastUsedAt = this.#clock.now();
    this.#idleLog = new LogBuffer(settings.maxLogBytesPerInvocation);
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** Calls `listener` once when the environment dies (crash while idle, discard, destroy). */
  onDead(listener: (reason: string) => void): void {
    if (this.#deadReason !== undefined) queueMicrotask(() => listener(this.#deadReason ?? 'dead'));
    else this.#deadListeners.push(listener);
  }

  async invoke(input: EnvironmentInvokeInput, options: { signal?: AbortSignal } = {}): Promise<EnvironmentInvokeResult> {
    if (this.#state === 'dead' || this.#destroying) {
      throw new EnvironmentStateError(EnvironmentErrorCode.Dead, this.id, `environment ${this.id} is dead`);
    }
    if (this.#state !== 'created' && this.#state !== 'idle') {
      throw new EnvironmentStateError(EnvironmentErrorCode.Busy, this.id, `environment ${this.id} is ${this.#state}`);
    }
    const cold = this.#state === 'created';
    // Set synchronously, before any await: a second invoke() now fails with Busy.
    this.#state = cold ? 'initializing' : 'busy';
    this.#requestId = input.requestId;
    this.#queued = [];
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    this.#openLog(log, 'invoke');
    try {
      if (!cold) return await this.#runHandler(input, log, options.signal, undefined);
      return await this.#coldStart(input, log, options.signal);
    } finally {
      this.#log = undefined;
      this.#requestId = undefined;
    }
  }

  destroy(reason: string): Promise<void> {
    this.#destroying ??= this.#shutdown(reason);
    return this.#destroying;
  }

  // ------------------------------------------------------------------ INIT

  async #coldStart(input: EnvironmentInvokeInput, log: LogBuffer, signal: AbortSignal | undefined): Promise<EnvironmentInvokeResult> {
    const { o, initMs } = await this.#runInit(this.#settings.initTimeoutMs, signal);
    if (o.kind === 'init-done' && o.ok) {
      this.#state = 'busy';
      return this.#runHandler(input, log, signal, initMs);
    }
    return this.#initFailed(input, log, o, initMs);
  }

  /**
   * Runs INIT ahead of any invocation, as Lambda does for provisioned concurrency:
   * `created -> initializing -> idle`. The next invoke is then warm (its REPORT has no Init
   * Duration). A failed INIT discards the environment and is reported, not thrown.
   */
  async initialize(options: { initTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnvironmentInitResult> {
    if (this.#state !== 'created' || this.#destroying) {
      throw new EnvironmentStateError(EnvironmentErrorCode.Busy, this.id, `environment ${this.id} is ${this.#state}, not created`);
    }
    this.#state = 'initializing';
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    this.#openLog(log, 'init');
    const timeoutMs = options.initTimeoutMs ?? this.#settings.initTimeoutMs;
    try {
      const { o, initMs } = await this.#runInit(timeoutMs, options.signal);
      if (o.kind === 'init-done' && o.ok) {
        this.#state = 'idle';
        this.#lastUsedAt = this.#clock.now();
        return { ok: true, initMs, logLines: log.drain() };
      }
      const ending = initFailureEnding(o, '', timeoutMs, this.#clock.now());
      await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : 'init-failed');
      const errorType = ending.functionError?.errorType;
      log.pushAll(ending.extraLines.filter((l) => !l.includes('RequestId: ')));
      log.push(
        formatInitReportLine(
          ending.status === 'timeout' ? { initMs, phase: 'init', status: 'timeout' } : { initMs, phase: 'init', status: 'error', ...(errorType ? { errorType } : {}) },
        ),
      );
      return { ok: false, initMs, logLines: log.drain(), ...(ending.functionError ? { error: ending.functionError } : {}) };
    } finally {
      this.#log = undefined;
    }
  }

  /** Spawns the runtime and runs INIT within `timeoutMs`; a spawn failure throws. */
  async #runInit(timeoutMs: number, signal: AbortSignal | undefined): Promise<{ o: Outcome; initMs: number }> {
    const t0 = this.#clock.monotonic();
    const deadline = t0 + timeoutMs;
    const host = this.#spawn();
    host.startMemoryWatch();

    let o = await this.#wait(deadline, signal);
    if (o.kind === 'hello') {
      host.send({
        type: 'init',
        memoryLimitBytes: this.config.spec.memoryMb * MIB,
        memoryPollMs: this.#settings.memoryPollMs,
        maxLogBytes: this.#settings.maxLogBytesPerInvocation,
      });
      o = await this.#wait(deadline, signal);
    }
    const initElapsed = this.#clock.monotonic() - t0;
    const initMs = o.kind === 'timeout' ? Math.max(initElapsed, timeoutMs) : initElapsed;
    if (o.kind === 'exit' && o.exit.spawnError) {
      this.#markDead('spawn-failed');
      throw new EnvironmentSpawnError(this.id, `cannot start the ${this.isolation} runtime: ${o.exit.spawnError.message}`, {
        cause: o.exit.spawnError,
      });
    }
    return { o, initMs };
  }

  #spawn(): RuntimeHost {
    try {
      const host = this.#startHost({
        environmentId: this.id,
        bootstrapPath: BOOTSTRAP_PATH,
        codeDir: this.config.codeDir,
        ...(this.config.optDir === undefined ? {} : { optDir: this.config.optDir }),
        env: buildLambdaEnvironment(this.config, RUNTIME_DIR),
        memoryMb: this.config.spec.memoryMb,
        ...(this.config.spec.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: this.config.spec.ephemeralStorageMb }),
        memoryPollMs: this.#settings.memoryPollMs,
        clock: this.#clock,
        onMessage: (raw) => this.#onMessage(raw),
        onOutput: (line) => this.#logNow.push(line),
        onMark: (seq, kind) => this.#onMark(seq, kind),
      });
      this.#host = host;
      void host.exited.then((exit) => this.#deliver({ kind: 'exit', exit }));
      return host;
    } catch (err) {
      this.#markDead('spawn-failed');
      throw new EnvironmentSpawnError(this.id, `cannot start the ${this.isolation} runtime: ${String(err)}`, { cause: err });
    }
  }

  /** INIT failed, crashed or timed out: Lambda prints INIT_REPORT, and the first invoke fails with the INIT error. */
  async #initFailed(input: EnvironmentInvokeInput, log: LogBuffer, o: Outcome, initMs: number): Promise<EnvironmentInvokeResult> {
    const { requestId } = input;
    const startedAt = this.#clock.now();
    const { extraLines, ...ending } = initFailureEnding(o, requestId, this.#settings.initTimeoutMs, startedAt);
    await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : 'init-failed');
    const errorType = ending.functionError?.errorType;
    log.push(
      formatInitReportLine(
        ending.status === 'timeout' ? { initMs, phase: 'init', status: 'timeout' } : { initMs, phase: 'init', status: 'error', ...(errorType ? { errorType } : {}) },
      ),
    );
    log.push(formatStartLine(requestId, this.config.spec.version));
    log.pushAll(extraLines);
    // INIT already reported its duration in INIT_REPORT; no handler ran, so Duration is 0.
    return frameInvocation(log, {
      requestId,
      startedAt,
      endedAt: this.#clock.now(),
      durationMs: 0,
      initMs,
      showInitInReport: false,
      memorySizeMb: this.config.spec.memoryMb,
      maxMemoryUsedMb: this.#maxMemoryUsedMb(ending.outOfMemory),
      ending: { ...ending, extraLines: [] },
    });
  }

  // ------------------------------------------------------------------ INVOKE

  async #runHandler(
    input: EnvironmentInvokeInput,
    log: LogBuffer,
    signal: AbortSignal | undefined,
    initMs: number | undefined,
  ): Promise<EnvironmentInvokeResult> {
    const host = this.#host;
    if (!host) throw new EnvironmentStateError(EnvironmentErrorCode.Dead, this.id, `environment ${this.id} has no runtime`);
    const { requestId } = input;
    const timeoutMs = this.config.spec.timeoutSec * 1000;
    log.push(formatStartLine(requestId, this.config.spec.version));
    // Output produced between invocations (leftover timers) shows up in the next invocation, as
    // it does in Lambda, where a frozen environment resumes those callbacks on the next event.
    log.pushAll(this.#idleLog.drain());

    const startedAt = this.#clock.now();
    const t1 = this.#clock.monotonic();
    host.startMemoryWatch();
    host.send({
      type: 'invoke',
      requestId,
      payload: Buffer.from(input.payload).toString('utf8'),
      deadlineMs: startedAt + timeoutMs,
      invokedFunctionArn: input.invokedFunctionArn,
      traceId: newTraceHeader(startedAt, this.config.spec.tracingActive === true),
      ...(input.clientContext === undefined ? {} : { clientContext: input.clientContext }),
    });
    const o = await this.#wait(t1 + timeoutMs, signal);
    // Timers fire on a millisecond clock and can run a fraction early; a timed-out invocation lasted
    // at least its timeout (Lambda's REPORT never shows less).
    const elapsed = this.#clock.monotonic() - t1;
    const durationMs = o.kind === 'timeout' ? Math.max(elapsed, timeoutMs) : elapsed;
    host.stopMemoryWatch();
    const endedAt = this.#clock.now();

    const ending = invocationEnding(o, requestId, timeoutMs, endedAt);
    if (!ending.keep) await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : `discarded: ${ending.functionError?.errorType}`);
    else {
      this.#state = 'idle';
      this.#lastUsedAt = endedAt;
    }
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
    });
  }

  /** Lambda's Max Memory Used: the peak, in MB, never above the memory size (which an OOM reaches). */
  #maxMemoryUsedMb(outOfMemory: boolean): number {
    const size = this.config.spec.memoryMb;
    if (outOfMemory) return size;
    const peak = Math.max(this.#runtimePeakBytes, this.#host?.peakBytes ?? 0);
    return Math.min(size, Math.max(1, Math.round(peak / MIB)));
  }

  // ------------------------------------------------------------------ runtime events

  #onMessage(raw: unknown): void {
    const m = parseRuntimeMessage(raw);
    if (!m) return; // user code can reach the channel in worker mode: ignore what is not ours
    switch (m.type) {
      case 'log':
        this.#logNow.push(m.line);
        return;
      case 'log-dropped':
        this.#logNow.noteDropped(m.count);
        return;
      case 'hello':
        this.#deliver({ kind: 'hello' });
        return;
      case 'init-done':
        this.#notePeak(m.memoryBytes);
        this.#afterMark(m.logMark, m.ok ? { kind: 'init-done', ok: true } : { kind: 'init-done', ok: false, error: m.error });
        return;
      case 'result':
        this.#notePeak(m.memoryBytes);
        if (m.requestId === this.#requestId) this.#afterMark(m.logMark, { kind: 'result', message: m });
        return;
      case 'fatal':
        this.#deliver({ kind: 'fatal', error: m.error });
        return;
      case 'over-memory':
        this.#host?.kill({ outOfMemory: true });
        return;
    }
  }

  /** Where an output line goes now: the running invocation's (or INIT's) log, or the idle log. */
  get #logNow(): LogBuffer {
    return this.#log !== undefined && !this.#logEnded ? this.#log : this.#idleLog;
  }

  #openLog(log: LogBuffer, endsWith: MarkKind): void {
    this.#log = log;
    this.#logEndsWith = endsWith;
    this.#logEnded = false;
  }

  /**
   * The runtime's output reached a mark: what follows was written after INIT or the invocation
   * ended (a timer's line belongs to the next invocation, as on Lambda). A mark of an outcome
   * already delivered (read late) ends nothing.
   */
  #onMark(seq: number, kind: MarkKind): void {
    if (seq <= this.#marksRead) return;
    this.#marksRead = seq;
    if (seq > this.#marksDelivered && kind === this.#logEndsWith) this.#logEnded = true;
    const wait = this.#markWait;
    if (wait && seq >= wait.seq) this.#releaseMarkWait(false);
  }

  /**
   * Delivers an outcome the runtime sent after writing its output up to mark `seq`, once the output
   * is read that far: the result travels on IPC, the lines on the stdout pipe, and either may be
   * read first.
   */
  #afterMark(seq: number | undefined, o: Outcome): void {
    if (seq === undefined || seq <= this.#marksRead) {
      if (seq !== undefined) this.#marksDelivered = Math.max(this.#marksDelivered, seq);
      this.#deliver(o);
      return;
    }
    this.#releaseMarkWait(true);
    this.#markWait = { seq, o, timer: this.#clock.setTimeout(() => this.#releaseMarkWait(true), LOG_MARK_WAIT_MS) };
  }

  /** Delivers the outcome waiting for its mark; `early` when the mark was not read (yet). */
  #releaseMarkWait(early: boolean): void {
    const wait = this.#markWait;
    if (!wait) return;
    this.#markWait = undefined;
    this.#clock.clearTimeout(wait.timer);
    this.#marksDelivered = Math.max(this.#marksDelivered, wait.seq);
    // Its mark, read late or never, ends nothing: the log it would have ended ends here.
    const ends = wait.o.kind === 'result' ? 'invoke' : 'init';
    if (early && this.#log !== undefined && ends === this.#logEndsWith) this.#logEnded = true;
    this.#deliver(wait.o);
  }

  #notePeak(bytes: number): void {
    if (bytes > this.#runtimePeakBytes) this.#runtimePeakBytes = bytes;
  }

  /** Hands an outcome to the waiting invocation, queues it for the next wait, or handles idle death. */
  #deliver(o: Outcome): void {
    // A result waiting for its mark came first (an exit, say, must not overtake it).
    if (this.#markWait) this.#releaseMarkWait(true);
    if (this.#waiter) {
      this.#waiter(o);
      return;
    }
    if (this.#state === 'initializing' || this.#state === 'busy') {
      this.#queued.push(o);
      return;
    }
    // Being destroyed: #shutdown owns the ending.
    if (this.#destroying) return;
    // Idle: the runtime crashed or reported an uncaught error between invocations.
    if (o.kind === 'fatal') this.#host?.kill();
    if (o.kind === 'exit' || o.kind === 'fatal') this.#markDead(o.kind === 'exit' ? 'exited' : 'crashed');
  }

  /** Waits for the next outcome until `deadline` (monotonic ms) or abort. */
  #wait(deadline: number, signal: AbortSignal | undefined): Promise<Outcome> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<Outcome>((resolve) => {
      let timer: TimerHandle | undefined;
      const onAbort = (): void => finish({ kind: 'aborted', reason: signal ? reasonOf(signal) : 'aborted' });
      const finish = (o: Outcome): void => {
        if (this.#waiter !== finish) return;
        this.#waiter = undefined;
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      this.#waiter = finish;
      timer = this.#clock.setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, deadline - this.#clock.monotonic()));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ------------------------------------------------------------------ teardown

  /** Kills the runtime and waits (bounded) until it is reaped. */
  async #discard(reason: string): Promise<void> {
    this.#state = 'dead';
    const host = this.#host;
    if (host) {
      host.stopMemoryWatch();
      host.kill();
      await this.#reaped(host, this.#settings.killWaitMs);
    }
    this.#markDead(reason);
  }

  async #shutdown(reason: string): Promise<void> {
    const host = this.#host;
    if (this.#state === 'initializing' || this.#state === 'busy') {
      // The running invocation ends as Sandbox.Aborted; its own path kills and reaps the runtime.
      this.#deliver({ kind: 'aborted', reason });
      if (host) await this.#reaped(host, this.#settings.killWaitMs);
      this.#markDead(reason);
      return;
    }
    if (this.#state === 'created' || this.#state === 'dead' || !host) {
      this.#state = 'dead';
      host?.kill();
      if (host) await this.#reaped(host, this.#settings.killWaitMs);
      this.#markDead(reason);
      return;
    }
    // Idle: graceful shutdown within Lambda's 2 s cap (SIGTERM listeners run), then kill. The
    // kill also runs after a graceful exit, to sweep processes user code left behind.
    this.#state = 'dead';
    host.send({ type: 'shutdown' });
    const graceful = await this.#reaped(host, this.#settings.shutdownGraceMs);
    host.kill();
    if (!graceful) await this.#reaped(host, this.#settings.killWaitMs);
    this.#markDead(reason);
  }

  /** True when the runtime exited within `ms`. */
  async #reaped(host: RuntimeHost, ms: number): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([host.exited.then(() => true as const), timeout]);
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
  }

  #markDead(reason: string): void {
    this.#state = 'dead';
    if (this.#deadReason !== undefined) return;
    this.#deadReason = reason;
    this.#host?.stopMemoryWatch();
    for (const listener of this.#deadListeners.splice(0)) listener(reason);
  }
}
