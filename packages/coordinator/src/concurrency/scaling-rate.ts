import type { Clock } from '@zonesim/common';

/** Lambda's per-function scaling rate: 1,000 new execution environments every 10 s (lambda-facts 5). */
export const DEFAULT_SCALING_RATE_PER_10S = 1000;

interface Bucket {
  tokens: number;
  /** Monotonic ms of the last refill. */
  at: number;
}

/**
 * Lambda's per-function concurrency scaling rate as a token bucket: each new execution environment
 * takes a token; tokens refill continuously at `perTenSeconds` per 10 s (sped up by the platform
 * time scale) up to a burst of `perTenSeconds`, and unused budget does not accumulate beyond it
 * (AWS: "refilled continuously ... at most 1,000 units at any moment"). Warm invocations take none.
 */
export class ScalingRate {
  readonly perTenSeconds: number;
  readonly #refillPerMs: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(args: { perTenSeconds: number; timeScale: number; clock: Clock }) {
    if (!Number.isInteger(args.perTenSeconds) || args.perTenSeconds < 1) {
      throw new TypeError(`scaling rate must be a positive integer, got ${String(args.perTenSeconds)}`);
    }
    this.perTenSeconds = args.perTenSeconds;
    this.#refillPerMs = (args.perTenSeconds / 10_000) * args.timeScale;
    this.#clock = args.clock;
  }

  /** Takes one new-environment token of a function; false when it is scaling faster than allowed. */
  tryTake(functionName: string): boolean {
    const now = this.#clock.monotonic();
    const bucket = this.#buckets.get(functionName) ?? { tokens: this.perTenSeconds, at: now };
    bucket.tokens = Math.min(this.perTenSeconds, bucket.tokens + (now - bucket.at) * this.#refillPerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(functionName, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.#buckets.set(functionName, bucket);
    return true;
  }

  /** Forgets a deleted function's bucket (the map stays bounded by the number of functions). */
  forget(functionName: string): void {
    this.#buckets.delete(functionName);
  }
}
