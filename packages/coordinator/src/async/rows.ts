import type { AsyncEvent, DestinationCondition, EventStatus, LastAttemptError } from './async-event.js';
import type { DeadLetter } from './dead-letter.js';

/** A row of `events` as better-sqlite3 returns it. */
export interface EventRow {
  event_id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  payload_bytes: number;
  received_at: number;
  attempt: number;
  retries_on_error: number;
  backoffs: number;
  max_retry_attempts: number;
  max_event_age_sec: number;
  on_success: string | null;
  on_failure: string | null;
  destination_depth: number;
  next_attempt_at: number;
  status: EventStatus;
  lease_until: number | null;
  claim_token: number;
  attempt_open: number;
  deliveries: number;
  duplicates: number;
  redrives: number;
  last_error: string | null;
  outcome: string | null;
  finished_at: number | null;
}

/** A row of `dead_letters`. */
export interface DeadLetterRow {
  event_id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  received_at: number;
  attempts: number;
  max_retry_attempts: number;
  max_event_age_sec: number;
  on_success: string | null;
  on_failure: string | null;
  destination_depth: number;
  redrives: number;
  condition: string;
  reason: string;
  last_error: string | null;
  record: string;
  dead_at: number;
}

/** Row -> {@link AsyncEvent}. */
export function eventFromRow(r: EventRow): AsyncEvent {
  return {
    eventId: r.event_id,
    functionName: r.function_name,
    qualifier: r.qualifier,
    payload: r.payload,
    receivedAt: r.received_at,
    attempt: r.attempt,
    retriesOnError: r.retries_on_error,
    backoffs: r.backoffs,
    maxRetryAttempts: r.max_retry_attempts,
    maxEventAgeSec: r.max_event_age_sec,
    onSuccess: r.on_success ?? undefined,
    onFailure: r.on_failure ?? undefined,
    destinationDepth: r.destination_depth,
    nextAttemptAt: r.next_attempt_at,
    status: r.status,
    leaseUntil: r.lease_until ?? undefined,
    claimToken: r.claim_token,
    attemptOpen: r.attempt_open !== 0,
    deliveries: r.deliveries,
    duplicates: r.duplicates,
    redrives: r.redrives,
    lastError: parseLastError(r.last_error),
    outcome: (r.outcome ?? undefined) as DestinationCondition | undefined,
    finishedAt: r.finished_at ?? undefined,
  };
}

/** Row -> {@link DeadLetter}. */
export function deadLetterFromRow(r: DeadLetterRow): DeadLetter {
  return {
    id: r.event_id,
    eventId: r.event_id,
    functionName: r.function_name,
    qualifier: r.qualifier,
    payload: r.payload,
    receivedAt: r.received_at,
    attempts: r.attempts,
    maxRetryAttempts: r.max_retry_attempts,
    maxEventAgeSec: r.max_event_age_sec,
    onSuccess: r.on_success ?? undefined,
    onFailure: r.on_failure ?? undefined,
    destinationDepth: r.destination_depth,
    redrives: r.redrives,
    condition: r.condition as DestinationCondition,
    reason: r.reason,
    lastError: parseLastError(r.last_error),
    record: JSON.parse(r.record) as unknown,
    deadAt: r.dead_at,
  };
}

function parseLastError(text: string | null): LastAttemptError | undefined {
  return text === null ? undefined : (JSON.parse(text) as LastAttemptError);
}
