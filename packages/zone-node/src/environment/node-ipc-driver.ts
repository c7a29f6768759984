import type { Clock, TimerHandle } from '@zonesim/common';
import type { CoreOutcome, DriverSink, EnvironmentDriver, Wait } from './environment-core.js';
import { EnvironmentSpawnError } from './errors.js';
import { initFailureEnding, invocationEnding, type Ending, type Outcome } from './invocation-ending.js';
import { buildLambdaEnvironment } from './lambda-env.js';
import { BOOTSTRAP_PATH, RUNTIME_DIR, type HostExit, type RuntimeHost, type RuntimeHostFactory } from './runtime-host.js';
import { parseRuntimeMessage } from './runtime-messages.js';
import type { MarkKind } from './runtime-output.js';
import { StreamedResponse } from './response-stream.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import { newTraceHeader } from './trace-header.js';
import type { EnvironmentConfig, EnvironmentInvokeInput, IsolationMode } from './types.js';

/** What the Node runtime's answers are (invocation-ending.ts), less the core's own. */
export type NodeOutcome = Exclude<Outcome, CoreOutcome>;

const MIB = 1024 * 1024;

/**
 * How long a result waits for the runtime's output to be read up to its mark (runtime/output.mjs).
 * The mark is in the pipe before the result is sent, so this is one read away; the bound only
 * matters when user code wrote to fd 1 directly and broke the line the mark starts.
 */
export const LOG_MARK_WAIT_MS = 500;

/**
 * The Node.js runtime (`runtime/bootstrap.mjs`) in a child process or a worker thread, over IPC:
 * `hello`, then `init` / `init-done`, then `invoke` / `result` per event, `shutdown` at the end.
 * Results travel on IPC and output on the stdout pipe, so a result waits (at most
 * {@link LOG_MARK_WAIT_MS}) until the output is read up to the mark it names: the last lines belong
 * to the invocation that printed them, and what a timer prints later to the next one.
 */
export class NodeIpcDriver implements EnvironmentDriver<NodeOutcome> {
  readonly label: string;
  readonly #config: EnvironmentConfig;
  readonly #settings: ResolvedEnvironmentSettings;
  readonly #clock: Clock;
  readonly #startHost: RuntimeHostFactory;
  readonly #sink: DriverSink<NodeOutcome>;
  #host: RuntimeHost | undefined;
  #exited: Promise<HostExit> | undefined;
  #requestId: string | undefined;
  /** The running invocation's response, when its handler streams (`awslambda.streamifyResponse`). */
  #response: StreamedResponse | undefined;
  /** The runtime was stopped because the response went past its limit (it is discarded). */
  #stoppedForLimit = false;
  /** What ends the open log in the output stream: INIT's mark (provisioned INIT) or the invocation's. */
  #logEndsWith: MarkKind = 'invoke';
  /** The last mark read from the runtime's output, and the last one an outcome was delivered for. */
  #marksRead = 0;
  #marksDelivered = 0;
  /** An outcome waiting until the output is read up to its mark. */
  #markWait: { seq: number; o: NodeOutcome; timer: TimerHandle } | undefined;
  #runtimePeakBytes = 0;

  constructor(config: EnvironmentConfig, isolation: IsolationMode, startHost: RuntimeHostFactory, settings: ResolvedEnvironmentSettings, sink: DriverSink<NodeOutcome>, clock: Clock) {
    this.label = `${isolation} runtime`;
    this.#config = config;
    this.#settings = settings;
    this.#clock = clock;
    this.#startHost = startHost;
    this.#sink = sink;
  }

  get exited(): Promise<unknown> | undefined {
    return this.#exited;
  }

  async init(wait: Wait<NodeOutcome>): Promise<NodeOutcome | CoreOutcome> {
    const host = this.#spawn();
    host.startMemoryWatch();
    let o = await wait();
    if (o.kind === 'hello') {
      host.send({
        type: 'init',
        memoryLimitBytes: this.#config.spec.memoryMb * MIB,
        memoryPollMs: this.#settings.memoryPollMs,
        maxLogBytes: this.#settings.maxLogBytesPerInvocation,
      });
      o = await wait();
    }
    if (o.kind === 'exit' && o.exit.spawnError) {
      throw new EnvironmentSpawnError(this.#config.environmentId, `cannot start the ${this.label}: ${o.exit.spawnError.message}`, { cause: o.exit.spawnError });
    }
    return o;
  }

  initSucceeded(o: NodeOutcome | CoreOutcome): boolean {
    return o.kind === 'init-done' && o.ok;
  }

  initEnding(o: NodeOutcome | CoreOutcome, requestId: string, initTimeoutMs: number, at: number): { ending: Ending } {
    return { ending: initFailureEnding(o, requestId, initTimeoutMs, at) };
  }

  async invoke(input: EnvironmentInvokeInput, timing: { startedAt: number; timeoutMs: number }, wait: Wait<NodeOutcome>): Promise<NodeOutcome | CoreOutcome> {
    const host = this.#host;
    if (!host) throw new EnvironmentSpawnError(this.#config.environmentId, `the ${this.label} is not running`);
    this.#requestId = input.requestId;
    this.#response = new StreamedResponse(input.stream);
    try {
      host.send({
        type: 'invoke',
        requestId: input.requestId,
        payload: Buffer.from(input.payload).toString('utf8'),
        deadlineMs: timing.startedAt + timing.timeoutMs,
        invokedFunctionArn: input.invokedFunctionArn,
        traceId: newTraceHeader(timing.startedAt, this.#config.spec.tracingActive === true),
        ...(input.clientContext === undefined ? {} : { clientContext: input.clientContext }),
      });
      return await wait();
    } finally {
      this.#requestId = undefined;
    }
  }

  invocationEnding(o: NodeOutcome | CoreOutcome, requestId: string, timeoutMs: number, at: number): Ending {
    const response = this.#response;
    this.#response = undefined;
    if (o.kind === 'result' && o.message.streamed) response?.markStreamed(o.message.ok ? o.message.contentType : undefined);
    const ending = invocationEnding(o, requestId, timeoutMs, at);
    if (!response?.used) return ending;
    const finished = response.finish(ending);
    // Its answer may have come before the stop took: the environment goes anyway.
    return this.#stoppedForLimit ? { ...finished, keep: false } : finished;
  }

  kept(): void {}

  idleOutcome(o: NodeOutcome): string | undefined {
    // An uncaught error between invocations (a leftover timer): the runtime keeps its process alive
    // for the message, so it is killed here.
    if (o.kind === 'fatal') {
      this.#host?.kill();
      return 'crashed';
    }
    return o.kind === 'exit' ? 'exited' : undefined;
  }

  flush(): void {
    if (this.#markWait) this.#releaseMarkWait(true);
  }

  logOpened(endsWith: 'init' | 'invoke'): void {
    this.#logEndsWith = endsWith;
  }

  startMemoryWatch(): void {
    this.#host?.startMemoryWatch();
  }

  stopMemoryWatch(): void {
    this.#host?.stopMemoryWatch();
  }

  peakBytes(): number {
    return Math.max(this.#runtimePeakBytes, this.#host?.peakBytes ?? 0);
  }

  requestShutdown(): void {
    this.#host?.send({ type: 'shutdown' });
  }

  kill(options?: { outOfMemory?: boolean }): void {
    this.#host?.kill(options);
  }

  async close(): Promise<void> {
    if (this.#markWait) {
      this.#clock.clearTimeout(this.#markWait.timer);
      this.#markWait = undefined;
    }
  }

  #spawn(): RuntimeHost {
    try {
      const host = this.#startHost({
        environmentId: this.#config.environmentId,
        bootstrapPath: BOOTSTRAP_PATH,
        codeDir: this.#config.codeDir,
        ...(this.#config.optDir === undefined ? {} : { optDir: this.#config.optDir }),
        env: buildLambdaEnvironment(this.#config, RUNTIME_DIR),
        memoryMb: this.#config.spec.memoryMb,
        ...(this.#config.spec.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: this.#config.spec.ephemeralStorageMb }),
        memoryPollMs: this.#settings.memoryPollMs,
        clock: this.#clock,
        onMessage: (raw) => this.#onMessage(raw),
        onOutput: (line) => this.#sink.output(line),
        onMark: (seq, kind) => this.#onMark(seq, kind),
      });
      this.#host = host;
      this.#exited = host.exited;
      void host.exited.then((exit) => this.#deliver({ kind: 'exit', exit }));
      return host;
    } catch (err) {
      throw new EnvironmentSpawnError(this.#config.environmentId, `cannot start the ${this.label}: ${String(err)}`, { cause: err });
    }
  }

  #onMessage(raw: unknown): void {
    const m = parseRuntimeMessage(raw);
    if (!m) return; // user code can reach the channel in worker mode: ignore what is not ours
    switch (m.type) {
      case 'log':
        this.#sink.output(m.line);
        return;
      case 'log-dropped':
        this.#sink.dropped(m.count);
        return;
      case 'hello':
        this.#deliver({ kind: 'hello' });
        return;
      case 'init-done':
        this.#notePeak(m.memoryBytes);
        this.#afterMark(m.logMark, m.ok ? { kind: 'init-done', ok: true } : { kind: 'init-done', ok: false, error: m.error });
        return;
      case 'chunk':
        if (m.requestId !== this.#requestId || !this.#response) return;
        // Past the limit the invocation ends now rather than at its timeout: the runtime is stopped
        // (its handler would go on writing), and the ending says Function.ResponseSizeTooLarge.
        if (!this.#response.write(m.data, m.contentType) && this.#response.overLimit && !this.#stoppedForLimit) {
          this.#stoppedForLimit = true;
          this.#host?.kill();
        }
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

  /**
   * The runtime's output reached a mark: what follows was written after INIT or the invocation
   * ended (a timer's line belongs to the next invocation, as on Lambda). A mark of an outcome
   * already delivered (read late) ends nothing.
   */
  #onMark(seq: number, kind: MarkKind): void {
    if (seq <= this.#marksRead) return;
    this.#marksRead = seq;
    if (seq > this.#marksDelivered && kind === this.#logEndsWith) this.#sink.endLog();
    const wait = this.#markWait;
    if (wait && seq >= wait.seq) this.#releaseMarkWait(false);
  }

  /** Delivers an outcome sent after the output up to mark `seq`, once the output is read that far. */
  #afterMark(seq: number | undefined, o: NodeOutcome): void {
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
    if (early && ends === this.#logEndsWith) this.#sink.endLog();
    this.#sink.deliver(wait.o);
  }

  /** Every outcome passes here: one waiting for its mark comes first (an exit must not overtake it). */
  #deliver(o: NodeOutcome): void {
    if (this.#markWait) this.#releaseMarkWait(true);
    this.#sink.deliver(o);
  }

  #notePeak(bytes: number): void {
    if (bytes > this.#runtimePeakBytes) this.#runtimePeakBytes = bytes;
  }
}
