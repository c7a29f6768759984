import type { Clock, SeededRandom } from '@zonesim/common';
import type { ResolvedClient, RetryableFailure } from '@zonesim/scenario';
import type { InvokeAnswer } from '../client/cluster-client.js';

/**
 * Callers that behave like callers (issue 18): a failed call is retried after an exponential
 * backoff with jitter, as the AWS SDKs do, and a retry budget can cap the retries at a share of the
 * calls, as Finagle's and gRPC's do. Retries are what turns an overload into a metastable failure
 * (Bronson et al., HotOS'21): with them in the model, a study can show the storm and what stops it.
 */

/** Which retryable failure an answer is, if any (a 4xx other than 429, or a function error, is not retried). */
export function failureKind(answer: InvokeAnswer, expected: number): RetryableFailure | undefined {
  if (answer.status === expected) return undefined;
  if (answer.status === 429) return 'throttle';
  if (answer.status === null) return answer.errorType === 'ClientTimeout' ? 'timeout' : 'error';
  if (answer.status >= 500) return 'error';
  return undefined;
}

/** The wait before retry number `retry` (1 for the first retry), in ms. */
export function backoffMs(retries: NonNullable<ResolvedClient['retries']>, retry: number, random: SeededRandom): number {
  const ceiling = Math.min(retries.maxMs, retries.baseMs * retries.multiplier ** (retry - 1));
  switch (retries.jitter) {
    case 'full':
      return random.next() * ceiling;
    case 'equal':
      return ceiling / 2 + random.next() * (ceiling / 2);
    case 'none':
      return ceiling;
  }
}

/** Buckets a budget's window is counted in: the window slides by a tenth. */
const BUDGET_BUCKETS = 10;

/**
 * A retry budget: over the last `windowMs`, retries may be at most `ratio` x first calls plus
 * `minPerSecond` x the window in seconds (a floor, so a quiet client can still retry). Counted in
 * ten buckets of the window, on the run's clock.
 */
export class RetryBudget {
  readonly #clock: Clock;
  readonly #ratio: number;
  readonly #floor: number;
  readonly #bucketMs: number;
  readonly #calls = new Array<number>(BUDGET_BUCKETS).fill(0);
  readonly #retries = new Array<number>(BUDGET_BUCKETS).fill(0);
  #bucket = 0;
  #bucketStart: number;

  constructor(budget: NonNullable<ResolvedClient['budget']>, clock: Clock) {
    this.#clock = clock;
    this.#ratio = budget.ratio;
    this.#floor = budget.minPerSecond * (budget.windowMs / 1000);
    this.#bucketMs = budget.windowMs / BUDGET_BUCKETS;
    this.#bucketStart = clock.now();
  }

  /** A first call was made. */
  deposit(): void {
    this.#advance();
    this.#calls[this.#bucket]!++;
  }

  /** True (and the retry counted) when the budget allows one more retry now. */
  tryWithdraw(): boolean {
    this.#advance();
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < BUDGET_BUCKETS; i++) {
      calls += this.#calls[i]!;
      retries += this.#retries[i]!;
    }
    if (retries + 1 > this.#ratio * calls + this.#floor) return false;
    this.#retries[this.#bucket]!++;
    return true;
  }

  #advance(): void {
    const now = this.#clock.now();
    let steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    this.#bucketStart += steps * this.#bucketMs;
    steps = Math.min(steps, BUDGET_BUCKETS);
    for (let i = 0; i < steps; i++) {
      this.#bucket = (this.#bucket + 1) % BUDGET_BUCKETS;
      this.#calls[this.#bucket] = 0;
      this.#retries[this.#bucket] = 0;
    }
  }
}
