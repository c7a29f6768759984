/**
 * Durable asynchronous invocation, as Lambda does it (lambda-facts 5, 6; issue 4).
 *
 * - {@link EventStore}: the accepted events in SQLite (WAL) under the coordinator's data directory.
 *   `enqueue` resolves only once the event is committed, so a 202 means "survives kill -9"; enqueues
 *   of one event-loop turn share a transaction (group commit). Bounded (`QUEUE_FULL`). Claims are
 *   leased and fenced; the dead-letter store lives in the same file.
 * - {@link AsyncDispatcher}: claims due events and runs them through an injected `invoke` with
 *   Lambda's retry rules (function errors: 0-2 retries ~1 min then ~2 min apart; throttles and
 *   platform errors: backoff 1 s .. 5 min until `MaximumEventAgeInSeconds`), then hands Lambda's
 *   destination record to the on-success / on-failure function or to the dead-letter store.
 *   Every Lambda delay is divided by `timeScale`.
 *
 * Delivery is at-least-once; a re-delivery while an earlier attempt may have run is counted as a
 * duplicate, per event and in total.
 */
export { EventStore, type EventStoreComponents, type EventStoreStats, type StartedAttempt, type RescheduleFields, type CompleteFields } from './event-store.js';
export { DEFAULT_EVENT_STORE, resolveEventStoreOptions, type EventStoreOptions, type ResolvedEventStoreOptions, type SynchronousMode } from './event-store-options.js';
export type { GroupCommitStats } from './group-commit.js';
export {
  DEAD_LETTER_DESTINATION,
  DestinationCondition,
  EventStatus,
  type AsyncEvent,
  type LastAttemptError,
  type NewAsyncEvent,
} from './async-event.js';
export { DeadLetterReason, type DeadLetter, type DeadLetterInput, type ListDeadLettersOptions } from './dead-letter.js';
export { AsyncDispatcher, type AsyncDispatcherComponents } from './async-dispatcher.js';
export {
  DEFAULT_ASYNC_DISPATCHER,
  MIN_SCALED_LEASE_MS,
  resolveAsyncDispatcherOptions,
  type AsyncDispatcherOptions,
  type ResolvedAsyncDispatcherOptions,
} from './dispatcher-options.js';
export type { AsyncDispatcherCounters } from './dispatcher-counters.js';
export type { AttemptOutcome, InvokeAttempt } from './attempt-outcome.js';
export { buildDestinationRecord, fitRecord, type DestinationRecord } from './destination-record.js';
export {
  destinationEventId,
  storeDestinationDelivery,
  type DeliverToFunction,
  type EventInvokeConfigLookup,
  type StoreDestinationOptions,
} from './destinations.js';
export { backoffDelayMs, decideAfterAttempt, expiresAt, functionErrorDelayMs, isExpired, type RetryDecision, type TimingRules } from './retry-rules.js';
export * from './async-limits.js';
export { AsyncQueueError, AsyncQueueErrorCode, isAsyncQueueError, type AsyncQueueErrorFields } from './errors.js';
