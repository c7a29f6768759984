import { LambdaApiError } from '../errors.js';
import type { ConcurrencyLimits, ConcurrencyRelease } from '../concurrency/concurrency-limits.js';
import type { ScalingRate } from '../concurrency/scaling-rate.js';

/** The `Reason` values of Lambda's 429 that zonesim gives (lambda-facts 1.4, `ThrottleReason`). */
export const ThrottleReason = {
  /** The account's unreserved pool is in use, or the region had no room for the invocation. */
  ConcurrentInvocationLimitExceeded: 'ConcurrentInvocationLimitExceeded',
  /** The function's reserved concurrency is in use (or is 0). */
  ReservedFunctionConcurrentInvocationLimitExceeded: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  /** The function starts new environments faster than its scaling rate allows. */
  FunctionInvocationRateLimitExceeded: 'FunctionInvocationRateLimitExceeded',
} as const;
/** One of {@link ThrottleReason}. */
export type ThrottleReason = (typeof ThrottleReason)[keyof typeof ThrottleReason];

/** Why an invocation was throttled, as the platform knows it (several causes share a Lambda reason). */
export const ThrottleCause = {
  /** Unreserved functions together use the account's concurrency. */
  AccountConcurrency: 'account-concurrency',
  /** The function uses its reserved concurrency. */
  ReservedConcurrency: 'reserved-concurrency',
  /** A new environment would exceed the function's scaling rate. */
  ScalingRate: 'scaling-rate',
  /** No zone node had room within `placementTimeoutMs`: to the caller, Lambda's concurrency throttle. */
  NoRoom: 'no-room',
  /** The asynchronous event queue is at its bound. */
  AsyncQueueFull: 'async-queue-full',
} as const;
/** One of {@link ThrottleCause}. */
export type ThrottleCause = (typeof ThrottleCause)[keyof typeof ThrottleCause];

/**
 * The one table of Lambda's 429 answers: reason, message and `Retry-After` per cause. The
 * concurrency throttles carry no `Retry-After` (a slot frees when any invocation ends); the others
 * say 1 s.
 */
const ANSWERS: Readonly<Record<ThrottleCause, { reason: ThrottleReason; message: string; retryAfterSec?: number }>> = {
  [ThrottleCause.AccountConcurrency]: { reason: ThrottleReason.ConcurrentInvocationLimitExceeded, message: 'Rate Exceeded.' },
  [ThrottleCause.ReservedConcurrency]: { reason: ThrottleReason.ReservedFunctionConcurrentInvocationLimitExceeded, message: 'Rate Exceeded.' },
  [ThrottleCause.ScalingRate]: { reason: ThrottleReason.FunctionInvocationRateLimitExceeded, message: 'Rate Exceeded.', retryAfterSec: 1 },
  [ThrottleCause.NoRoom]: { reason: ThrottleReason.ConcurrentInvocationLimitExceeded, message: 'Rate Exceeded.', retryAfterSec: 1 },
  [ThrottleCause.AsyncQueueFull]: { reason: ThrottleReason.ConcurrentInvocationLimitExceeded, message: 'The asynchronous event queue is full.', retryAfterSec: 1 },
};

/** Lambda's 429 `TooManyRequestsException` for a cause, with its `Reason` (and `Retry-After`). */
export function throttleError(cause: ThrottleCause): LambdaApiError {
  const a = ANSWERS[cause];
  return new LambdaApiError('TooManyRequestsException', 429, a.message, {
    extra: { Reason: a.reason },
    ...(a.retryAfterSec === undefined ? {} : { retryAfterSec: a.retryAfterSec }),
  });
}

/** The `Reason` of a 429, or undefined for any other error. */
export function throttleReasonOf(err: unknown): string | undefined {
  if (!(err instanceof LambdaApiError) || err.status !== 429) return undefined;
  const reason = err.extra['Reason'];
  return typeof reason === 'string' ? reason : ThrottleReason.ConcurrentInvocationLimitExceeded;
}

/** What taking concurrency for one invocation came to. */
export type Admission = { ok: true; release: ConcurrencyRelease } | { ok: false; error: LambdaApiError };

/**
 * Every throttling decision of an invocation, in one place (issue 16), each answered with Lambda's
 * 429 and its `Reason`:
 * - **concurrency** when the invocation starts: the function's reserved concurrency, else the
 *   account's unreserved pool ({@link ConcurrencyLimits}). Invocations served by provisioned
 *   environments count against both, as Lambda counts them (lambda-facts 5);
 * - **scaling rate** when placement must start a new environment: an idle environment of the
 *   configuration, on-demand or provisioned, takes no token, so only the spill-over beyond the warm
 *   and provisioned environments is rate-limited ({@link ScalingRate});
 * - **no room** when no zone node had room within `placementTimeoutMs` (the router's capacity wait);
 * - **async queue full** when an `Event` invoke cannot be stored.
 *
 * The router asks it through {@link newEnvironment} and {@link noRoom}; the invocation pipeline
 * through {@link acquire}; the async path through {@link asyncQueueFull} and {@link retryable}.
 */
export class Throttles {
  readonly #concurrency: ConcurrencyLimits;
  readonly #scaling: ScalingRate | undefined;

  constructor(components: {
    concurrency: ConcurrencyLimits;
    /** Absent: new environments are never rate-limited. */
    scaling?: ScalingRate;
  }) {
    this.#concurrency = components.concurrency;
    this.#scaling = components.scaling;
  }

  /** Takes one unit of the function's concurrency, or answers why not. */
  acquire(functionName: string): Admission {
    const taken = this.#concurrency.tryAcquire(functionName);
    if (typeof taken === 'function') return { ok: true, release: taken };
    return { ok: false, error: throttleError(taken === 'reserved' ? ThrottleCause.ReservedConcurrency : ThrottleCause.AccountConcurrency) };
  }

  /** Lambda's 429 when the function may not start another environment now, else undefined (a token is taken). */
  newEnvironment(functionName: string): LambdaApiError | undefined {
    if (!this.#scaling || this.#scaling.tryTake(functionName)) return undefined;
    return throttleError(ThrottleCause.ScalingRate);
  }

  /** Lambda's 429 for an invocation that found no room in the region within the placement timeout. */
  noRoom(): LambdaApiError {
    return throttleError(ThrottleCause.NoRoom);
  }

  /** Lambda's 429 for an `Event` invoke the async queue has no room for. */
  asyncQueueFull(): LambdaApiError {
    return throttleError(ThrottleCause.AsyncQueueFull);
  }

  /**
   * Whether retrying a throttled async event can help: not when the function's reserved
   * concurrency is 0, for which Lambda sends the event straight to the on-failure destination
   * (lambda-facts 5).
   */
  retryable(functionName: string, error: LambdaApiError): boolean {
    return !(throttleReasonOf(error) === ThrottleReason.ReservedFunctionConcurrentInvocationLimitExceeded && this.#concurrency.reserved(functionName) === 0);
  }
}
