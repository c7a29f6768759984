import { statSync } from 'node:fs';
import type { Clock } from '@zonesim/common';
import { MAX_SYNC_RESPONSE_BYTES, type FunctionError } from '@zonesim/protocol';
import { RuntimeApiServer, type RuntimeApiSignal } from '../runtime-api/runtime-api-server.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { CoreOutcome, DriverSink, EnvironmentDriver, Wait } from './environment-core.js';
import { EnvironmentSpawnError } from './errors.js';
import { startExecutableRuntime, type ExecutableHost } from './executable-host.js';
import { initFailureEnding, invocationEnding, type Ending } from './invocation-ending.js';
import { responseTooLargeError } from './platform-errors.js';
import { formatInitStartLine } from './report-lines.js';
import { StreamedResponse } from './response-stream.js';
import { resolveRuntimeApiLaunch } from './runtime-api-launch.js';
import type { HostExit } from './runtime-host.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import { newTraceHeader } from './trace-header.js';
import type { EnvironmentConfig, EnvironmentInvokeInput } from './types.js';

/** What a runtime under the Runtime API can answer, less the core's own outcomes. */
export type RuntimeApiOutcome = RuntimeApiSignal | { kind: 'init-invalid'; error: FunctionError } | { kind: 'exit'; exit: HostExit };

/**
 * A runtime under the Runtime API: any executable (a custom runtime's `bootstrap`, an image's
 * entrypoint, or zonesim's Python or Java runtime client; runtime-api-launch.ts) started as its own
 * process group with Lambda's environment, pulling events from its own {@link RuntimeApiServer}
 * (`AWS_LAMBDA_RUNTIME_API`). INIT lasts until its first `next`; a runtime that exits, is killed,
 * times out or never calls `next` is discarded with Lambda's errors; a function error posted to
 * `/error` keeps the environment warm, as on Lambda.
 */
export class RuntimeApiDriver implements EnvironmentDriver<RuntimeApiOutcome> {
  readonly label = 'custom runtime';
  readonly #config: EnvironmentConfig;
  readonly #settings: ResolvedEnvironmentSettings;
  readonly #clock: Clock;
  readonly #sandbox: Sandbox | undefined;
  readonly #sink: DriverSink<RuntimeApiOutcome>;
  #api: RuntimeApiServer | undefined;
  #host: ExecutableHost | undefined;
  #runtimeVersion: string | undefined;
  /** The running invocation's response, for an answer posted in streaming mode. */
  #response: StreamedResponse | undefined;

  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, sandbox: Sandbox | undefined, sink: DriverSink<RuntimeApiOutcome>, clock: Clock) {
    this.#config = config;
    this.#settings = settings;
    this.#sandbox = sandbox;
    this.#sink = sink;
    this.#clock = clock;
  }

  get exited(): Promise<unknown> | undefined {
    return this.#host?.exited;
  }

  /** `host:port` of this environment's Runtime API, once INIT started. */
  get runtimeApiAddress(): string | undefined {
    return this.#api?.address;
  }

  get runtimeVersion(): string | undefined {
    return this.#runtimeVersion;
  }

  async init(wait: Wait<RuntimeApiOutcome>): Promise<RuntimeApiOutcome | CoreOutcome> {
    const config = this.#config;
    if (!statSync(config.codeDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new EnvironmentSpawnError(config.environmentId, `cannot start the ${this.label}: code directory ${config.codeDir} does not exist`);
    }
    const api = new RuntimeApiServer((s) => this.#sink.deliver(s), {
      maxPayloadBytes: MAX_SYNC_RESPONSE_BYTES,
      // The server checks the id is the running invocation's; the response decides the limit.
      onChunk: (_requestId, data, contentType) => this.#response?.write(data, contentType) ?? false,
    });
    this.#api = api;
    let address: string;
    try {
      address = await api.listen();
    } catch (err) {
      throw new EnvironmentSpawnError(config.environmentId, `cannot start the Runtime API: ${String(err)}`, { cause: err });
    }
    const launch = await resolveRuntimeApiLaunch(config, address);
    if ('error' in launch) return { kind: 'init-invalid', error: launch.error };
    if (launch.runtimeVersion !== undefined) {
      this.#runtimeVersion = launch.runtimeVersion;
      this.#sink.output(formatInitStartLine(launch.runtimeVersion));
    }
    let host: ExecutableHost;
    try {
      host = startExecutableRuntime({
        ...launch,
        name: config.environmentId,
        codeDir: config.codeDir,
        ...(config.optDir === undefined ? {} : { optDir: config.optDir }),
        ...(this.#sandbox ? { sandbox: this.#sandbox } : {}),
        ...(config.spec.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: config.spec.ephemeralStorageMb }),
        memoryMb: config.spec.memoryMb,
        memoryPollMs: this.#settings.memoryPollMs,
        clock: this.#clock,
        onOutput: (line) => this.#sink.output(line),
      });
    } catch (err) {
      return { kind: 'init-invalid', error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: String((err as Error).message ?? err) } };
    }
    this.#host = host;
    void host.exited.then((exit) => this.#sink.deliver({ kind: 'exit', exit }));
    host.startMemoryWatch();
    let o = await wait();
    if (o.kind === 'exit' && o.exit.spawnError) {
      // The program was checked to be executable; a failing exec (bad interpreter line, ENOEXEC) is the function's.
      o = { kind: 'init-invalid', error: { errorType: 'Runtime.InvalidEntrypoint', errorMessage: `fork/exec ${launch.command}: ${o.exit.spawnError.message}` } };
    }
    // INIT ran unthrottled (lambda-facts 4); invocations get the CPU of the memory size.
    if (o.kind === 'ready') host.initDone();
    return o;
  }

  initSucceeded(o: RuntimeApiOutcome | CoreOutcome): boolean {
    return o.kind === 'ready';
  }

  initEnding(o: RuntimeApiOutcome | CoreOutcome, requestId: string, initTimeoutMs: number, at: number): { ending: Ending; reportedType?: string } {
    const failed = (error: FunctionError): Ending => ({ outcome: 'function-error', functionError: error, extraLines: [], status: 'error', keep: false, outOfMemory: false });
    switch (o.kind) {
      case 'init-error':
        return { ending: failed(o.error), reportedType: o.reportedType };
      case 'init-invalid':
        return { ending: failed(o.error), reportedType: o.error.errorType };
      case 'exit':
      case 'aborted':
        return { ending: initFailureEnding(o, requestId, initTimeoutMs, at) };
      default:
        // Timed out: the runtime never called next (or a broken runtime answered something else).
        return { ending: initFailureEnding({ kind: 'timeout' }, requestId, initTimeoutMs, at) };
    }
  }

  async invoke(input: EnvironmentInvokeInput, timing: { startedAt: number; timeoutMs: number }, wait: Wait<RuntimeApiOutcome>): Promise<RuntimeApiOutcome | CoreOutcome> {
    const api = this.#api;
    if (!api) throw new EnvironmentSpawnError(this.#config.environmentId, `the ${this.label} is not running`);
    const { requestId } = input;
    this.#response = new StreamedResponse(input.stream);
    api.deliver({
      requestId,
      payload: input.payload,
      deadlineMs: timing.startedAt + timing.timeoutMs,
      invokedFunctionArn: input.invokedFunctionArn,
      traceId: newTraceHeader(timing.startedAt, this.#config.spec.tracingActive === true),
      ...(input.clientContext === undefined ? {} : { clientContext: input.clientContext }),
    });
    let o = await wait();
    while ((o.kind === 'response' || o.kind === 'error' || o.kind === 'too-large') && o.requestId !== requestId) o = await wait();
    if (o.kind === 'response' || o.kind === 'error') {
      // Lines the runtime printed just before it answered may still sit in the pipe: one more turn
      // of the event loop lets them land in this invocation's log.
      await new Promise<void>((r) => setImmediate(r));
    }
    return o;
  }

  invocationEnding(o: RuntimeApiOutcome | CoreOutcome, requestId: string, timeoutMs: number, at: number): Ending {
    const response = this.#response;
    this.#response = undefined;
    if ((o.kind === 'response' || o.kind === 'error') && o.streamed) response?.markStreamed(o.kind === 'response' ? o.contentType : undefined);
    const ending = this.#ending(o, requestId, timeoutMs, at);
    return response?.used ? response.finish(ending) : ending;
  }

  #ending(o: RuntimeApiOutcome | CoreOutcome, requestId: string, timeoutMs: number, at: number): Ending {
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
        // init-error / ready during an invocation cannot happen (the API refuses them): a broken runtime.
        return invocationEnding({ kind: 'exit', exit: { code: null, signal: 'SIGKILL', outOfMemory: false } }, requestId, timeoutMs, at);
    }
  }

  kept(): void {
    // The answered event is forgotten: a late second answer is refused as for an unknown id.
    this.#api?.abandon();
  }

  idleOutcome(o: RuntimeApiOutcome): string | undefined {
    return o.kind === 'exit' ? 'exited' : undefined;
  }

  startMemoryWatch(): void {
    this.#host?.startMemoryWatch();
  }

  stopMemoryWatch(): void {
    this.#host?.stopMemoryWatch();
  }

  peakBytes(): number {
    return this.#host?.peakBytes ?? 0;
  }

  /** SIGTERM (to the group; in the sandbox to the runtime itself), within Lambda's 2 s shutdown cap. */
  requestShutdown(): void {
    this.#host?.terminate();
  }

  kill(options?: { outOfMemory?: boolean }): void {
    this.#host?.kill(options);
  }

  async close(): Promise<void> {
    await this.#api?.close();
  }
}
