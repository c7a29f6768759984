/**
 * The runner's errors, one class per category, each with a stable `name` and string `code` (tell
 * them apart by `code`, STYLE 11) and the facts as fields rather than only in the message.
 */
export const RunnerErrorCode = {
  /** The API answered with a status the call does not accept. */
  AdminApi: 'RUNNER_ADMIN_API',
  /** No answer: the connection was refused, reset or closed. */
  ApiConnection: 'RUNNER_API_CONNECTION',
  /** No bytes from the API for the request's timeout. */
  ApiTimeout: 'RUNNER_API_TIMEOUT',
  /** The world was asked for something before `start()` or after `stop()`, or about a node it has not. */
  World: 'RUNNER_WORLD',
  /** A process did not exit within the time given to it. */
  ProcessExitTimeout: 'RUNNER_PROCESS_EXIT_TIMEOUT',
  /** A run was used out of its lifecycle (started twice, judged before it stopped). */
  RunState: 'RUNNER_RUN_STATE',
} as const;

/** One of {@link RunnerErrorCode}. */
export type RunnerErrorCode = (typeof RunnerErrorCode)[keyof typeof RunnerErrorCode];

/** Base class of the runner's errors. */
export abstract class RunnerError extends Error {
  abstract readonly code: RunnerErrorCode;
}

/** The API answered `status` to `operation` (e.g. `degrade az-a`). */
export class AdminApiError extends RunnerError {
  override readonly name = 'AdminApiError';
  readonly code = RunnerErrorCode.AdminApi;
  constructor(
    readonly operation: string,
    readonly status: number,
    /** `x-amzn-ErrorType` (or SQS's query error), when the answer had one. */
    readonly errorType: string | undefined,
    readonly body: unknown,
  ) {
    super(`${operation}: HTTP ${status}${errorType ? ` ${errorType}` : ''}`);
  }
}

/** A request got no answer: refused, reset or closed. `socketCode` is Node's (`ECONNREFUSED` ...). */
export class ApiConnectionError extends RunnerError {
  override readonly name = 'ApiConnectionError';
  readonly code = RunnerErrorCode.ApiConnection;
  readonly socketCode: string | undefined;
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${method} ${path}: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.socketCode = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** A request's socket stayed silent for `timeoutMs`. */
export class ApiTimeoutError extends RunnerError {
  override readonly name = 'ApiTimeoutError';
  readonly code = RunnerErrorCode.ApiTimeout;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${path} timed out`);
  }
}

/** The world cannot do what was asked (not started, no such node, no link proxy in front of it). */
export class RunWorldError extends RunnerError {
  override readonly name = 'RunWorldError';
  readonly code = RunnerErrorCode.World;
  constructor(
    message: string,
    readonly nodeId?: string,
  ) {
    super(message);
  }
}

/** A process (a killed zone node, the coordinator) was still running after `timeoutMs`. */
export class ProcessExitTimeoutError extends RunnerError {
  override readonly name = 'ProcessExitTimeoutError';
  readonly code = RunnerErrorCode.ProcessExitTimeout;
  constructor(
    readonly label: string,
    readonly timeoutMs: number,
  ) {
    // The message is the one faults.ndjson has always carried.
    super('timed out waiting for a process to exit');
  }
}

/** A {@link ScenarioRun} was used out of order. */
export class RunStateError extends RunnerError {
  override readonly name = 'RunStateError';
  readonly code = RunnerErrorCode.RunState;
  constructor(
    message: string,
    readonly state: string,
  ) {
    super(message);
  }
}

/** True for a runner error with this code (across package copies too: by `code`, not `instanceof`). */
export function isRunnerError(err: unknown, code?: RunnerErrorCode): err is RunnerError {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('RUNNER_') && (code === undefined || c === code);
}
