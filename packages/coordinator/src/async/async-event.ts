/**
 * The shapes of the async queue: an accepted event as the store keeps it, and what a caller passes
 * to enqueue one.
 */

/** Where an event is in its life. `done` and `dead` are final (until a redrive). */
export const EventStatus = {
  /** Waiting for `nextAttemptAt`. */
  Queued: 'queued',
  /** Claimed by a dispatcher under a lease; an attempt may be running. */
  InFlight: 'in-flight',
  /** Finished: delivered (Success), or its failure record went to an on-failure function. */
  Done: 'done',
  /** Finished in the dead-letter store. */
  Dead: 'dead',
} as const;

/** One of {@link EventStatus}. */
export type EventStatus = (typeof EventStatus)[keyof typeof EventStatus];

/** Lambda's `requestContext.condition` of a destination record (lambda-facts 6). */
export const DestinationCondition = {
  Success: 'Success',
  RetriesExhausted: 'RetriesExhausted',
  EventAgeExceeded: 'EventAgeExceeded',
} as const;

/** One of {@link DestinationCondition}. */
export type DestinationCondition = (typeof DestinationCondition)[keyof typeof DestinationCondition];

/**
 * What the last unsuccessful attempt returned, kept with the event so that a record built later
 * (an `EventAgeExceeded` after a restart) can still say what happened.
 */
export interface LastAttemptError {
  /** Which kind of outcome it was. */
  kind: 'function-error' | 'throttled' | 'platform-error';
  /** HTTP status Lambda would show: 200 for a function error, 429 throttled, 5xx platform. */
  statusCode: number;
  /** `errorType` of the function error, or the throttle reason / platform code. */
  errorType: string;
  /** First 1 KB of the message (Lambda's DLQ `ErrorMessage` keeps 1 KB). */
  errorMessage: string;
  /** Version that ran, when one did. */
  executedVersion?: string;
  /** Epoch ms of the attempt's end. */
  at: number;
}

/** An event to enqueue: what the Invoke route knows when it answers 202. */
export interface NewAsyncEvent {
  /** The Lambda request id returned to the caller; unique, and kept across retries. */
  eventId: string;
  /** Function name (not an ARN). */
  functionName: string;
  /** Version or alias. @default '$LATEST' */
  qualifier?: string;
  /** The event JSON, at most 1 MB. */
  payload: Buffer;
  /** Epoch ms the event was accepted. @default the store clock's `now()` */
  receivedAt?: number;
  /** Function-error retries allowed, 0-2. @default 2 */
  maxRetryAttempts?: number;
  /** Maximum event age in seconds, 60-21600. @default 21600 */
  maxEventAgeSec?: number;
  /** On-success destination: a function ARN. */
  onSuccess?: string;
  /** On-failure destination: a function ARN or {@link DEAD_LETTER_DESTINATION}. Without it, failures go to the dead-letter store. */
  onFailure?: string;
  /** How many destination hops led to this event (0 for a client's event); the loop guard reads it. @default 0 */
  destinationDepth?: number;
}

/** An event as stored. */
export interface AsyncEvent {
  eventId: string;
  functionName: string;
  qualifier: string;
  /** The event JSON; empty once the event is finished (the dead-letter store keeps its own copy). */
  payload: Buffer;
  /** Epoch ms the event was accepted (reset by a redrive: a redriven event is a new acceptance). */
  receivedAt: number;
  /** Attempts started so far (Lambda's `approximateInvokeCount`). */
  attempt: number;
  /** Function-error retries used so far (throttles and platform errors do not use them). */
  retriesOnError: number;
  /** Consecutive throttle/platform backoffs so far (the exponent of the backoff). */
  backoffs: number;
  maxRetryAttempts: number;
  maxEventAgeSec: number;
  onSuccess: string | undefined;
  onFailure: string | undefined;
  destinationDepth: number;
  /** Epoch ms before which the event is not attempted. */
  nextAttemptAt: number;
  status: EventStatus;
  /** Epoch ms an in-flight claim expires (then the event is re-queued). */
  leaseUntil: number | undefined;
  /** Fencing token: incremented by every claim; settling with a stale token is refused. */
  claimToken: number;
  /** True while an attempt is started and its outcome not recorded: a new attempt then is a duplicate. */
  attemptOpen: boolean;
  /** Attempts handed to the function runner (starts of attempts). */
  deliveries: number;
  /** Deliveries made while an earlier attempt's outcome was unknown (it may have run). */
  duplicates: number;
  /** Times the event came back from the dead-letter store. */
  redrives: number;
  lastError: LastAttemptError | undefined;
  /** The final condition, once `done` or `dead`. */
  outcome: DestinationCondition | undefined;
  /** Epoch ms the event finished. */
  finishedAt: number | undefined;
}

/**
 * The `onFailure` value that names the dead-letter store (kept in the coordinator's database, read
 * by `zonesim dlq list|redrive`). It is also where failures go when no `onFailure` is configured.
 */
export const DEAD_LETTER_DESTINATION = 'zonesim:dead-letter';
