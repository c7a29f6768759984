import type { Clock, Entropy } from '@zonesim/common';
import type { InvokeResult } from '@zonesim/protocol';
import { LambdaApiError, resourceConflict, serviceException } from '../errors.js';
import type { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { attemptRecord } from '../ledger/attempt-record.js';
import type { InvocationLedger } from '../ledger/invocation-ledger.js';
import { InvocationLostError } from '../membership/pending-invocations.js';
import { functionArn } from '../registry/function-name.js';
import type { Registry } from '../registry/registry.js';
import type { RouteTrace, Router } from '../router/router.js';

/** One synchronous invocation made by a trigger (an SQS batch, a function URL request). */
export interface TriggerInvocation {
  functionName: string;
  /** Version or alias; absent = `$LATEST`. */
  qualifier?: string;
  payload: Uint8Array;
  invocationType: 'SQS' | 'FunctionUrl';
  /** @default a new request id */
  requestId?: string;
  /** The ledger's `attempt`: for SQS the highest ApproximateReceiveCount of the batch. @default 1 */
  attempt?: number;
  /** The ledger's `duplicate`: an earlier receive of a message of the batch may have been processed. */
  duplicate?: boolean;
  /** When the oldest message of the batch was sent (the ledger's `queuedAt`). */
  queuedAt?: number;
}

/** What came of a trigger's invocation. */
export type TriggerOutcome =
  | { kind: 'success'; requestId: string; payload: string; result: InvokeResult }
  | { kind: 'function-error'; requestId: string; errorType: string; result: InvokeResult }
  | { kind: 'throttled'; requestId: string; error: LambdaApiError }
  | {
      kind: 'platform-error';
      requestId: string;
      error: LambdaApiError;
      /** A zone accepted it and was lost: the function may have run. */
      mayHaveRun: boolean;
    };

/**
 * Runs trigger invocations the way the Invoke route runs a synchronous one: resolve the function
 * (and alias weights), take concurrency (429 throttles), route it through the router (placement and
 * failover apply), and record one ledger record with the trigger's invocation type.
 */
export class TriggerInvoker {
  readonly #registry: Registry;
  readonly #router: Router;
  readonly #concurrency: ConcurrencyLimits;
  readonly #ledger: InvocationLedger | undefined;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #account: { region: string; accountId: string };

  constructor(args: { registry: Registry; router: Router; concurrency: ConcurrencyLimits; ledger?: InvocationLedger; clock: Clock; entropy: Entropy; account: { region: string; accountId: string } }) {
    this.#entropy = args.entropy;
    this.#registry = args.registry;
    this.#router = args.router;
    this.#concurrency = args.concurrency;
    this.#ledger = args.ledger;
    this.#clock = args.clock;
    this.#account = args.account;
  }

  async invoke(i: TriggerInvocation): Promise<TriggerOutcome> {
    const requestId = i.requestId ?? this.#entropy.uuid();
    const receivedAt = this.#clock.now();
    let view;
    try {
      const record = this.#registry.get(i.functionName, i.qualifier);
      if (record.state !== 'Active') throw resourceConflict(`The function is currently in the following state: ${record.state}`);
      view = this.#registry.resolve(i.functionName, i.qualifier, { pick: true });
    } catch (err) {
      // Nothing to record against: the function (or qualifier) is gone.
      return { kind: 'platform-error', requestId, error: err instanceof LambdaApiError ? err : serviceException((err as Error).message, err), mayHaveRun: false };
    }
    const trace: RouteTrace = {};
    const facts = {
      requestId,
      attempt: Math.max(1, i.attempt ?? 1),
      invocationType: i.invocationType,
      view,
      qualifier: i.qualifier,
      receivedAt,
      ...(i.queuedAt !== undefined ? { queuedAt: Math.min(i.queuedAt, receivedAt) } : {}),
      trace,
      ...(i.duplicate ? { duplicate: true } : {}),
    };
    const record = (outcome: { result?: InvokeResult; error?: unknown }): void =>
      this.#ledger?.record(attemptRecord({ ...facts, ...outcome, respondedAt: this.#clock.now() }), trace);
    let release: () => void;
    try {
      release = this.#concurrency.acquire(i.functionName);
    } catch (err) {
      record({ error: err });
      return { kind: 'throttled', requestId, error: err as LambdaApiError };
    }
    try {
      const spec = this.#registry.spec(view);
      const result = await this.#router.route({
        requestId,
        spec,
        payload: i.payload,
        invokedFunctionArn: functionArn(this.#account, i.functionName, i.qualifier),
        logTail: false,
        trace,
      });
      record({ result });
      if (result.outcome === 'success') return { kind: 'success', requestId, payload: Buffer.from(result.payload ?? 'null').toString('utf8'), result };
      return { kind: 'function-error', requestId, errorType: result.functionError?.errorType ?? 'Runtime.Unknown', result };
    } catch (err) {
      record({ error: err });
      const apiError = err instanceof LambdaApiError ? err : serviceException((err as Error).message, err);
      if (apiError.status === 429) return { kind: 'throttled', requestId, error: apiError };
      const mayHaveRun = apiError.cause instanceof InvocationLostError && apiError.cause.accepted;
      return { kind: 'platform-error', requestId, error: apiError, mayHaveRun };
    } finally {
      release();
    }
  }
}
