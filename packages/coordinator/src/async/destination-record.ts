import type { AsyncEvent, DestinationCondition, LastAttemptError } from './async-event.js';
import type { AttemptOutcome } from './attempt-outcome.js';

/**
 * Lambda's destination invocation record (lambda-facts 6): what an on-success or on-failure
 * destination receives, and what the dead-letter store keeps. For a Lambda function destination
 * it is the event itself.
 */
export interface DestinationRecord {
  version: '1.0';
  /** ISO-8601 time the event finished. */
  timestamp: string;
  requestContext: {
    /** The original request id (kept across retries). */
    requestId: string;
    /** Qualified ARN of the function the event was for. */
    functionArn: string;
    condition: DestinationCondition;
    /** Attempts started (Lambda's count is "approximate": it includes attempts whose outcome was lost). */
    approximateInvokeCount: number;
  };
  /** The original event, parsed as JSON (the raw text if it is not JSON). */
  requestPayload: unknown;
  /**
   * What the last attempt returned. `statusCode` is 200 when the function ran (even when it failed:
   * Lambda reports function errors in a 200, with `functionError`), 429 for a throttle, 5xx for a
   * platform failure; absent when no attempt ever ran. `executedVersion` when it is known.
   */
  responseContext: { statusCode?: number; executedVersion?: string; functionError?: string };
  /** The function's response or error payload; for a throttle/platform failure, its `errorType`/`errorMessage`. */
  responsePayload: unknown;
}

/** Inputs of {@link buildDestinationRecord}. */
export interface RecordInput {
  event: AsyncEvent;
  condition: DestinationCondition;
  /** Epoch ms the event finished. */
  at: number;
  functionArn: string;
  /** The outcome that ended it; absent for an `EventAgeExceeded` found before an attempt. */
  outcome?: AttemptOutcome;
  /** The last error stored with the event, used when there is no outcome in hand. */
  lastError?: LastAttemptError;
}

/** Builds the record in Lambda's shape (field order as in Lambda's documentation). */
export function buildDestinationRecord(input: RecordInput): DestinationRecord {
  const { event, outcome } = input;
  const lastError = input.lastError ?? event.lastError;
  const executedVersion = versionOf(outcome) ?? lastError?.executedVersion ?? impliedVersion(event.qualifier);
  const version = executedVersion === undefined ? {} : { executedVersion };
  let responseContext: DestinationRecord['responseContext'];
  let responsePayload: unknown;
  if (outcome?.kind === 'success') {
    responseContext = { statusCode: 200, ...version };
    responsePayload = parsePayload(outcome.payload);
  } else if (outcome?.kind === 'function-error') {
    // Lambda reports every function error (thrown, timeout, crash) as "Unhandled" (lambda-facts 6).
    responseContext = { statusCode: 200, ...version, functionError: 'Unhandled' };
    responsePayload = outcome.payload !== undefined ? parsePayload(outcome.payload) : { errorType: outcome.errorType, errorMessage: outcome.errorMessage };
  } else if (outcome) {
    const e = outcome.kind === 'throttled'
      ? { statusCode: 429, errorType: 'TooManyRequestsException', errorMessage: outcome.reason }
      : { statusCode: outcome.statusCode ?? 500, errorType: outcome.code, errorMessage: outcome.message };
    responseContext = { statusCode: e.statusCode, ...version };
    responsePayload = { errorType: e.errorType, errorMessage: e.errorMessage };
  } else if (lastError) {
    responseContext = {
      statusCode: lastError.statusCode,
      ...version,
      ...(lastError.kind === 'function-error' ? { functionError: 'Unhandled' } : {}),
    };
    responsePayload = { errorType: lastError.errorType, errorMessage: lastError.errorMessage };
  } else {
    responseContext = { ...version };
    responsePayload = null;
  }
  return {
    version: '1.0',
    timestamp: new Date(input.at).toISOString(),
    requestContext: {
      requestId: event.eventId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: event.attempt,
    },
    requestPayload: parsePayload(event.payload),
    responseContext,
    responsePayload,
  };
}

/**
 * Fits a record into `maxBytes` of JSON the way Lambda treats oversized records: payloads are
 * dropped (response first, then request), the context is kept (lambda-facts 6).
 */
export function fitRecord(record: DestinationRecord, maxBytes: number): DestinationRecord {
  const size = (r: DestinationRecord): number => Buffer.byteLength(JSON.stringify(r));
  if (size(record) <= maxBytes) return record;
  const withoutResponse = { ...record, responsePayload: null };
  if (size(withoutResponse) <= maxBytes) return withoutResponse;
  return { ...withoutResponse, requestPayload: null };
}

function versionOf(outcome: AttemptOutcome | undefined): string | undefined {
  return outcome && (outcome.kind === 'success' || outcome.kind === 'function-error') ? outcome.executedVersion : undefined;
}

/** `$LATEST` and numbered versions name themselves; an alias does not say which version it ran. */
function impliedVersion(qualifier: string): string | undefined {
  return qualifier === '$LATEST' || /^\d+$/.test(qualifier) ? qualifier : undefined;
}

function parsePayload(payload: Buffer | string | undefined): unknown {
  if (payload === undefined) return null;
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
