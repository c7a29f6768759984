import type { FunctionSpec } from '@zonesim/protocol';
import type { EnvironmentConfig, EnvironmentInitResult, EnvironmentInvokeInput, EnvironmentInvokeResult, EnvironmentState, ExecutionEnvironment } from './types.js';

/**
 * `LoggingConfig: {LogFormat: JSON}` (issue 17). The runtimes write the function's own records as
 * JSON (runtime/log-patch.mjs, runtime/python/bootstrap.py, from `AWS_LAMBDA_LOG_FORMAT` and
 * `AWS_LAMBDA_LOG_LEVEL`); the platform's lines (INIT_START, START, END, REPORT, INIT_REPORT), which
 * every environment kind frames in Lambda's text format (report-lines.ts), become Lambda's JSON
 * system records here, in one place for every kind, and are kept only at the function's
 * `SystemLogLevel` (all of them are INFO records: `WARN` leaves none).
 */

type JsonLogs = NonNullable<FunctionSpec['jsonLogs']>;

/** When each platform line happened, as far as the result says. */
interface LineTimes {
  startedAt: number;
  endedAt: number;
  initMs?: number;
  outcome?: 'success' | 'function-error';
  errorType?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const num = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

/** One platform text line as Lambda's JSON system record, or undefined when it is not one. */
export function platformRecord(line: string, spec: Pick<FunctionSpec, 'functionName' | 'version'>, initializationType: string, t: LineTimes): object | undefined {
  let m = /^INIT_START Runtime Version: (\S+)/.exec(line);
  if (m) {
    return {
      time: iso(t.startedAt - (t.initMs ?? 0)),
      type: 'platform.initStart',
      record: { initializationType, phase: 'init', runtimeVersion: m[1], functionName: spec.functionName, functionVersion: spec.version },
    };
  }
  m = /^START RequestId: (\S+) Version: (\S+)$/.exec(line);
  if (m) return { time: iso(t.startedAt), type: 'platform.start', record: { requestId: m[1], version: m[2] } };
  m = /^END RequestId: (\S+)$/.exec(line);
  if (m) {
    const status = t.outcome === 'success' ? 'success' : t.errorType === 'Sandbox.Timedout' ? 'timeout' : 'error';
    return { time: iso(t.endedAt), type: 'platform.runtimeDone', record: { requestId: m[1], status } };
  }
  m = /^REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: ([\d.]+) ms\t)?(?:Runtime Version: \S+\t)?(?:Status: (timeout|error)(?:\tError Type: (\S+))?)?$/.exec(line);
  if (m) {
    const initDurationMs = num(m[6]);
    return {
      time: iso(t.endedAt),
      type: 'platform.report',
      record: {
        requestId: m[1],
        metrics: {
          durationMs: num(m[2]),
          billedDurationMs: num(m[3]),
          memorySizeMB: num(m[4]),
          maxMemoryUsedMB: num(m[5]),
          ...(initDurationMs === undefined ? {} : { initDurationMs }),
        },
        status: m[7] ?? 'success',
        ...(m[8] ? { errorType: m[8] } : {}),
      },
    };
  }
  m = /^INIT_REPORT Init Duration: ([\d.]+) ms\tPhase: (\w+)\tStatus: (timeout|error)(?:\tError Type: (\S+))?$/.exec(line);
  if (m) {
    return {
      time: iso(t.startedAt),
      type: 'platform.initReport',
      record: { initializationType, phase: m[2], status: m[3], ...(m[4] ? { errorType: m[4] } : {}), metrics: { durationMs: num(m[1]) } },
    };
  }
  return undefined;
}

/** `lines` with the platform's lines as JSON records, kept at `logs.systemLogLevel`. */
export function jsonPlatformLines(lines: readonly string[], logs: JsonLogs, spec: Pick<FunctionSpec, 'functionName' | 'version'>, initializationType: string, t: LineTimes): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const record = platformRecord(line, spec, initializationType, t);
    if (!record) out.push(line);
    // Every platform record here is an INFO one.
    else if (logs.systemLogLevel !== 'WARN') out.push(JSON.stringify(record));
  }
  return out;
}

/**
 * An environment whose results carry JSON system records: what the factory hands out for a
 * function with `LogFormat: JSON`, around an environment of any kind.
 */
export class JsonLogEnvironment implements ExecutionEnvironment {
  readonly #inner: ExecutionEnvironment;
  readonly #logs: JsonLogs;

  constructor(inner: ExecutionEnvironment, logs: JsonLogs) {
    this.#inner = inner;
    this.#logs = logs;
  }

  get id(): string {
    return this.#inner.id;
  }
  get specKey(): string {
    return this.#inner.specKey;
  }
  get config(): EnvironmentConfig {
    return this.#inner.config;
  }
  get state(): EnvironmentState {
    return this.#inner.state;
  }
  get lastUsedAt(): number {
    return this.#inner.lastUsedAt;
  }

  async invoke(input: EnvironmentInvokeInput, options?: { signal?: AbortSignal }): Promise<EnvironmentInvokeResult> {
    const r = await this.#inner.invoke(input, options);
    const t: LineTimes = { startedAt: r.startedAt, endedAt: r.endedAt, outcome: r.outcome, ...(r.initMs === undefined ? {} : { initMs: r.initMs }), ...(r.functionError ? { errorType: r.functionError.errorType } : {}) };
    return { ...r, logLines: jsonPlatformLines(r.logLines, this.#logs, this.config.spec, this.config.initializationType, t) };
  }

  async initialize(options?: { initTimeoutMs?: number; signal?: AbortSignal }): Promise<EnvironmentInitResult> {
    const r = await this.#inner.initialize(options);
    const at = this.#inner.lastUsedAt;
    return { ...r, logLines: jsonPlatformLines(r.logLines, this.#logs, this.config.spec, this.config.initializationType, { startedAt: at, endedAt: at, initMs: r.initMs }) };
  }

  destroy(reason: string): Promise<void> {
    return this.#inner.destroy(reason);
  }

  onDead(listener: (reason: string) => void): void {
    this.#inner.onDead?.(listener);
  }
}
