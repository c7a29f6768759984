/**
 * Lambda's numbers for asynchronous invocation (lambda-facts 1.5, 2.7, 5, 6), in one place so the
 * store, the dispatcher and docs/limits.md agree. All durations are Lambda's own, before the
 * platform time scale divides them.
 */

/** Largest async (`Event`) payload: 1 MB since Oct 2025 (lambda-facts 1.5). */
export const MAX_ASYNC_EVENT_BYTES = 1024 * 1024;

/** `MaximumRetryAttempts` range and default (lambda-facts 2.7, 6). */
export const MIN_RETRY_ATTEMPTS = 0;
export const MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;

/** `MaximumEventAgeInSeconds` range and default: 60 s to 6 h, default 6 h (lambda-facts 2.7, 6). */
export const MIN_EVENT_AGE_SEC = 60;
export const MAX_EVENT_AGE_SEC = 21_600;
export const DEFAULT_MAX_EVENT_AGE_SEC = 21_600;

/**
 * Delays before the 2nd and 3rd attempt after a function error: "about 1 minute" then "about 2
 * minutes" (lambda-facts 6). Index = number of function-error retries already used.
 */
export const FUNCTION_ERROR_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/**
 * Throttles and 5xx platform errors: exponential backoff "from 1 s up to 5 min" (lambda-facts 5),
 * for as long as the event is younger than its maximum age.
 */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 300_000;

/**
 * How deep a chain of function destinations may go (A's record invokes B, whose record invokes C...)
 * before the loop guard stops it. Lambda's recursive loop detection stops a loop after about 16
 * invocations.
 */
export const MAX_DESTINATION_DEPTH = 16;

/** Lambda keeps the first 1 KB of an error message on dead-lettered events (DLQ `ErrorMessage`). */
export const MAX_ERROR_MESSAGE_BYTES = 1024;

/** Upper bounds on the identifiers we store, so one row cannot be made arbitrarily large. */
export const MAX_EVENT_ID_LENGTH = 128;
export const MAX_DESTINATION_LENGTH = 512;
