import type { AsyncEvent } from './async-event.js';

/**
 * What one attempt of an async event came to, as the injected `invoke` reports it. The dispatcher
 * applies Lambda's rules to it (lambda-facts 5, 6): function errors use the 0-2 retries, throttles
 * and platform errors back off until the event is too old.
 */
export type AttemptOutcome =
  | {
      kind: 'success';
      /** The function's response (JSON). */
      payload?: Buffer | string;
      /** The version that ran (an alias resolves to one). */
      executedVersion?: string;
    }
  | {
      /** The handler threw, timed out, or the runtime died: Lambda's "function error" (200 + `X-Amz-Function-Error`). */
      kind: 'function-error';
      errorType: string;
      errorMessage: string;
      /** The error payload the runtime produced (`{errorType, errorMessage, trace}`). */
      payload?: Buffer | string;
      executedVersion?: string;
    }
  | {
      /** No concurrency for the function right now (Lambda's 429 `Reason`). */
      kind: 'throttled';
      reason: string;
      /**
       * False when retrying cannot help, e.g. reserved concurrency 0, for which Lambda sends async
       * events straight to the on-failure destination (lambda-facts 5). @default true
       */
      retryable?: boolean;
    }
  | {
      /** The platform failed the attempt: zone lost, no capacity, node unreachable... (5xx). */
      kind: 'platform-error';
      code: string;
      message: string;
      /**
       * The attempt may have started executing before the failure (e.g. its zone died mid-run). The
       * next delivery is then counted as a duplicate. @default false
       */
      mayHaveRun?: boolean;
      /** False when retrying cannot help (the function was deleted). @default true */
      retryable?: boolean;
      /** HTTP status Lambda would show. @default 500 */
      statusCode?: number;
    };

/** The attempt runner the dispatcher is given: routes one attempt of `event` to a zone and reports. */
export type InvokeAttempt = (
  event: AsyncEvent,
  attempt: number,
  options: {
    signal: AbortSignal;
    /** True when an earlier attempt may have run (its outcome was never recorded): this delivery may be a duplicate. */
    duplicate?: boolean;
  },
) => Promise<AttemptOutcome>;
