import { isWireErrorCode, type InvokeResult } from '@zonesim/protocol';
import type { Clock, Entropy, Logger } from '@zonesim/common';
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
import { LambdaApiError, requestTooLarge, tooManyRequests, invalidParameter, serviceException } from './errors.js';
import { InvocationLostError } from './membership/pending-invocations.js';
import type { Registry } from './registry/registry.js';
import { functionArn } from './registry/function-name.js';
import type { RouteTrace, Router } from './router/router.js';
import type { InvocationLedger } from './ledger/invocation-ledger.js';
import { attemptRecord } from './ledger/attempt-record.js';
import type { ConcurrencyLimits } from './concurrency/concurrency-limits.js';
import type { EventInvokeConfig } from './registry/event-invoke-config.js';
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
 * committed to the durable {@link EventStore}; the {@link AsyncDispatcher} then runs it through the
 * router with Lambda's retry rules and destinations (docs/failover.md). Owns both, with the
 * coordinator's lifecycle.
 */
export class AsyncInvocations {
  readonly #settings: AsyncInvocationSettings;
  readonly #registry: Registry;
  readonly #router: Router;
  readonly #concurrency: ConcurrencyLimits;
  readonly #ledger: InvocationLedger | undefined;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  #store: EventStore | undefined;
  readonly #deliverToQueue: DeliverToQueue | undefined;
  #dispatcher: AsyncDispatcher | undefined;

  constructor(args: {
    settings: AsyncInvocationSettings;
    registry: Registry;
    router: Router;
    concurrency: ConcurrencyLimits;
    /** Where every attempt is recorded. */
    ledger?: InvocationLedger;
    /** Destinations that are SQS queue ARNs (the built-in queue service, issue 7). */
    deliverToQueue?: DeliverToQueue;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
  }) {
    this.#deliverToQueue = args.deliverToQueue;
    this.#ledger = args.ledger;
    this.#settings = args.settings;
    this.#registry = args.registry;
    this.#router = args.router;
    this.#concurrency = args.concurrency;
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#log = args.log;
  }

  /** Opens the store (re-queueing what a crash left in flight) and starts dispatching. */
  start(): void {
    const s = this.#settings;
    this.#store = new EventStore({ dataDir: s.dataDir }, { clock: this.#clock, logger: this.#log });
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

  /** Accepts one event: resolves once it is durable. Throws Lambda's errors when it cannot be. */
  async accept(event: NewAsyncEvent): Promise<void> {
    const store = this.#opened();
    try {
      await store.enqueue(event);
    } catch (err) {
      if (isAsyncQueueError(err)) {
        if (err.code === 'QUEUE_FULL') throw tooManyRequests('ConcurrentInvocationLimitExceeded', 'The asynchronous event queue is full.', 1);
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

  /** One attempt: routes the event like a sync invocation and reports what came of it. */
  async #attempt(event: AsyncEvent, duplicate: boolean): Promise<AttemptOutcome> {
    let record;
    try {
      record = this.#registry.get(event.functionName, event.qualifier === '$LATEST' ? undefined : event.qualifier);
    } catch (err) {
      // The function was deleted while its events waited: nothing can run them.
      return { kind: 'platform-error', code: 'ResourceNotFoundException', message: (err as Error).message, retryable: false, statusCode: 404 };
    }
    if (record.state !== 'Active') {
      return { kind: 'platform-error', code: 'ResourceConflictException', message: `function is ${record.state}`, statusCode: 409 };
    }
    const view = this.#registry.resolve(event.functionName, event.qualifier, { pick: true });
    const spec = this.#registry.spec(view);
    const trace: RouteTrace = {};
    // The first attempt's wait in the queue counts from acceptance; a retry's from when it was due.
    const first = event.attempt <= 1;
    const facts = {
      requestId: event.eventId,
      attempt: Math.max(1, event.attempt),
      invocationType: 'Event' as const,
      view,
      qualifier: event.qualifier,
      receivedAt: first ? event.receivedAt : this.#clock.now(),
      queuedAt: first ? event.receivedAt : Math.min(event.nextAttemptAt, this.#clock.now()),
      trace,
      duplicate,
    };
    const recordAttempt = (outcome: { result?: InvokeResult; error?: unknown }): void =>
      this.#ledger?.record(attemptRecord({ ...facts, ...outcome, respondedAt: this.#clock.now() }), trace);
    // The attempt's record reaches the file before the event is settled in the store: a crash of
    // the coordinator between the two must not leave a delivered event without its ledger record
    // (a checker would call it lost). Waiting callers share one write.
    const recorded = async (outcome: AttemptOutcome): Promise<AttemptOutcome> => {
      await this.#ledger?.writer.flushThrough().catch(() => undefined);
      return outcome;
    };
    let release: () => void;
    try {
      release = this.#concurrency.acquire(event.functionName);
    } catch (err) {
      recordAttempt({ error: err });
      const reason = String((err as LambdaApiError).extra['Reason'] ?? 'ConcurrentInvocationLimitExceeded');
      // Reserved concurrency 0 sends async events straight to the failure destination (lambda-facts 5).
      return { kind: 'throttled', reason, retryable: this.#concurrency.reserved(event.functionName) !== 0 };
    }
    try {
      const result = await this.#router.route({
        requestId: event.eventId,
        spec,
        payload: event.payload,
        invokedFunctionArn: functionArn(this.#settings, event.functionName, event.qualifier === '$LATEST' ? undefined : event.qualifier),
        logTail: false,
        trace,
      });
      recordAttempt({ result });
      if (result.outcome === 'success') {
        return await recorded({ kind: 'success', payload: Buffer.from(result.payload ?? 'null'), executedVersion: spec.version });
      }
      const fe = result.functionError ?? { errorType: 'Runtime.Unknown', errorMessage: 'unknown error' };
      return await recorded({ kind: 'function-error', errorType: fe.errorType, errorMessage: fe.errorMessage, payload: JSON.stringify(fe), executedVersion: spec.version });
    } catch (err) {
      recordAttempt({ error: err });
      if (err instanceof LambdaApiError && err.status === 429) {
        return { kind: 'throttled', reason: String(err.extra['Reason'] ?? 'ConcurrentInvocationLimitExceeded') };
      }
      const lost = err instanceof LambdaApiError && err.cause instanceof InvocationLostError;
      if (lost && this.#settings.failover === false && (err.cause as InvocationLostError).accepted) {
        // Failover off: the platform forgets the attempt lost with its zone and counts the event as
        // handled. Nothing ran to completion, so a checker finds it lost, as the switch means to show.
        this.#log.warn({ eventId: event.eventId, function: event.functionName }, 'failover is off: dropping an event lost with its zone');
        return { kind: 'success', executedVersion: spec.version };
      }
      const code = err instanceof LambdaApiError ? err.type : isWireErrorCode(String((err as { code?: unknown }).code)) ? String((err as { code: string }).code) : 'ServiceException';
      return { kind: 'platform-error', code, message: (err as Error).message, mayHaveRun: lost && (err.cause as InvocationLostError).accepted };
    } finally {
      release();
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
