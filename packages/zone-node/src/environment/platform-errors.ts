import type { FunctionError } from '@zonesim/protocol';
import { formatTimeoutSeconds } from './report-lines.js';

/**
 * Function errors that the platform (not user code) produces, with Lambda's names and messages
 * (lambda-facts 1.3 and 3.4). The payloads have no `trace`, as Lambda's have none.
 */
export const PlatformErrorType = {
  /** The function (or INIT) ran past its timeout; the environment is reset. */
  Timedout: 'Sandbox.Timedout',
  /** The runtime process exited or was killed during an invocation. */
  ExitError: 'Runtime.ExitError',
  /** The environment ran out of memory. */
  OutOfMemory: 'Runtime.OutOfMemory',
  /** zonesim only: the zone node aborted the invocation (e.g. it is shutting down). */
  Aborted: 'Sandbox.Aborted',
  /** The response was larger than 6 MiB + 100 bytes. */
  ResponseSizeTooLarge: 'Function.ResponseSizeTooLarge',
} as const;
/** One of {@link PlatformErrorType}. */
export type PlatformErrorType = (typeof PlatformErrorType)[keyof typeof PlatformErrorType];

/** How a runtime ended: an exit code, or a signal name (process isolation only). */
export interface RuntimeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Lambda's platform is written in Go and prints Go's `syscall.Signal` names ("signal: killed").
const GO_SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGILL: 'illegal instruction',
  SIGHUP: 'hangup',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/** `Runtime exited with error: exit status 1` / `signal: killed`, as Lambda words it. */
export function describeRuntimeExit(exit: RuntimeExit): string {
  if (exit.signal) return `Runtime exited with error: signal: ${GO_SIGNAL_NAMES[exit.signal] ?? exit.signal}`;
  // A clean exit during an invocation has no error to name (Lambda's older wording).
  if (exit.code === 0) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: exit status ${exit.code ?? 'unknown'}`;
}

/** `{errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: <id> Error: Task timed out after 3.00 seconds'}` */
export function timedOutError(requestId: string, timeoutMs: number): FunctionError {
  return {
    errorType: PlatformErrorType.Timedout,
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${formatTimeoutSeconds(timeoutMs)} seconds`,
  };
}

/** `Runtime.ExitError` (or `Runtime.OutOfMemory`) with `RequestId: <id> Error: Runtime exited with error: ...`. */
export function runtimeExitError(requestId: string, exit: RuntimeExit, outOfMemory: boolean): FunctionError {
  return {
    errorType: outOfMemory ? PlatformErrorType.OutOfMemory : PlatformErrorType.ExitError,
    errorMessage: `RequestId: ${requestId} Error: ${describeRuntimeExit(exit)}`,
  };
}

/** zonesim's `Sandbox.Aborted`: the invocation was cut short by the zone node. */
export function abortedError(requestId: string, reason: string): FunctionError {
  return { errorType: PlatformErrorType.Aborted, errorMessage: `RequestId: ${requestId} Error: Invocation aborted: ${reason}` };
}

/** Lambda's check on the response size (6 MiB + 100 bytes, the RIE's `MaxPayloadSize`). */
export function responseTooLargeError(limitBytes: number): FunctionError {
  return {
    errorType: PlatformErrorType.ResponseSizeTooLarge,
    errorMessage: `Response payload size exceeded maximum allowed payload size (${limitBytes} bytes).`,
  };
}
