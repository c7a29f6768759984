import type { FunctionError } from '@zonesim/protocol';

/**
 * Error bodies that runtimes post to the Runtime API (`/invocation/{id}/error`, `/init/error`):
 * `{"errorMessage": "...", "errorType": "...", "stackTrace": [...]}` (lambda-facts 1.3 and 3.1).
 */

/** Longest errorMessage kept (the wire's bound on FunctionError.errorMessage). */
const MAX_MESSAGE_CHARS = 256 * 1024;
const MAX_TYPE_CHARS = 1024;
const MAX_TRACE_LINES = 1000;
const MAX_TRACE_LINE_CHARS = 64 * 1024;
/** Largest `cause` chain kept, as JSON text. */
const MAX_CAUSE_CHARS = 64 * 1024;

/** rapid keeps an INIT error type only when it looks like `Runtime.Something` / `Function.Something`. */
const CATEGORY_REASON = /^(Runtime|Function)\.[A-Z][a-zA-Z]+$/;

/**
 * The error type INIT_REPORT shows for `POST /runtime/init/error`: the header when it matches
 * `(Runtime|Function)\.[A-Z][a-zA-Z]+`, else `Runtime.Unknown` (lambda-facts 3.1, rapid's rule).
 */
export function normaliseInitErrorType(header: string | undefined): string {
  return header !== undefined && CATEGORY_REASON.test(header) ? header : 'Runtime.Unknown';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The function error a caller sees for a posted error body. A JSON object keeps its `errorType`,
 * `errorMessage` and `stackTrace` (the header's type fills a missing `errorType`); a body that is
 * not a JSON object becomes the message, under the header's type or `fallbackType`.
 */
export function parseRuntimeError(body: Buffer, headerType: string | undefined, fallbackType: string): FunctionError {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) {
    return { errorType: (headerType ?? fallbackType).slice(0, MAX_TYPE_CHARS), errorMessage: text.slice(0, MAX_MESSAGE_CHARS) };
  }
  const errorType = typeof parsed['errorType'] === 'string' && parsed['errorType'] !== '' ? parsed['errorType'] : (headerType ?? fallbackType);
  const errorMessage = typeof parsed['errorMessage'] === 'string' ? parsed['errorMessage'] : '';
  const error: FunctionError = { errorType: errorType.slice(0, MAX_TYPE_CHARS), errorMessage: errorMessage.slice(0, MAX_MESSAGE_CHARS) };
  const trace = parsed['stackTrace'];
  if (Array.isArray(trace)) {
    error.stackTrace = trace.slice(0, MAX_TRACE_LINES).map((line) => String(line).slice(0, MAX_TRACE_LINE_CHARS));
  }
  // What Lambda's managed runtimes add, passed through as they posted it (Lambda returns the body as is).
  if (typeof parsed['requestId'] === 'string') error.requestId = parsed['requestId'].slice(0, 256);
  if (isObject(parsed['cause']) && JSON.stringify(parsed['cause']).length <= MAX_CAUSE_CHARS) error.cause = parsed['cause'];
  return error;
}
