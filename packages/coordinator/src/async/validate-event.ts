import { DEAD_LETTER_DESTINATION, type NewAsyncEvent } from './async-event.js';
import {
  DEFAULT_MAX_EVENT_AGE_SEC,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  MAX_ASYNC_EVENT_BYTES,
  MAX_DESTINATION_LENGTH,
  MAX_EVENT_AGE_SEC,
  MAX_EVENT_ID_LENGTH,
  MAX_RETRY_ATTEMPTS,
  MIN_EVENT_AGE_SEC,
  MIN_RETRY_ATTEMPTS,
} from './async-limits.js';
import { AsyncQueueError, AsyncQueueErrorCode } from './errors.js';

/** A {@link NewAsyncEvent} with every default filled and every field checked. */
export interface ValidEvent {
  eventId: string;
  functionName: string;
  qualifier: string;
  payload: Buffer;
  receivedAt: number;
  maxRetryAttempts: number;
  maxEventAgeSec: number;
  onSuccess: string | null;
  onFailure: string | null;
  destinationDepth: number;
}

/**
 * Checks an event before it is queued, with Lambda's ranges (lambda-facts 2.7) and the 1 MB async
 * payload limit (1.5). Throws `INVALID_EVENT` or `PAYLOAD_TOO_LARGE` naming the field.
 */
export function validateNewEvent(event: NewAsyncEvent, now: number): ValidEvent {
  const id = event.eventId;
  const invalid = (field: string, what: string): AsyncQueueError =>
    new AsyncQueueError(AsyncQueueErrorCode.InvalidEvent, `async event ${field} ${what}`, { eventId: id, field });
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) {
    throw invalid('eventId', `must be a string of 1-${MAX_EVENT_ID_LENGTH} characters`);
  }
  if (typeof event.functionName !== 'string' || event.functionName.length === 0 || event.functionName.length > 256) {
    throw invalid('functionName', 'must be a string of 1-256 characters');
  }
  const qualifier = event.qualifier ?? '$LATEST';
  if (typeof qualifier !== 'string' || qualifier.length === 0 || qualifier.length > 128) {
    throw invalid('qualifier', 'must be a string of 1-128 characters');
  }
  if (!Buffer.isBuffer(event.payload)) throw invalid('payload', 'must be a Buffer');
  if (event.payload.length > MAX_ASYNC_EVENT_BYTES) {
    throw new AsyncQueueError(
      AsyncQueueErrorCode.PayloadTooLarge,
      `async event payload is ${event.payload.length} bytes, above the ${MAX_ASYNC_EVENT_BYTES}-byte limit`,
      { eventId: id, field: 'payload', limit: MAX_ASYNC_EVENT_BYTES, observed: event.payload.length },
    );
  }
  const receivedAt = event.receivedAt ?? now;
  if (!Number.isFinite(receivedAt) || receivedAt < 0) throw invalid('receivedAt', 'must be epoch milliseconds');
  const maxRetryAttempts = event.maxRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  if (!Number.isInteger(maxRetryAttempts) || maxRetryAttempts < MIN_RETRY_ATTEMPTS || maxRetryAttempts > MAX_RETRY_ATTEMPTS) {
    throw invalid('maxRetryAttempts', `must be an integer ${MIN_RETRY_ATTEMPTS}-${MAX_RETRY_ATTEMPTS}, got ${String(maxRetryAttempts)}`);
  }
  const maxEventAgeSec = event.maxEventAgeSec ?? DEFAULT_MAX_EVENT_AGE_SEC;
  if (!Number.isInteger(maxEventAgeSec) || maxEventAgeSec < MIN_EVENT_AGE_SEC || maxEventAgeSec > MAX_EVENT_AGE_SEC) {
    throw invalid('maxEventAgeSec', `must be an integer ${MIN_EVENT_AGE_SEC}-${MAX_EVENT_AGE_SEC}, got ${String(maxEventAgeSec)}`);
  }
  const onSuccess = destination(event.onSuccess, 'onSuccess', invalid);
  // The dead-letter store holds failures to be redriven; a success record there would re-run a
  // delivered event on redrive, so it is refused as an on-success destination.
  if (onSuccess === DEAD_LETTER_DESTINATION) throw invalid('onSuccess', 'cannot be the dead-letter store');
  const onFailure = destination(event.onFailure, 'onFailure', invalid);
  const destinationDepth = event.destinationDepth ?? 0;
  if (!Number.isInteger(destinationDepth) || destinationDepth < 0) throw invalid('destinationDepth', 'must be an integer >= 0');
  return {
    eventId: id,
    functionName: event.functionName,
    qualifier,
    payload: event.payload,
    receivedAt,
    maxRetryAttempts,
    maxEventAgeSec,
    onSuccess,
    onFailure,
    destinationDepth,
  };
}

function destination(value: string | undefined, field: string, invalid: (f: string, w: string) => AsyncQueueError): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DESTINATION_LENGTH) {
    throw invalid(field, `must be a string of 1-${MAX_DESTINATION_LENGTH} characters`);
  }
  return value;
}
