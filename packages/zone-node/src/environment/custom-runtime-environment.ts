import { statSync } from 'node:fs';
import { systemClock, type Clock, type TimerHandle } from '@zonesim/common';
import { MAX_SYNC_RESPONSE_BYTES, type FunctionError } from '@zonesim/protocol';
import { RuntimeApiServer, type RuntimeApiSignal } from '../runtime-api/runtime-api-server.js';
import { resolveRuntimeApiLaunch } from './runtime-api-launch.js';
import { EnvironmentErrorCode, EnvironmentSpawnError, EnvironmentStateError } from './errors.js';
import { startExecutableRuntime, type ExecutableHost } from './executable-host.js';
import { frameInvocation, initFailureEnding, invocationEnding, type Ending } from './invocation-ending.js';
import { LogBuffer } from './log-buffer.js';
import { responseTooLargeError } from './platform-errors.js';
import { newTraceHeader } from './trace-header.js';
import { formatInitReportLine, formatInitStartLine, formatStartLine } from './report-lines.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { EnvironmentComponents } from './runtime-environment.js';
import type { HostExit } from './runtime-host.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type {
  EnvironmentConfig,
  EnvironmentInitResult,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
} from './types.js';

const MIB = 1024 * 1024;

/** What ended a wait for the runtime. */
type Outcome =
  | RuntimeApiSignal
  | { kind: 'init-invalid'; error: FunctionError }
  | { kind: 'exit'; exit: HostExit }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: string };

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}

/**
 * An execution environment for a custom runtime (`provided.al2023`, `provided.al2`) or a container
 * image: the runtime is any executable, started as its own process group with Lambda's environment,
 * that pulls events from its own {@link RuntimeApiServer} (`AWS_LAMBDA_RUNTIME_API`). The state
 * machine is the one of {@link RuntimeEnvironment}: `created -> initializing -> busy <-> idle`, `dead`
 * from anywhere; INIT (up to the first `next`) is capped at 10 s and billed; one invocation at a
 * time under the function timeout; the RSS watchdog, nice level, shutdown grace and log framing
 * (START / END / REPORT, INIT_REPORT) are shared with Node environments. A runtime that exits, is
 * killed, times out or never calls `next` is discarded with Lambda's errors; a function error
 * posted to `/error` keeps the environment warm, as on Lambda.
 */
export class CustomRuntimeEnvironment implements ExecutionEnvironment {
  readonly id: string;
  readonly specKey: string;
  readonly config: EnvironmentConfig;

  readonly #settings: ResolvedEnvironmentSettings;
  readonly #clock: Clock;
  readonly #sandbox: Sandbox | undefined;
  #state: EnvironmentState = 'created';
  #lastUsedAt: number;
  #api: RuntimeApiServer | undefined;
  #host: ExecutableHost | undefined;
  /** What runs (managed runtimes: `python:3.11.7`), for INIT_START and the first REPORT. */
  #runtimeVersion: string | undefined;
  #waiter: ((o: Outcome) => void) | undefined;
  #queued: Outcome[] = [];
  #requestId: string | undefined;
  #log: LogBuffer | undefined;
  readonly #idleLog: LogBuffer;
  #destroying: Promise<void> | undefined;
  readonly #deadListeners: Array<(reason: string) => void> = [];
  #deadReason: string | undefined;

  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components: EnvironmentComponents = {}) {
    this.id = config.environmentId;
    this.specKey = config.spec.specKey;
    this.config = config;
    this.#settings = settings;
    this.#clock = components.clock ?? systemClock;
    this.#sandbox = components.sandbox;
    this.#lastUsedAt = this.#clock.now();
    this.#idleLog = new LogBuffer(settings.maxLogBytesPerInvocation);
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** `host:port` of this environment's Runtime API, once INIT started. */
  get runtimeApiAddress(): string | undefined {
    return this.#api?.address;
  }

  onDead(listener: (reason: string) => void): void {
    if (this.#deadReason !== undefined) queueMicrotask(() => listener(this.#deadReason ?? 'dead'));
    else this.#deadListeners.push(listener);
  }

  async invoke(input: EnvironmentInvokeInput, options: { signal?: AbortSignal } = {}): Promise<EnvironmentInvokeResult> {
    if (this.#state === 'dead' || this.#destroying) throw new EnvironmentStateError(EnvironmentErrorCode.Dead, this.id, `environment ${this.id} is dead`);
    if (this.#state !== 'created' && this.#state !== 'idle') {
      throw new EnvironmentStateError(EnvironmentErrorCode.Busy, this.id, `environment ${this.id} is ${this.#state}`);
    }
    const cold = this.#state === 'created';
    this.#state = cold ? 'initializing' : 'busy';
    this.#requestId = input.requestId;
    this.#queued = [];
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    this.#log = log;
    try {
      if (!cold) return await this.#runInvocation(input, log, options.signal, undefined);
      const { o, initMs } = await this.#runInit(this.#settings.initTimeoutMs, options.signal);
      if (o.kind === 'ready') {
        this.#state = 'busy';
        return await this.#runInvocation(input, log, options.signal, initMs);
      }
      return await this.#initFailed(input, log, o, initMs);
    } finally {
      this.#log = undefined;
      this.#requestId = undefined;
    }
  }

  async initialize(options: { initTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnvironmentInitResult> {
    if (this.#state !== 'created' || this.#destroying) {
      throw new EnvironmentStateError(EnvironmentErrorCode.Busy, this.id, `environment ${this.id} is ${this.#state}, not created`);
    }
    this.#state = 'initializing';
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    this.#log = log;
    const timeoutMs = options.initTimeoutMs ?? this.#settings.initTimeoutMs;
    try {
      const { o, initMs } = await this.#runInit(timeoutMs, options.signal);
      if (o.kind === 'ready') {
        this.#state = 'idle';
        this.#lastUsedAt = this.#clock.now();
        return { ok: true, initMs, logLines: log.drain() };
      }
      const { ending, reportedType } = this.#initEnding(o, '', timeoutMs);
      await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : 'init-failed');
      log.pushAll(ending.extraLines.filter((l) => !l.includes('RequestId: ')));
      log.push(this.#initReport(ending, initMs, reportedType));
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

  async #runInit(timeoutMs: number, signal: AbortSignal | undefined): Promise<{ o: Outcome; initMs: number }> {
    const t0 = this.#clock.monotonic();
    if (!statSync(this.config.codeDir, { throwIfNoEntry: false })?.isDirectory()) {
      this.#markDead('spawn-failed');
      throw new EnvironmentSpawnError(this.id, `cannot start the custom runtime: code directory ${this.config.codeDir} does not exist`);
    }
    const api = new RuntimeApiServer((s) => this.#deliver(s), { maxPayloadBytes: MAX_SYNC_RESPONSE_BYTES });
    this.#api = api;
    let address: string;
    try {
      address = await api.listen();
    } catch (err) {
      this.#markDead('spawn-failed');
      throw new EnvironmentSpawnError(this.id, `cannot start the Runtime API: ${String(err)}`, { cause: err });
    }
    const launch = await resolveRuntimeApiLaunch(this.config, address);
    if ('error' in launch) return { o: { kind: 'init-invalid', error: launch.error }, initMs: this.#clock.monotonic() - t0 };
    if (launch.runtimeVersion !== undefined) {
      this.#runtimeVersion = launch.runtimeVersion;
      (this.#log ?? this.#idleLog).push(formatInitStartLine(launch.runtimeVersion));
    }
    let host: ExecutableHost;
    try {
      host = startExecutableRuntime({
        ...launch,
        name: this.id,
        codeDir: this.config.codeDir,
        ...(launch.runtimeDir === undefined ? {} : { runtimeDir: launch.runtimeDir }),
        ...(this.config.optDir === undefined ? {} : { optDir: this.config.optDir }),
        ...(launch.hostRoots === undefined ? {} : { hostRoots: launch.hostRoots }),
        ...(this.#sandbox ? { sandbox: this.#sandbox } : {}),
        ...(this.config.spec.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: this.config.spec.ephemeralStorageMb }),
        memoryMb: this.config.spec.memoryMb,
        memoryPollMs: this.#settings.memoryPollMs,
        clock: this.#clock,
        onOutput: (line) => (this.#log ?? this.#idleLog).push(line),
      });
    } catch (err) {
      return { o: { kind: 'init-invalid', error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: String((err as Error).message ?? err) } }, initMs: this.#clock.monotonic() - t0 };
    }
    this.#host = host;
    void host.exited.then((exit) => this.#deliver({ kind: 'exit', exit }));
    host.startMemoryWatch();
    let o = await this.#wait(t0 + timeoutMs, signal);
    if (o.kind === 'exit' && o.exit.spawnError) {
      // The bootstrap was checked to be executable; a failing exec (bad interpreter line, ENOEXEC) is the function's.
      o = { kind: 'init-invalid', error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `fork/exec ${launch.command}: ${o.exit.spawnError.message}` } };
    }
    const elapsed = this.#clock.monotonic() - t0;
    // INIT ran unthrottled (lambda-facts 4); invocations get the CPU of the memory size.
    if (o.kind === 'ready') host.initDone();
    return { o, initMs: o.kind === 'timeout' ? Math.max(elapsed, timeoutMs) : elapsed };
  }

  /** The ending of a failed INIT, and the error type INIT_REPORT shows. */
  #initEnding(o: Outcome, requestId: string, initTimeoutMs: number): { ending: Ending; reportedType: string | undefined } {
    const failed = (error: FunctionError): Ending => ({ outcome: 'function-error', functionError: error, extraLines: [], status: 'error', keep: false, outOfMemory: false });
    switch (o.kind) {
      case 'init-error':
        return { ending: failed(o.error), reportedType: o.reportedType };
      case 'init-invalid':
        return { ending: failed(o.error), reportedType: o.error.errorType };
      case 'exit':
      case 'aborted':
        return { ending: initFailureEnding(o, requestId, initTimeoutMs, this.#clock.now()), reportedType: undefined };
      default:
        // Timed out: the runtime never called next (or a broken runtime answered something else).
        return { ending: initFailureEnding({ kind: 'timeout' }, requestId, initTimeoutMs, this.#clock.now()), reportedType: undefined };
    }
  }

  #initReport(ending: Ending, initMs: number, reportedType: string | undefined): string {
    const errorType = reportedType ?? ending.functionError?.errorType;
    return formatInitReportLine(
      ending.status === 'timeout' ? { initMs, phase: 'init', status: 'timeout' } : { initMs, phase: 'init', status: 'error', ...(errorType ? { errorType } : {}) },
    );
  }

  async #initFailed(input: EnvironmentInvokeInput, log: LogBuffer, o: Outcome, initMs: number): Promise<EnvironmentInvokeResult> {
    const { requestId } = input;
    const startedAt = this.#clock.now();
    const { ending, reportedType } = this.#initEnding(o, requestId, this.#settings.initTimeoutMs);
    await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : 'init-failed');
    log.push(this.#initReport(ending, initMs, reportedType));
    log.push(formatStartLine(requestId, this.config.spec.version));
    log.pushAll(ending.extraLines);
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

  async #runInvocation(
    input: EnvironmentInvokeInput,
    log: LogBuffer,
    signal: AbortSignal | undefined,
    initMs: number | undefined,
  ): Promise<EnvironmentInvokeResult> {
    const api = this.#api;
    const host = this.#host;
    if (!api || !host) throw new EnvironmentStateError(EnvironmentErrorCode.Dead, this.id, `environment ${this.id} has no runtime`);
    const { requestId } = input;
    const timeoutMs = this.config.spec.timeoutSec * 1000;
    log.push(formatStartLine(requestId, this.config.spec.version));
    log.pushAll(this.#idleLog.drain());
    const startedAt = this.#clock.now();
    const t1 = this.#clock.monotonic();
    host.startMemoryWatch();
    api.deliver({
      requestId,
      payload: input.payload,
      deadlineMs: startedAt + timeoutMs,
      invokedFunctionArn: input.invokedFunctionArn,
      traceId: newTraceHeader(startedAt, this.config.spec.tracingActive === true),
      ...(input.clientContext === undefined ? {} : { clientContext: input.clientContext }),
    });
    let o = await this.#wait(t1 + timeoutMs, signal);
    while ((o.kind === 'response' || o.kind === 'error' || o.kind === 'too-large') && o.requestId !== requestId) o = await this.#wait(t1 + timeoutMs, signal);
    const elapsed = this.#clock.monotonic() - t1;
    const durationMs = o.kind === 'timeout' ? Math.max(elapsed, timeoutMs) : elapsed;
    host.stopMemoryWatch();
    if (o.kind === 'response' || o.kind === 'error') {
      // Lines the runtime printed just before it answered may still sit in the pipe: one more turn
      // of the event loop lets them land in this invocation's log.
      await new Promise<void>((r) => setImmediate(r));
    }
    const endedAt = this.#clock.now();
    const ending = this.#invocationEnding(o, requestId, timeoutMs, endedAt);
    if (!ending.keep) await this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : `discarded: ${ending.functionError?.errorType}`);
    else {
      api.abandon();
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
      ...(this.#runtimeVersion === undefined ? {} : { runtimeVersion: this.#runtimeVersion }),
    });
  }

  #invocationEnding(o: Outcome, requestId: string, timeoutMs: number, at: number): Ending {
    const none = { extraLines: [], outOfMemory: false };
    switch (o.kind) {
      case 'response':
        return { ...none, outcome: 'success', payload: o.payload, keep: true };
      case 'error':
        return { ...none, outcome: 'function-error', functionError: o.error, keep: true };
      case 'too-large':
        return { ...none, outcome: 'function-error', functionError: responseTooLargeError(MAX_SYNC_RESPONSE_BYTES), keep: true };
      case 'timeout':
      case 'exit':
      case 'aborted':
        return invocationEnding(o, requestId, timeoutMs, at);
      default:
        // init-error / ready during an invocation cannot happen (the API refuses them); treat as a broken runtime.
        return invocationEnding({ kind: 'exit', exit: { code: null, signal: 'SIGKILL', outOfMemory: false } }, requestId, timeoutMs, at);
    }
  }

  #maxMemoryUsedMb(outOfMemory: boolean): number {
    const size = this.config.spec.memoryMb;
    if (outOfMemory) return size;
    return Math.min(size, Math.max(1, Math.round((this.#host?.peakBytes ?? 0) / MIB)));
  }

  // ------------------------------------------------------------------ events

  #deliver(o: Outcome): void {
    if (this.#waiter) {
      this.#waiter(o);
      return;
    }
    if (this.#state === 'initializing' || this.#state === 'busy') {
      this.#queued.push(o);
      return;
    }
    if (this.#destroying) return;
    // Idle: the runtime exited between invocations.
    if (o.kind === 'exit') this.#markDead('exited');
  }

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

  async #discard(reason: string): Promise<void> {
    this.#state = 'dead';
    const host = this.#host;
    if (host) {
      host.stopMemoryWatch();
      host.kill();
      await this.#reaped(host, this.#settings.killWaitMs);
    }
    await this.#api?.close();
    this.#markDead(reason);
  }

  async #shutdown(reason: string): Promise<void> {
    const host = this.#host;
    if (this.#state === 'initializing' || this.#state === 'busy') {
      this.#deliver({ kind: 'aborted', reason });
      if (host) await this.#reaped(host, this.#settings.killWaitMs);
      await this.#api?.close();
      this.#markDead(reason);
      return;
    }
    if (this.#state !== 'idle' || !host) {
      this.#state = 'dead';
      host?.kill();
      if (host) await this.#reaped(host, this.#settings.killWaitMs);
      await this.#api?.close();
      this.#markDead(reason);
      return;
    }
    // Idle: SIGTERM to the group within Lambda's 2 s shutdown cap, then SIGKILL (which also sweeps
    // whatever the runtime left behind).
    this.#state = 'dead';
    host.terminate();
    const graceful = await this.#reaped(host, this.#settings.shutdownGraceMs);
    host.kill();
    if (!graceful) await this.#reaped(host, this.#settings.killWaitMs);
    await this.#api?.close();
    this.#markDead(reason);
  }

  async #reaped(host: ExecutableHost, ms: number): Promise<boolean> {
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
