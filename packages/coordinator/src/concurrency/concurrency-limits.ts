import { INTACT, SafetySwitch, type BrokenSafety } from '@zonesim/common';
import { invalidParameter } from '../errors.js';

/** Lambda's defaults (lambda-facts 5). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
export const UNRESERVED_CONCURRENCY_FLOOR = 100;

/** Which pool refused an invocation: the function's reserved concurrency, or the account's unreserved pool. */
export type ConcurrencyRefusal = 'reserved' | 'account';

/** Gives back one unit of concurrency; idempotent. */
export type ConcurrencyRelease = () => void;

/**
 * Lambda's concurrency accounting: in-flight invocations per function (all versions together) and
 * per account. A function with reserved concurrency has a private pool that is both its floor and its
 * ceiling; the others share what is left of the account limit, which is never less than 100. It only
 * counts: the invocation pipeline's `Throttles` turns a refusal into Lambda's 429 and its `Reason`.
 */
export class ConcurrencyLimits {
  readonly accountLimit: number;
  readonly #reserved = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  #unreservedInFlight = 0;

  readonly #enforceReserved: boolean;

  /** `broken`: safety switched off (explore's self-test, issue 19); never set by a real coordinator. */
  constructor(accountLimit = DEFAULT_ACCOUNT_CONCURRENCY, broken: BrokenSafety = INTACT) {
    this.#enforceReserved = !broken.has(SafetySwitch.ReservedConcurrency);
    if (!Number.isInteger(accountLimit) || accountLimit < UNRESERVED_CONCURRENCY_FLOOR) {
      throw new TypeError(`account concurrency must be an integer >= ${UNRESERVED_CONCURRENCY_FLOOR}, got ${accountLimit}`);
    }
    this.accountLimit = accountLimit;
  }

  /** Sum of all reserved concurrency. */
  get totalReserved(): number {
    let n = 0;
    for (const v of this.#reserved.values()) n += v;
    return n;
  }

  /** What unreserved functions share. */
  get unreservedLimit(): number {
    return this.accountLimit - this.totalReserved;
  }

  reserved(functionName: string): number | undefined {
    return this.#reserved.get(functionName);
  }

  /** PutFunctionConcurrency; refuses to leave fewer than 100 unreserved, as Lambda does. */
  setReserved(functionName: string, value: number | undefined): void {
    if (value === undefined) {
      this.#reserved.delete(functionName);
      return;
    }
    const others = this.totalReserved - (this.#reserved.get(functionName) ?? 0);
    if (this.accountLimit - others - value < UNRESERVED_CONCURRENCY_FLOOR) {
      throw invalidParameter(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${UNRESERVED_CONCURRENCY_FLOOR}].`,
      );
    }
    this.#reserved.set(functionName, value);
  }

  /** In-flight invocations of a function. */
  inFlight(functionName: string): number {
    return this.#inFlight.get(functionName) ?? 0;
  }

  /**
   * Takes one unit of concurrency for an invocation and returns its release (idempotent), or says
   * which pool is used up.
   */
  tryAcquire(functionName: string): ConcurrencyRelease | ConcurrencyRefusal {
    const reserved = this.#reserved.get(functionName);
    const current = this.inFlight(functionName);
    if (reserved !== undefined) {
      if (current >= reserved && this.#enforceReserved) return 'reserved';
    } else if (this.#unreservedInFlight >= this.unreservedLimit) {
      return 'account';
    }
    const unreserved = reserved === undefined;
    this.#inFlight.set(functionName, current + 1);
    if (unreserved) this.#unreservedInFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = this.inFlight(functionName) - 1;
      if (n <= 0) this.#inFlight.delete(functionName);
      else this.#inFlight.set(functionName, n);
      if (unreserved) this.#unreservedInFlight--;
    };
  }
}
