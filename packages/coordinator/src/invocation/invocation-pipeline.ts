import type { Clock, Entropy, Logger } from '@zonesim/common';
import type { FunctionError, InvokeResult } from '@zonesim/protocol';
import { LambdaApiError, resourceConflict, serviceException } from '../errors.js';
import { attemptRecord, type AttemptFacts } from '../ledger/attempt-record.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import { InvocationLostError } from '../membership/pending-invocations.js';
import { functionArn } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import type { RouteRequest, RouteTrace, Router } from '../router/router.js';
import type { InvocationOutcome, InvocationRequest, InvocationTarget } from './invocation-outcome.js';
import { throttleReasonOf, type Throttles } from './throttles.js';

/** What a runtime that reported no error details is said to have failed with. */
const UNKNOWN_FUNCTION_ERROR: FunctionError = { errorType: 'Runtime.Unknown', errorMessage: 'unknown error' };

/** The pipeline's view of the registry: look-up, resolution (alias weights) and the wire spec. */
export type InvocationRegistry = Pick<Registry, 'get' | 'resolve' | 'spec'>;
/** The pipeline's view of the router: placement, dispatch, failover, the capacity wait. */
export type InvocationRouter = Pick<Router, 'route'>;
/** Where attempts are recorded. */
export type AttemptLedger = Pick<InvocationLedger, 'record'>;

/** Components of an {@link InvocationPipeline}. */
export interface InvocationPipelineComponents {
  registry: InvocationRegistry;
  router: InvocationRouter;
  throttles: Throttles;
  /** Absent: attempts are not recorded (unit tests of callers). */
  ledger?: AttemptLedger;
  clock: Clock;
  entropy: Entropy;
  log: Logger;
}

/** Settings of an {@link InvocationPipeline}. */
export interface InvocationPipelineSettings {
  /** Region and account of invoked function ARNs. */
  account: { region: string; accountId: string };
}

/**
 * The one path every invocation takes, whoever asked for it (the Invoke API, each attempt of an
 * async event, an SQS batch, a function URL request; issue 16): resolve the function, version or
 * alias (once per request) and check its state; take concurrency ({@link Throttles}: every 429 is
 * decided there); route it through the router (placement, dispatch, failover, the capacity wait);
 * give the concurrency back; record one ledger record with the router's placement steps; and map
 * what happened to one {@link InvocationOutcome}. It never throws: callers map the outcome to their
 * own answer (an HTTP response, an async attempt's retry classification, a trigger's outcome).
 *
 * Core code: time from the injected clock, ids from the injected entropy, no I/O of its own.
 */
export class InvocationPipeline {
  readonly #c: InvocationPipelineComponents;
  readonly #account: { region: string; accountId: string };

  constructor(settings: InvocationPipelineSettings, components: InvocationPipelineComponents) {
    this.#account = settings.account;
    this.#c = components;
  }

  /** Every throttling decision (the async front door and dispatcher ask it too). */
  get throttles(): Throttles {
    return this.#c.throttles;
  }

  /**
   * Resolves what a request runs: the function (404 `ResourceNotFoundException`), the version or
   * alias (404; an alias draws its routing weights here, once per request, lambda-facts 2.4), and
   * its state (409 `ResourceConflictException` unless Active). Throws {@link LambdaApiError}.
   */
  resolve(functionName: string, qualifier: string | undefined): InvocationTarget {
    const r = this.#c.registry;
    const record = r.get(functionName);
    const view = r.resolve(functionName, qualifier, { pick: true });
    if (record.state !== 'Active') {
      throw resourceConflict(`The operation cannot be performed at this time. The function is currently in the following state: ${record.state}`);
    }
    return { record, view, spec: r.spec(view) };
  }

  /** Runs one attempt end to end. Never rejects. */
  async run(request: InvocationRequest): Promise<InvocationOutcome> {
    const c = this.#c;
    const requestId = request.requestId ?? c.entropy.uuid();
    const receivedAt = request.receivedAt ?? c.clock.now();
    let target = request.target;
    if (!target) {
      try {
        target = this.resolve(request.functionName, request.qualifier);
      } catch (err) {
        // Nothing to take or record against: the function (or qualifier) is gone or not ready.
        return { kind: 'platform-error', requestId, stage: 'resolve', error: this.#apiError(err, requestId), mayHaveRun: false };
      }
    }
    const trace: RouteTrace = {};
    const view = target.view;
    // Facts completed with `if`s rather than conditional spreads: this runs once per invocation
    // (see attempt-record.ts on V8's slow generic copy path).
    const record = (result: InvokeResult | undefined, error: unknown): void => {
      if (!c.ledger) return;
      const facts: AttemptFacts = {
        requestId,
        attempt: Math.max(1, request.attempt ?? 1),
        invocationType: request.invocationType,
        view,
        qualifier: request.qualifier,
        receivedAt,
        trace,
        respondedAt: c.clock.now(),
      };
      if (request.queuedAt !== undefined) facts.queuedAt = Math.min(request.queuedAt, receivedAt);
      if (request.duplicate) facts.duplicate = true;
      if (result) facts.result = result;
      else facts.error = error;
      c.ledger.record(attemptRecord(facts), trace);
    };
    // Lambda throttles at once with 429 and its Reason; a sync caller retries, an async event backs off.
    const admission = c.throttles.acquire(request.functionName);
    if (!admission.ok) {
      record(undefined, admission.error);
      return this.#throttled(requestId, target, admission.error, request.functionName);
    }
    const route: RouteRequest = {
      requestId,
      spec: target.spec,
      payload: request.payload,
      invokedFunctionArn: functionArn(this.#account, request.functionName, request.qualifier),
      logTail: request.logTail === true,
      trace,
    };
    if (request.clientContext !== undefined) route.clientContext = request.clientContext;
    if (request.stream !== undefined) route.stream = request.stream;
    let result: InvokeResult;
    try {
      result = await c.router.route(route);
    } catch (err) {
      admission.release();
      const error = this.#apiError(err, requestId);
      record(undefined, error);
      if (error.status === 429) return this.#throttled(requestId, target, error, request.functionName);
      // Lambda never retries a synchronous invocation that may have run; the caller decides.
      // Lost with its node, accepted or not: it may have run (see Router#offer).
      const mayHaveRun = error.cause instanceof InvocationLostError;
      return { kind: 'platform-error', requestId, stage: 'route', target, error, mayHaveRun };
    }
    admission.release();
    record(result, undefined);
    if (result.outcome === 'success') return { kind: 'success', requestId, target, result, payload: Buffer.from(result.payload ?? 'null') };
    return { kind: 'function-error', requestId, target, result, functionError: result.functionError ?? UNKNOWN_FUNCTION_ERROR };
  }

  #throttled(requestId: string, target: InvocationTarget, error: LambdaApiError, functionName: string): InvocationOutcome {
    return {
      kind: 'throttled',
      requestId,
      target,
      error,
      reason: throttleReasonOf(error) ?? 'ConcurrentInvocationLimitExceeded',
      retryable: this.#c.throttles.retryable(functionName, error),
    };
  }

  /** Lambda's errors pass through; anything else is a platform bug, logged, answered without internals. */
  #apiError(err: unknown, requestId: string): LambdaApiError {
    if (err instanceof LambdaApiError) return err;
    this.#c.log.error({ requestId, err }, 'invocation failed inside the platform');
    return serviceException('An internal error occurred.', err);
  }
}
