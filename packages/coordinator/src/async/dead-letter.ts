import type { DestinationCondition, LastAttemptError } from './async-event.js';

/**
 * Why an event went to the dead-letter store: its final condition, or a failed delivery of its
 * failure record to the on-failure function.
 */
export const DeadLetterReason = {
  RetriesExhausted: 'RetriesExhausted',
  EventAgeExceeded: 'EventAgeExceeded',
  /** The on-failure function could not be given the record (unknown function, queue full...). */
  DestinationDeliveryFailed: 'DestinationDeliveryFailed',
  /** The destination chain was too deep (loop guard). */
  RecursiveInvocation: 'RecursiveInvocation',
} as const;

/** One of {@link DeadLetterReason}, or a platform code for a non-retryable platform failure. */
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason] | (string & {});

/**
 * An event in the dead-letter store. It keeps everything needed to redrive it (payload and async
 * settings), and the destination record an on-failure destination would have received, so that
 * `zonesim dlq list` shows Lambda's own words for what happened.
 */
export interface DeadLetter {
  /** Dead-letter id: the event's request id. */
  id: string;
  eventId: string;
  functionName: string;
  qualifier: string;
  payload: Buffer;
  /** When the event was accepted (the redrive that produced it, if any). */
  receivedAt: number;
  /** Attempts made before it died. */
  attempts: number;
  maxRetryAttempts: number;
  maxEventAgeSec: number;
  onSuccess: string | undefined;
  onFailure: string | undefined;
  destinationDepth: number;
  /** Times this event had already been redriven. */
  redrives: number;
  /** `requestContext.condition` of the record. */
  condition: DestinationCondition;
  reason: DeadLetterReason;
  lastError: LastAttemptError | undefined;
  /** The destination invocation record (Lambda's shape, lambda-facts 6). */
  record: unknown;
  /** Epoch ms it was dead-lettered. */
  deadAt: number;
}

/** What {@link EventStore.deadLetter} needs besides the event id. */
export interface DeadLetterInput {
  condition: DestinationCondition;
  reason: DeadLetterReason;
  /** The destination invocation record. */
  record: unknown;
  /** Epoch ms. */
  at: number;
  /** Fencing token of the claim; when given, a stale claim is refused (returns false). */
  claimToken?: number;
  /** The outcome that ended the event, if it was an attempt's. */
  lastError?: LastAttemptError;
}

/** Filter and page of {@link EventStore.listDeadLetters}. */
export interface ListDeadLettersOptions {
  /** @default 100 */
  limit?: number;
  /** @default 0 */
  offset?: number;
  /** Only this function's dead letters. */
  functionName?: string;
}
