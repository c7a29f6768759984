import { INTACT, type BrokenSafety, type Clock, type Entropy, type Logger } from '@zonesim/common';
import {
  AsyncDispatcher,
  EventStore,
  isAsyncQueueError,
  storeDestinationDelivery,
  type AsyncEvent,
  type AttemptOutcome,
  type DeliverToFunction,
  type NewAsyncEvent,
} from './async/index.js';
import { requestTooLarge, invalidParameter, serviceException } from './errors.js';
import type { Registry } from './registry/registry.js';
import type { InvocationLedger } from './ledger/invocation-ledger.js';
import type { EventInvokeConfig } from './registry/event-invoke-config.js';
import type { InvocationPipeline } from './invocation/invocation-pipeline.js';
import type { InvocationOutcome } from './invocation/invocation-outcome.js';
import { isQueueDestination, type DeliverToQueue } from './queues/queue-destination.js';

/** Settings of asynchronous invocation. */
export interface AsyncInvocationSettings {
  dataDir: string;
  region: string;
  accountId: string;
  /** Divides the platform's own delays (retry delays, backoff, event age, leases). */
  timeScale: number;
  maxConcurrentAttempts: number;
  /** False: an attempt lost with its zone drops the event (a teaching switch, see CoordinatorOptions.failover). */
  failover?: boolean;
  stopGraceMs: number;
}

/**
 * Lambda's asynchronous invocation path: an `Event` invoke is answered 202 only once the event is
 * committed to the durable {@link EventStore}; the {@link AsyncDispatcher} then runs each attempt
 * through the {@link InvocationPipeline} and applies Lambda's retry rules and destinations to its
 * outcome (docs/failover.md). Owns both, with the coordinator's lifecycle.
 */
export class AsyncInvocations {
  readonly #settings: AsyncInvocationSettings;
  readonly #registry: Registry;
  readonly #pipeline: InvocationPipeline;
  readonly #ledger: InvocationLedger | undefined;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  #store: EventStore | undefined;
  readonly #broken: BrokenSafety;
  readonly #deliverToQueue: DeliverToQueue | undefined;
  #dispatcher: AsyncDispatcher | undefined;

  constructor(args: {
    settings: AsyncInvocationSettings;
    /** Each event's settings when it is a destination function's new event. */
    registry: Registry;
    /** Runs each attempt (and records it). */
    pipeline: InvocationPipeline;
    /** Flushed before an attempt that ran is settled. */
    ledger?: InvocationLedger;
    /** Destinations that are SQS queue ARNs (the built-in queue service, issue 7). */
    deliverToQueue?: DeliverToQueue;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
    /** Safety switched off (explore's self-test, issue 19). @default none */
    broken?: BrokenSafety;
  }) {
    this.#broken = args.broken ?? INTACT;
    this.#deliverToQueue = args.deliverToQueue;
    this.#ledger = args.ledger;
    this.#settings = args.settings;
    this.#registry = args.registry;
    this.#pipeline = args.pipeline;
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#log = args.log;
  }

  /** Opens the store (re-queueing what a crash left in flight) and starts dispatching. */
  start(): void {
    const s = this.#settings;
    this.#store = new EventStore({ dataDir: s.dataDir }, { clock: this.#clock, logger: this.#log, broken: this.#broken });
    const store = this.#store;
    this.#dispatcher = new AsyncDispatcher(
      {
        store,
        invoke: (event, _attempt, options) => this.#attempt(event, options.duplicate === true),
        clock: this.#clock,
        random: () => this.#entropy.random(),
        logger: this.#log,
        // A destination function gets the record as a new async event with its own settings; a
        // destination queue gets it as a message.
        deliverToFunction: withQueues(
          storeDestinationDelivery(store, {
            account: { region: s.region, accountId: s.accountId },
            configFor: (name) => {
              try {
                return asyncSettingsOf(this.#registry.get(name).eventInvokeConfig);
              } catch {
                return undefined;
              }
            },
          }),
          this.#deliverToQueue,
        ),
      },
      { timeScale: s.timeScale, region: s.region, accountId: s.accountId, maxConcurrentAttempts: s.maxConcurrentAttempts, stopGraceMs: s.stopGraceMs },
    );
    this.#dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.#dispatcher?.stop();
    this.#store?.close();
  }

  /** A crash: the dispatcher abandons its attempts (their events stay in flight) and the store closes unflushed. */
  abandon(): void {
    this.#dispatcher?.abandon();
    this.#store?.abandon();
  }

  /** Accepts one event: resolves once it is durable. Throws Lambda's errors when it cannot be. */
  async accept(event: NewAsyncEvent): Promise<void> {
    const store = this.#opened();
    try {
      await store.enqueue(event);
    } catch (err) {
      if (isAsyncQueueError(err)) {
        if (err.code === 'QUEUE_FULL') throw this.#pipeline.throttles.asyncQueueFull();
        if (err.code === 'PAYLOAD_TOO_LARGE') throw requestTooLarge(err.message);
        if (err.code === 'INVALID_EVENT' || err.code === 'DUPLICATE_EVENT') throw invalidParameter(err.message);
      }
      throw serviceException('The event could not be stored.', err);
    }
    this.#dispatcher?.wake();
  }

  /** The store, for the admin API (stats, dead letters, redrive). */
  get store(): EventStore {
    return this.#opened();
  }

  get dispatcher(): AsyncDispatcher | undefined {
    return this.#dispatcher;
  }

  /** Wakes the dispatcher (after a redrive). */
  wake(): void {
    this.#dispatcher?.wake();
  }

  #opened(): EventStore {
    if (!this.#store) throw serviceException('The asynchronous queue is not running.');
    return this.#store;
  }

  /** One attempt: runs the event through the invocation pipeline and classifies what came of it. */
  async #attempt(event: AsyncEvent, duplicate: boolean): Promise<AttemptOutcome> {
    const now = this.#clock.now();
    // The first attempt's wait in the queue counts from acceptance; a retry's from when it was due.
    const first = event.attempt <= 1;
    const outcome = await this.#pipeline.run({
      requestId: event.eventId,
      invocationType: 'Event',
      functionName: event.functionName,
      qualifier: event.qualifier === '$LATEST' ? undefined : event.qualifier,
      payload: event.payload,
      attempt: Math.max(1, event.attempt),
      receivedAt: first ? event.receivedAt : now,
      queuedAt: first ? event.receivedAt : Math.min(event.nextAttemptAt, now),
      duplicate,
    });
    const { attempt, ran, dropped } = classifyAttempt(outcome, { failover: this.#settings.failover !== false });
    if (dropped) this.#log.warn({ eventId: event.eventId, function: event.functionName }, 'failover is off: dropping an event lost with its zone');
    return ran ? this.#recorded(attempt) : attempt;
  }

  /**
   * The attempt's record reaches the file before the event is settled in the store: a crash of the
   * coordinator between the two must not leave a delivered event without its ledger record (a
   * checker would call it lost). Waiting callers share one write.
   */
  async #recorded(outcome: AttemptOutcome): Promise<AttemptOutcome> {
    await this.#ledger?.writer.flushThrough().catch(() => undefined);
    return outcome;
  }
}

/** An async attempt as the dispatcher's retry rules see it, from the pipeline's outcome. */
export interface ClassifiedAttempt {
  attempt: AttemptOutcome;
  /** The function ran (success or function error): its record is flushed before the event settles. */
  ran: boolean;
  /** Failover off: an attempt lost with its zone was dropped as if handled. */
  dropped: boolean;
}

/**
 * Lambda's view of one async attempt (lambda-facts 5, 6): function errors use the event's 0-2
 * retries; throttles and platform errors back off until the event is too old; a deleted function
 * (or version or alias) and reserved concurrency 0 end the event at once, since retrying cannot
 * help; a function not Active yet backs off like any platform error.
 */
export function classifyAttempt(o: InvocationOutcome, settings: { failover: boolean }): ClassifiedAttempt {
  switch (o.kind) {
    case 'success':
      return { attempt: { kind: 'success', payload: o.payload, executedVersion: o.target.spec.version }, ran: true, dropped: false };
    case 'function-error': {
      const fe = o.functionError;
      const attempt: AttemptOutcome = { kind: 'function-error', errorType: fe.errorType, errorMessage: fe.errorMessage, payload: JSON.stringify(fe), executedVersion: o.target.spec.version };
      return { attempt, ran: true, dropped: false };
    }
    case 'throttled':
      return { attempt: { kind: 'throttled', reason: o.reason, retryable: o.retryable }, ran: false, dropped: false };
    case 'platform-error': {
      const e = o.error;
      if (o.stage === 'resolve') {
        const attempt: AttemptOutcome = { kind: 'platform-error', code: e.type, message: e.message, statusCode: e.status };
        if (e.status === 404) attempt.retryable = false;
        return { attempt, ran: false, dropped: false };
      }
      if (o.mayHaveRun && !settings.failover) {
        // Failover off: the platform forgets the attempt lost with its zone and counts the event as
        // handled. Nothing ran to completion, so a checker finds it lost, as the switch means to show.
        return { attempt: { kind: 'success', executedVersion: o.target.spec.version }, ran: false, dropped: true };
      }
      return { attempt: { kind: 'platform-error', code: e.type, message: e.message, mayHaveRun: o.mayHaveRun }, ran: false, dropped: false };
    }
  }
}

/** Routes a destination ARN to the queue service when it names a queue, else to the function path. */
function withQueues(toFunction: DeliverToFunction, toQueue: DeliverToQueue | undefined): DeliverToFunction {
  if (!toQueue) return toFunction;
  return (arn, record, source) => (isQueueDestination(arn) ? toQueue(arn, record, source) : toFunction(arn, record, source));
}

/** The function's FunctionEventInvokeConfig as the async store takes it (Lambda's defaults otherwise). */
export function asyncSettingsOf(c: EventInvokeConfig | undefined): Pick<NewAsyncEvent, 'maxRetryAttempts' | 'maxEventAgeSec' | 'onSuccess' | 'onFailure'> {
  if (!c) return {};
  return {
    ...(c.maximumRetryAttempts === undefined ? {} : { maxRetryAttempts: c.maximumRetryAttempts }),
    ...(c.maximumEventAgeInSeconds === undefined ? {} : { maxEventAgeSec: c.maximumEventAgeInSeconds }),
    ...(c.onSuccess ? { onSuccess: c.onSuccess } : {}),
    ...(c.onFailure ? { onFailure: c.onFailure } : {}),
  };
}
