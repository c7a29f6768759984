import { MAX_SYNC_RESPONSE_BYTES, type FunctionError } from '@zonesim/protocol';
import type { LogBuffer } from './log-buffer.js';
import {
  abortedError,
  describeRuntimeExit,
  responseTooLargeError,
  runtimeExitError,
  timedOutError,
} from './platform-errors.js';
import { computeBilledMs, formatEndLine, formatReportLine, formatTimeoutLine } from './report-lines.js';
import type { HostExit } from './runtime-host.js';
import type { RuntimeMessage } from './runtime-messages.js';
import type { EnvironmentInvokeResult } from './types.js';

/**
 * How one invocation ends, as pure functions of what ended the wait for the runtime: which error
 * Lambda reports, which lines it prints before END, whether REPORT gets a Status, and whether the
 * environment survives (Lambda resets it after timeouts, crashes, OOM and uncaught errors).
 */

/** What ended a wait for the runtime. */
export type Outcome =
  | { kind: 'hello' }
  | { kind: 'init-done'; ok: true }
  | { kind: 'init-done'; ok: false; error: FunctionError }
  | { kind: 'result'; message: Extract<RuntimeMessage, { type: 'result' }> }
  | { kind: 'fatal'; error: FunctionError }
  | { kind: 'exit'; exit: HostExit }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: string };

/** How a finished invocation is closed off. */
export interface Ending {
  outcome: 'success' | 'function-error';
  payload?: Uint8Array;
  functionError?: FunctionError;
  /** Lines printed between the function's own lines and END (timeout / exit lines). */
  extraLines: string[];
  /** REPORT status when the platform ended the invocation. */
  status?: 'timeout' | 'error';
  keep: boolean;
  outOfMemory: boolean;
  /** The response went to the caller as a stream (response-stream.ts): no payload here. */
  streamed?: boolean;
  /** The content type a streaming handler set. */
  contentType?: string;
}

function exitEnding(requestId: string, exit: HostExit): Ending {
  const error = runtimeExitError(requestId, exit, exit.outOfMemory);
  return {
    outcome: 'function-error',
    functionError: error,
    // Lambda prints the exit and the error type as two lines before END (lambda-facts 3.4).
    extraLines: [`RequestId: ${requestId} Error: ${describeRuntimeExit(exit)}`, error.errorType],
    status: 'error',
    keep: false,
    outOfMemory: exit.outOfMemory,
  };
}

/** The ending of an invocation whose handler ran (or should have) for at most `timeoutMs`. */
export function invocationEnding(o: Outcome, requestId: string, timeoutMs: number, at: number): Ending {
  const none = { extraLines: [], outOfMemory: false };
  switch (o.kind) {
    case 'result': {
      const m = o.message;
      if (!m.ok) {
        // A thrown or rejected error keeps the environment; an uncaught one ends it (the RIC exits).
        return m.fatal
          ? { ...none, outcome: 'function-error', functionError: m.error, status: 'error', keep: false }
          : { ...none, outcome: 'function-error', functionError: m.error, keep: true };
      }
      const payload = Buffer.from(m.payload, 'utf8');
      if (payload.byteLength > MAX_SYNC_RESPONSE_BYTES) {
        return { ...none, outcome: 'function-error', functionError: responseTooLargeError(MAX_SYNC_RESPONSE_BYTES), keep: true };
      }
      return { ...none, outcome: 'success', payload, keep: true };
    }
    case 'timeout':
      return {
        ...none,
        outcome: 'function-error',
        functionError: timedOutError(requestId, timeoutMs),
        extraLines: [formatTimeoutLine(at, requestId, timeoutMs)],
        status: 'timeout',
        keep: false,
      };
    case 'exit':
      return exitEnding(requestId, o.exit);
    case 'aborted':
      return { ...none, outcome: 'function-error', functionError: abortedError(requestId, o.reason), status: 'error', keep: false };
    case 'fatal':
      return { ...none, outcome: 'function-error', functionError: o.error, status: 'error', keep: false };
    default:
      // hello / init-done cannot come during an invocation: a broken runtime.
      return exitEnding(requestId, { code: null, signal: 'SIGKILL', outOfMemory: false });
  }
}

/**
 * The ending of a cold invoke whose INIT did not succeed: the INIT error becomes the invoke's
 * error (lambda-facts 1.3) and the environment is discarded.
 */
export function initFailureEnding(o: Outcome, requestId: string, initTimeoutMs: number, at: number): Ending {
  switch (o.kind) {
    case 'init-done':
      if (!o.ok) return { outcome: 'function-error', functionError: o.error, extraLines: [], status: 'error', keep: false, outOfMemory: false };
      break;
    case 'fatal':
      return { outcome: 'function-error', functionError: o.error, extraLines: [], status: 'error', keep: false, outOfMemory: false };
    case 'exit':
      return exitEnding(requestId, o.exit);
    case 'aborted':
      return invocationEnding(o, requestId, initTimeoutMs, at);
    default:
      break;
  }
  // Timed out (or a runtime that never answered INIT properly).
  return invocationEnding({ kind: 'timeout' }, requestId, initTimeoutMs, at);
}

/** The numbers and flags that frame one invocation's log. */
export interface FrameFields {
  requestId: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  initMs: number | undefined;
  /** REPORT shows Init Duration only after a successful INIT (INIT_REPORT carries it otherwise). */
  showInitInReport: boolean;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  ending: Ending;
  /** What ran (managed runtimes), shown with Init Duration. */
  runtimeVersion?: string;
}

/** Appends the ending's lines, END and REPORT to `log` and builds the invoke result. */
export function frameInvocation(log: LogBuffer, f: FrameFields): EnvironmentInvokeResult {
  const billedMs = computeBilledMs(f.durationMs, f.initMs);
  log.pushAll(f.ending.extraLines);
  log.push(formatEndLine(f.requestId));
  log.push(
    formatReportLine({
      requestId: f.requestId,
      durationMs: f.durationMs,
      billedMs,
      memorySizeMb: f.memorySizeMb,
      maxMemoryUsedMb: f.maxMemoryUsedMb,
      ...(f.showInitInReport && f.initMs !== undefined ? { initMs: f.initMs, ...(f.runtimeVersion === undefined ? {} : { runtimeVersion: f.runtimeVersion }) } : {}),
      ...(f.ending.status ? { status: f.ending.status, errorType: f.ending.functionError?.errorType } : {}),
    }),
  );
  const result: EnvironmentInvokeResult = {
    outcome: f.ending.outcome,
    durationMs: f.durationMs,
    billedMs,
    maxMemoryUsedMb: f.maxMemoryUsedMb,
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    logLines: log.lines(),
    environmentKept: f.ending.keep,
  };
  if (f.ending.payload) result.payload = f.ending.payload;
  if (f.ending.streamed) result.streamed = true;
  if (f.ending.contentType !== undefined) result.contentType = f.ending.contentType;
  if (f.ending.functionError) result.functionError = f.ending.functionError;
  if (f.initMs !== undefined) result.initMs = f.initMs;
  return result;
}
