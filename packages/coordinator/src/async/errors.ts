/**
 * Errors of the durable async queue. One class, {@link AsyncQueueError}, with a stable `name` and a
 * string `code` from {@link AsyncQueueErrorCode}; structured fields carry the facts (which bound,
 * its limit, the event id) so callers never parse messages. Across packages and processes, tell
 * them apart by `code`, not `instanceof` (STYLE 11).
 *
 * The Invoke route maps them to Lambda's exceptions: `QUEUE_FULL` -> 429 `TooManyRequestsException`,
 * `PAYLOAD_TOO_LARGE` -> 413 `RequestTooLargeException`, `INVALID_EVENT` -> 400
 * `InvalidParameterValueException`, the rest -> 500 `ServiceException`.
 */

/** Why the async queue refused or failed an operation. Stable strings. */
export const AsyncQueueErrorCode = {
  /** A bound was reached (queued events, queued bytes, or uncommitted enqueues): back off and retry. */
  QueueFull: 'QUEUE_FULL',
  /** The payload is above Lambda's async limit (1 MB, lambda-facts 1.5). */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** A field of the event is missing or out of Lambda's range (e.g. `maxRetryAttempts` 3). */
  InvalidEvent: 'INVALID_EVENT',
  /** An event with this id is already stored: event ids are request ids and must be unique. */
  DuplicateEvent: 'DUPLICATE_EVENT',
  /** The store was closed before the operation ran (or committed). */
  StoreClosed: 'STORE_CLOSED',
  /** SQLite failed (disk full, I/O error, corrupt file); `cause` has the driver's error. */
  StoreFailure: 'STORE_FAILURE',
  /** The database was written by a newer zonesim (its `user_version` is above what we know). */
  SchemaTooNew: 'SCHEMA_TOO_NEW',
  /** A destination chain went deeper than the loop guard allows (Lambda's recursive loop detection). */
  RecursiveInvocation: 'RECURSIVE_INVOCATION',
  /** The enqueue was aborted through its `AbortSignal` before it was committed. */
  Aborted: 'ABORTED',
} as const;

/** One of the values of {@link AsyncQueueErrorCode}. */
export type AsyncQueueErrorCode = (typeof AsyncQueueErrorCode)[keyof typeof AsyncQueueErrorCode];

/** Structured facts about a failure. */
export interface AsyncQueueErrorFields {
  /** The event concerned, when there is one. */
  eventId?: string;
  /** The option or field at fault, e.g. `maxQueuedEvents` or `maxRetryAttempts`. */
  field?: string;
  /** The limit that was reached. */
  limit?: number;
  /** What was seen against that limit. */
  observed?: number;
}

/** A failure of the durable async queue; see {@link AsyncQueueErrorCode}. */
export class AsyncQueueError extends Error {
  override readonly name = 'AsyncQueueError';
  readonly code: AsyncQueueErrorCode;
  readonly eventId: string | undefined;
  readonly field: string | undefined;
  readonly limit: number | undefined;
  readonly observed: number | undefined;

  constructor(code: AsyncQueueErrorCode, message: string, fields: AsyncQueueErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.eventId = fields.eventId;
    this.field = fields.field;
    this.limit = fields.limit;
    this.observed = fields.observed;
  }
}

/** True for an {@link AsyncQueueError} of `code` (or any code), checked by name and code, not `instanceof`. */
export function isAsyncQueueError(err: unknown, code?: AsyncQueueErrorCode): err is AsyncQueueError {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'AsyncQueueError' && typeof e.code === 'string' && (code === undefined || e.code === code);
}
