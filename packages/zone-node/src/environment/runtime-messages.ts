import type { FunctionError } from '@zonesim/protocol';

/**
 * The contract between an environment host (this package) and the runtime code that runs inside
 * the environment (`packages/zone-node/runtime/bootstrap.mjs`, plain JavaScript). Both directions
 * travel over one ordered channel (IPC for processes, the parent port for workers), so log lines
 * and results arrive in the order the runtime produced them.
 */

/** Host -> runtime: start INIT (load the handler). */
export interface InitMessage {
  type: 'init';
  /** Worker isolation: external memory above this is reported as `over-memory`. */
  memoryLimitBytes: number;
  memoryPollMs: number;
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
  | { type: 'init-done'; ok: true; memoryBytes: number }
  | { type: 'init-done'; ok: false; error: FunctionError; memoryBytes: number }
  | { type: 'result'; requestId: string; ok: true; payload: string; memoryBytes: number }
  | { type: 'result'; requestId: string; ok: false; error: FunctionError; fatal: boolean; memoryBytes: number }
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
    case 'init-done': {
      if (raw['ok'] === true) return { type: 'init-done', ok: true, memoryBytes: memoryOf(raw) };
      const error = toFunctionError(raw['error']);
      return error ? { type: 'init-done', ok: false, error, memoryBytes: memoryOf(raw) } : undefined;
    }
    case 'result': {
      const requestId = raw['requestId'];
      if (typeof requestId !== 'string') return undefined;
      if (raw['ok'] === true) {
        const payload = raw['payload'];
        return typeof payload === 'string' ? { type: 'result', requestId, ok: true, payload, memoryBytes: memoryOf(raw) } : undefined;
      }
      const error = toFunctionError(raw['error']);
      if (!error) return undefined;
      return { type: 'result', requestId, ok: false, error, fatal: raw['fatal'] === true, memoryBytes: memoryOf(raw) };
    }
    case 'fatal': {
      const error = toFunctionError(raw['error']);
      return error ? { type: 'fatal', error } : undefined;
    }
    default:
      return undefined;
  }
}
