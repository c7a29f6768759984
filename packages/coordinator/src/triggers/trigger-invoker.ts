import type { InvokeResult } from '@zonesim/protocol';
import type { LambdaApiError } from '../errors.js';
import type { InvocationPipeline } from '../invocation/invocation-pipeline.js';
import type { ResponseStreamRequest } from '../router/router.js';

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
  /** A `RESPONSE_STREAM` function URL reads the response as the function writes it. */
  stream?: ResponseStreamRequest;
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
 * Runs trigger invocations through the {@link InvocationPipeline}, like the Invoke API runs a
 * synchronous one (resolution and alias weights, concurrency and its 429s, placement and failover,
 * one ledger record with the trigger's invocation type), and maps the outcome to the triggers' own.
 */
export class TriggerInvoker {
  readonly #pipeline: InvocationPipeline;

  constructor(components: { pipeline: InvocationPipeline }) {
    this.#pipeline = components.pipeline;
  }

  async invoke(i: TriggerInvocation): Promise<TriggerOutcome> {
    const o = await this.#pipeline.run({
      invocationType: i.invocationType,
      functionName: i.functionName,
      qualifier: i.qualifier,
      requestId: i.requestId,
      payload: i.payload,
      attempt: i.attempt,
      queuedAt: i.queuedAt,
      duplicate: i.duplicate,
      stream: i.stream,
    });
    switch (o.kind) {
      case 'success':
        return { kind: 'success', requestId: o.requestId, payload: o.payload.toString('utf8'), result: o.result };
      case 'function-error':
        return { kind: 'function-error', requestId: o.requestId, errorType: o.functionError.errorType, result: o.result };
      case 'throttled':
        return { kind: 'throttled', requestId: o.requestId, error: o.error };
      case 'platform-error':
        return { kind: 'platform-error', requestId: o.requestId, error: o.error, mayHaveRun: o.mayHaveRun };
    }
  }
}
