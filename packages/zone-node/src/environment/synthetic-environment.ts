import { SYNTHETIC_DEFINITION_FILE, type Clock } from '@zonesim/common';
import type { FunctionError } from '@zonesim/protocol';
import { EnvironmentErrorCode, EnvironmentStateError } from './errors.js';
import { EnvironmentLifecycle } from './environment-lifecycle.js';
import { Phase } from './phase.js';
import { frameInvocation, initFailureEnding, invocationEnding, type Ending, type Outcome } from './invocation-ending.js';
import { LogBuffer } from './log-buffer.js';
import { formatFunctionLogLine, formatInitReportLine, formatStartLine } from './report-lines.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import { SyntheticModel, type SyntheticDefinitionSource, type SyntheticInvocationDraw } from './synthetic-model.js';
import type {
  EnvironmentConfig,
  EnvironmentInitResult,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
} from './types.js';

/** Function errors of synthetic functions (user-level, like a handler's own error types). */
export const SyntheticErrorType = {
  /** The invocation drew a failure (`errorRate`): a handled error, the environment is kept. */
  Error: 'Synthetic.Error',
  /** `synthetic.json` is missing or invalid on the zone node: INIT fails. */
  InvalidDefinition: 'Synthetic.InvalidDefinition',
} as const;

/** Largest event a synthetic function echoes back in its result. */
export const SYNTHETIC_ECHO_MAX_BYTES = 1024;

/** How the platform ends a synthetic invocation that ran out of memory (as the RSS watchdog's kill). */
const OOM_EXIT = { code: null, signal: 'SIGKILL', outOfMemory: true } as const;

function roundUs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** How one invocation will end, decided when it starts. */
interface InvocationPlan {
  kind: 'success' | 'error' | 'timeout' | 'oom';
  /** What REPORT shows as Duration: the drawn duration, or when the platform cut it short. */
  durationMs: number;
  /** Memory reached by the end, MB. */
  memoryMb: number;
}

/** How INIT will end. */
type InitPlan = { ok: true; initMs: number } | { ok: false; initMs: number; outcome: Outcome };

/** What a synthetic environment runs on. */
export interface SyntheticEnvironmentComponents {
  /** Its INIT and invocation timers, and the times in its results and logs. */
  clock: Clock;
  /** Where the function's definition comes from. @default `synthetic.json` in the code directory */
  definitionOf?: SyntheticDefinitionSource;
}

/**
 * An execution environment of a synthetic function (`Runtime: zonesim.synthetic`): no process, no
 * worker, only timers on the injected clock, so a zone node can hold thousands of them in flight.
 * INIT waits a drawn init time, each invocation a drawn duration; a drawn memory peak above the
 * memory size is `Runtime.OutOfMemory`, a duration past the timeout `Sandbox.Timedout` (both discard
 * the environment, as on Lambda), and a drawn failure (`errorRate`) a handled `Synthetic.Error`
 * that keeps it. Results, log lines (START / END / REPORT, INIT_REPORT), billing and Max Memory
 * Used come out of the same functions as for real environments, so logs, the ledger and the bill
 * cannot tell the two apart. Draws are seeded per environment (see {@link SyntheticModel}).
 */
export class SyntheticEnvironment implements ExecutionEnvironment {
  readonly id: string;
  readonly specKey: string;
  readonly config: EnvironmentConfig;

  readonly #settings: ResolvedEnvironmentSettings;
  readonly #clock: Clock;
  readonly #definitionOf: SyntheticDefinitionSource | undefined;
  /** States, the invoke gate, death and the code lease, as every kind has them (environment-lifecycle.ts). */
  readonly #life: EnvironmentLifecycle;
  #model: SyntheticModel | undefined;
  /** The environment's memory high-water mark, MB (Lambda's Max Memory Used is the sandbox's peak). */
  #peakMb = 0;
  #phase: Phase | undefined;
  #destroying: Promise<void> | undefined;

  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components: SyntheticEnvironmentComponents) {
    this.id = config.environmentId;
    this.specKey = config.spec.specKey;
    this.config = config;
    this.#settings = settings;
    this.#clock = components.clock;
    this.#definitionOf = components.definitionOf;
    this.#life = new EnvironmentLifecycle(config, this.#clock.now());
  }

  get state(): EnvironmentState {
    return this.#life.state;
  }

  get lastUsedAt(): number {
    return this.#life.lastUsedAt;
  }

  /** The seed key of this environment's draws (`${seed ?? specKey}:${environmentId}`), once INIT has read it. */
  get seedKey(): string | undefined {
    return this.#model?.seedKey;
  }

  onDead(listener: (reason: string) => void): void {
    this.#life.onDead(listener);
  }

  async invoke(input: EnvironmentInvokeInput, options: { signal?: AbortSignal } = {}): Promise<EnvironmentInvokeResult> {
    const cold = this.#life.beginInvoke(this.#destroying !== undefined);
    return new Promise((resolve) => this.#run(input, cold, options.signal, resolve));
  }

  /** Provisioned concurrency: runs INIT now (`created -> initializing -> idle`); failures are reported, not thrown. */
  async initialize(options: { initTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnvironmentInitResult> {
    this.#life.beginInit(this.#destroying !== undefined);
    const timeoutMs = options.initTimeoutMs ?? this.#settings.initTimeoutMs;
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    const t0 = this.#clock.monotonic();
    return new Promise((resolve) => {
      const finish = (failure: Outcome | undefined, initMs: number): void => {
        this.#phase?.end();
        this.#phase = undefined;
        if (!failure) {
          this.#life.idle(this.#clock.now());
          resolve({ ok: true, initMs, logLines: log.drain() });
          return;
        }
        const ending = initFailureEnding(failure, '', timeoutMs, this.#clock.now());
        this.#discard(failure.kind === 'aborted' ? `aborted: ${failure.reason}` : 'init-failed');
        // As RuntimeEnvironment.initialize: no request, so no RequestId lines.
        log.pushAll(ending.extraLines.filter((l) => !l.includes('RequestId: ')));
        log.push(this.#initReportLine(ending, initMs));
        resolve({ ok: false, initMs, logLines: log.drain(), ...(ending.functionError ? { error: ending.functionError } : {}) });
      };
      const phase = new Phase(this.#clock, options.signal, (reason) => finish({ kind: 'aborted', reason }, this.#clock.monotonic() - t0));
      this.#phase = phase;
      const init = this.#planInit(timeoutMs, log);
      phase.at(init.initMs, () => finish(init.ok ? undefined : init.outcome, init.initMs));
      phase.checkSignal();
    });
  }

  /** Ends a running invocation as `Sandbox.Aborted` (or INIT, as a failed INIT); no grace is needed, nothing runs. Idempotent. */
  destroy(reason: string): Promise<void> {
    if (!this.#destroying) {
      this.#destroying = Promise.resolve();
      this.#phase?.abort(reason);
      this.#life.markDead(reason);
    }
    return this.#destroying;
  }

  // ------------------------------------------------------------------ INIT and invocations

  /**
   * Reads the definition (once per environment) and draws INIT. A drawn INIT longer than the cap
   * times out at the cap, as a real INIT would.
   */
  #planInit(timeoutMs: number, log: LogBuffer): InitPlan {
    try {
      this.#model ??= SyntheticModel.load(this.config.codeDir, this.specKey, this.id, this.#definitionOf);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const error: FunctionError = {
        errorType: SyntheticErrorType.InvalidDefinition,
        errorMessage: missing ? `${SYNTHETIC_DEFINITION_FILE} not found in the function's package` : (err as Error).message,
      };
      // What the Node.js runtime prints for an INIT error, so the log reads the same.
      log.push(formatFunctionLogLine(this.#clock.now(), undefined, 'ERROR', `Uncaught Exception \t${JSON.stringify(error)}`));
      return { ok: false, initMs: 0, outcome: { kind: 'init-done', ok: false, error } };
    }
    const drawn = this.#model.drawInitMs();
    if (drawn > timeoutMs) return { ok: false, initMs: timeoutMs, outcome: { kind: 'timeout' } };
    return { ok: true, initMs: drawn };
  }

  /** Decides how an invocation ends from its draws and the function's timeout and memory size. */
  #planInvocation(draw: SyntheticInvocationDraw): InvocationPlan {
    const timeoutMs = this.config.spec.timeoutSec * 1000;
    const size = this.config.spec.memoryMb;
    // Memory is taken to grow evenly over the invocation: one that would peak above the memory size
    // is killed when it reaches it, part-way through.
    if (draw.memoryMb > size) {
      const oomAtMs = roundUs(draw.durationMs * (size / draw.memoryMb));
      if (oomAtMs < timeoutMs) return { kind: 'oom', durationMs: oomAtMs, memoryMb: size };
    }
    if (draw.durationMs > timeoutMs) {
      return { kind: 'timeout', durationMs: timeoutMs, memoryMb: draw.memoryMb * (timeoutMs / draw.durationMs) };
    }
    return { kind: draw.fails ? 'error' : 'success', durationMs: draw.durationMs, memoryMb: draw.memoryMb };
  }

  /**
   * Runs one invocation: INIT first when cold, then the handler. Every timer is set here, at once,
   * so a fake clock moved past the end completes the invocation in one step.
   */
  #run(input: EnvironmentInvokeInput, cold: boolean, signal: AbortSignal | undefined, resolve: (r: EnvironmentInvokeResult) => void): void {
    const { requestId } = input;
    const log = new LogBuffer(this.#settings.maxLogBytesPerInvocation);
    const t0 = this.#clock.monotonic();
    let inHandler = false;
    let handlerT0 = t0;
    let startedAt = this.#clock.now();
    let initMs: number | undefined;
    const done = (result: EnvironmentInvokeResult): void => {
      this.#phase?.end();
      this.#phase = undefined;
      resolve(result);
    };
    const enterHandler = (): void => {
      if (inHandler) return;
      inHandler = true;
      this.#life.busy();
      handlerT0 = this.#clock.monotonic();
      startedAt = this.#clock.now();
      log.push(formatStartLine(requestId, this.config.spec.version));
    };
    const phase = new Phase(this.#clock, signal, (reason) => {
      const aborted: Outcome = { kind: 'aborted', reason };
      if (!inHandler) done(this.#initFailed(input, log, aborted, this.#clock.monotonic() - t0));
      else {
        const ending = invocationEnding(aborted, requestId, this.config.spec.timeoutSec * 1000, this.#clock.now());
        done(this.#close(input, log, ending, { startedAt, durationMs: this.#clock.monotonic() - handlerT0, initMs, memoryMb: 0 }, `aborted: ${reason}`));
      }
    });
    this.#phase = phase;
    let offset = 0;
    if (cold) {
      const init = this.#planInit(this.#settings.initTimeoutMs, log);
      if (!init.ok) {
        phase.at(init.initMs, () => done(this.#initFailed(input, log, init.outcome, init.initMs)));
        phase.checkSignal();
        return;
      }
      initMs = init.initMs;
      offset = init.initMs;
      phase.at(offset, enterHandler);
    } else enterHandler();
    const model = this.#model;
    if (!model) throw new EnvironmentStateError(EnvironmentErrorCode.Dead, this.id, `environment ${this.id} has no definition`);
    const plan = this.#planInvocation(model.drawInvocation());
    phase.at(offset + plan.durationMs, () => {
      enterHandler();
      done(this.#endInvocation(input, log, plan, startedAt, initMs));
    });
    phase.checkSignal();
  }

  #endInvocation(input: EnvironmentInvokeInput, log: LogBuffer, plan: InvocationPlan, startedAt: number, initMs: number | undefined): EnvironmentInvokeResult {
    const { requestId } = input;
    const endedAt = this.#clock.now();
    let o: Outcome;
    switch (plan.kind) {
      case 'success':
        o = { kind: 'result', message: { type: 'result', requestId, ok: true, payload: resultPayload(input, plan.durationMs), memoryBytes: 0 } };
        break;
      case 'error': {
        const error: FunctionError = { errorType: SyntheticErrorType.Error, errorMessage: `Synthetic failure (errorRate ${this.#model?.definition.errorRate})` };
        // The line the Node.js runtime prints for a handled error.
        log.push(formatFunctionLogLine(endedAt, requestId, 'ERROR', `Invoke Error \t${JSON.stringify(error)}`));
        o = { kind: 'result', message: { type: 'result', requestId, ok: false, error, fatal: false, memoryBytes: 0 } };
        break;
      }
      case 'timeout':
        o = { kind: 'timeout' };
        break;
      case 'oom':
        o = { kind: 'exit', exit: OOM_EXIT };
        break;
    }
    const ending = invocationEnding(o, requestId, this.config.spec.timeoutSec * 1000, endedAt);
    return this.#close(input, log, ending, { startedAt, durationMs: plan.durationMs, initMs, memoryMb: plan.memoryMb });
  }

  /** Keeps or discards the environment after an invocation and frames its log. */
  #close(
    input: EnvironmentInvokeInput,
    log: LogBuffer,
    ending: Ending,
    f: { startedAt: number; durationMs: number; initMs: number | undefined; memoryMb: number },
    discardReason = `discarded: ${ending.functionError?.errorType}`,
  ): EnvironmentInvokeResult {
    const endedAt = this.#clock.now();
    this.#peakMb = Math.max(this.#peakMb, f.memoryMb);
    if (ending.keep) {
      this.#life.idle(endedAt);
    } else this.#discard(discardReason);
    return frameInvocation(log, {
      requestId: input.requestId,
      startedAt: f.startedAt,
      endedAt,
      durationMs: f.durationMs,
      initMs: f.initMs,
      showInitInReport: true,
      memorySizeMb: this.config.spec.memoryMb,
      maxMemoryUsedMb: this.#maxMemoryUsedMb(ending.outOfMemory),
      ending,
    });
  }

  /** A failed cold INIT: INIT_REPORT, and the first invoke fails with the INIT error (as RuntimeEnvironment). */
  #initFailed(input: EnvironmentInvokeInput, log: LogBuffer, o: Outcome, initMs: number): EnvironmentInvokeResult {
    const { requestId } = input;
    const startedAt = this.#clock.now();
    const { extraLines, ...ending } = initFailureEnding(o, requestId, this.#settings.initTimeoutMs, startedAt);
    this.#discard(o.kind === 'aborted' ? `aborted: ${o.reason}` : 'init-failed');
    log.push(this.#initReportLine(ending, initMs));
    log.push(formatStartLine(requestId, this.config.spec.version));
    log.pushAll(extraLines);
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

  #initReportLine(ending: Omit<Ending, 'extraLines'>, initMs: number): string {
    const errorType = ending.functionError?.errorType;
    return formatInitReportLine(
      ending.status === 'timeout'
        ? { initMs, phase: 'init', status: 'timeout' }
        : { initMs, phase: 'init', status: 'error', ...(errorType ? { errorType } : {}) },
    );
  }

  /** Lambda's Max Memory Used: the peak in whole MB, at least 1, never above the memory size (which an OOM reaches). */
  #maxMemoryUsedMb(outOfMemory: boolean): number {
    const size = this.config.spec.memoryMb;
    if (outOfMemory) return size;
    return Math.min(size, Math.max(1, Math.round(this.#peakMb)));
  }

  // ------------------------------------------------------------------ teardown

  #discard(reason: string): void {
    this.#life.markDead(reason);
  }
}

/**
 * The result of a successful synthetic invocation: small JSON saying what was simulated, plus the
 * event echoed back when it is at most 1 KB. The echo lets a caller match answers to requests and
 * see that its event arrived; the cap is there because a synthetic function models compute time,
 * not payload size: thousands of in-flight results copying large events back over the zone link
 * and through the coordinator would load the simulator's plumbing, not the scenario's functions.
 */
function resultPayload(input: EnvironmentInvokeInput, durationMs: number): string {
  const body: { synthetic: true; durationMs: number; event?: unknown } = { synthetic: true, durationMs };
  if (input.payload.byteLength > 0 && input.payload.byteLength <= SYNTHETIC_ECHO_MAX_BYTES) {
    try {
      body.event = JSON.parse(Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength).toString('utf8'));
    } catch {
      // Not JSON (the API checks events, but the environment does not rely on it): no echo.
    }
  }
  return JSON.stringify(body);
}
