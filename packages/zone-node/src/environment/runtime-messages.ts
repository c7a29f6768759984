import type { FunctionError } from '@zonesim/protocol';
import { carriableContentType } from './response-stream.js';

/**
 * The contract between an environment host (this package) and the runtime code that runs inside
 * the environment (`packages/zone-node/runtime/bootstrap.mjs`, plain JavaScript). Both directions
 * travel over one ordered channel (IPC for processes, the parent port for workers). A worker's log
 * lines travel on it too, in order with its results; a process writes its log to its stdout pipe
 * instead (runtime/output.mjs, read by runtime-output.ts), and a result carries `logMark`, the mark
 * in that stream up to which the invocation's lines come.
 */

/** Host -> runtime: start INIT (load the handler). */
export interface InitMessage {
  type: 'init';
  /** Worker isolation: external memory above this is reported as `over-memory`. */
  memoryLimitBytes: number;
  memoryPollMs: number;
  /** Worker isolation: log bytes per invocation the runtime sends before it keeps only a tail. */
  maxLogBytes?: number;
  /** Set for a runtime started ahead of need (a spare): the environment it becomes. */
  bind?: RuntimeBinding;
}

/** What a spare runtime takes on before INIT: the environment's variables (replacing its own) and directory. */
export interface RuntimeBinding {
  env: Record<string, string>;
  cwd: string;
}

/** Host -> runtime: run one invocation. */
export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  /** Epoch ms at which the function times out (`context.getRemainingTimeInMillis()`). */
  deadlineMs: number;
  invokedFunctionArn: string;
  clientContext?: string;
  /** The X-Ray trace header (`_X_AMZN_TRACE_ID` during the invocation). */
  traceId?: string;
}

/** Host -> runtime: shut down gracefully (SIGTERM listeners run, then the loop may drain). */
export interface ShutdownMessage {
  type: 'shutdown';
}

/** Messages the host sends. */
export type HostMessage = InitMessage | InvokeMessage | ShutdownMessage;

/** Messages the runtime sends, checked by {@link parseRuntimeMessage}. */
export type RuntimeMessage =
  | { type: 'hello' }
  | { type: 'log'; line: string }
  | { type: 'log-dropped'; count: number }
  | { type: 'init-done'; ok: true; memoryBytes: number; logMark?: number }
  | { type: 'init-done'; ok: false; error: FunctionError; memoryBytes: number; logMark?: number }
  | { type: 'result'; requestId: string; ok: true; payload: string; memoryBytes: number; logMark?: number; streamed?: boolean; contentType?: string }
  | { type: 'result'; requestId: string; ok: false; error: FunctionError; fatal: boolean; memoryBytes: number; logMark?: number; streamed?: boolean }
  /** Bytes a streaming handler wrote (the content type with the first). */
  | { type: 'chunk'; requestId: string; data: Uint8Array; contentType?: string }
  | { type: 'fatal'; error: FunctionError }
  | { type: 'over-memory' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function toFunctionError(v: unknown): FunctionError | undefined {
  if (!isRecord(v) || typeof v['errorType'] !== 'string' || typeof v['errorMessage'] !== 'string') return undefined;
  const out: FunctionError = { errorType: v['errorType'], errorMessage: v['errorMessage'] };
  const trace = v['trace'];
  if (Array.isArray(trace)) out.trace = trace.map(String);
  return out;
}

function memoryOf(v: Record<string, unknown>): number {
  const m = v['memoryBytes'];
  return typeof m === 'number' && Number.isFinite(m) && m >= 0 ? m : 0;
}

/** `{ logMark }` when the message names a valid mark, else nothing. */
function markOf(v: Record<string, unknown>): { logMark?: number } {
  const m = v['logMark'];
  return typeof m === 'number' && Number.isSafeInteger(m) && m > 0 ? { logMark: m } : {};
}

/** `{ contentType }` when the message names one the wire and an HTTP head can carry, else nothing. */
function contentTypeOf(v: Record<string, unknown>): { contentType?: string } {
  const t = v['contentType'];
  const carried = typeof t === 'string' ? carriableContentType(t) : undefined;
  return carried === undefined ? {} : { contentType: carried };
}

/**
 * Validates one message from the runtime. The runtime shares its process with user code, so a
 * message is data to check, never trusted: anything malformed yields `undefined` and is ignored.
 */
export function parseRuntimeMessage(raw: unknown): RuntimeMessage | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw['type']) {
    case 'hello':
      return { type: 'hello' };
    case 'over-memory':
      return { type: 'over-memory' };
    case 'log':
      return typeof raw['line'] === 'string' ? { type: 'log', line: raw['line'] } : undefined;
    case 'log-dropped': {
      const count = raw['count'];
      return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? { type: 'log-dropped', count } : undefined;
    }
    case 'init-done': {
      if (raw['ok'] === true) return { type: 'init-done', ok: true, memoryBytes: memoryOf(raw), ...markOf(raw) };
      const error = toFunctionError(raw['error']);
      return error ? { type: 'init-done', ok: false, error, memoryBytes: memoryOf(raw), ...markOf(raw) } : undefined;
    }
    case 'result': {
      const requestId = raw['requestId'];
      if (typeof requestId !== 'string') return undefined;
      const streamed = raw['streamed'] === true ? { streamed: true } : {};
      if (raw['ok'] === true) {
        const payload = raw['payload'];
        if (typeof payload !== 'string') return undefined;
        return { type: 'result', requestId, ok: true, payload, memoryBytes: memoryOf(raw), ...markOf(raw), ...streamed, ...contentTypeOf(raw) };
      }
      const error = toFunctionError(raw['error']);
      if (!error) return undefined;
      return { type: 'result', requestId, ok: false, error, fatal: raw['fatal'] === true, memoryBytes: memoryOf(raw), ...markOf(raw), ...streamed };
    }
    case 'chunk': {
      const requestId = raw['requestId'];
      const data = raw['data'];
      if (typeof requestId !== 'string' || !(data instanceof Uint8Array)) return undefined;
      return { type: 'chunk', requestId, data, ...contentTypeOf(raw) };
    }
    case 'fatal': {
      const error = toFunctionError(raw['error']);
      return error ? { type: 'fatal', error } : undefined;
    }
    default:
      return undefined;
  }
}
