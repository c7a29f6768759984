/** Lambda's SQS poller scaling for standard queues (lambda-facts 7.1). */
export const SQS_POLLER_SCALING = {
  /** Concurrent batches a new (or re-enabled) mapping starts with. */
  initial: 5,
  /** Fewest concurrent batches an idle mapping keeps polling with. */
  floor: 2,
  /** Concurrent batches added per minute at most while the queue has a backlog (300 since Nov 2023). */
  addPerMinute: 300,
  /** Most concurrent batches per mapping. */
  max: 1000,
} as const;

/**
 * How many batches an event source mapping runs at once. It starts at 5 (or the cap, if lower);
 * while batches come back full (a backlog) it adds one, spending a token of a bucket refilled at
 * 300 per (scaled) minute; a receive that finds nothing, or a throttled invocation, takes one away,
 * down to 2. `ScalingConfig.MaximumConcurrency` (2-1000) caps it. Pure: time is passed in.
 */
export class PollerScaling {
  readonly cap: number;
  readonly floor: number;
  #target: number;
  #tokens: number;
  #refilledAt: number;
  readonly #perMs: number;

  /**
   * @param maximumConcurrency `ScalingConfig.MaximumConcurrency`, or undefined for Lambda's 1000
   * @param timeScale the platform's time scale: the refill runs that much faster
   */
  constructor(maximumConcurrency: number | undefined, now: number, timeScale = 1) {
    this.cap = Math.min(maximumConcurrency ?? SQS_POLLER_SCALING.max, SQS_POLLER_SCALING.max);
    this.floor = Math.min(SQS_POLLER_SCALING.floor, this.cap);
    this.#target = Math.min(SQS_POLLER_SCALING.initial, this.cap);
    this.#perMs = (SQS_POLLER_SCALING.addPerMinute * timeScale) / 60_000;
    this.#tokens = 0;
    this.#refilledAt = now;
  }

  /** Batches that should be running now. */
  get target(): number {
    return this.#target;
  }

  /** A batch came back with as many messages as asked for: there is a backlog, add one if the budget allows. */
  onFullBatch(now: number): void {
    this.#refill(now);
    if (this.#target < this.cap && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#target++;
    }
  }

  /** A receive found nothing (the queue is drained) or an invocation was throttled: one fewer. */
  onIdle(): void {
    if (this.#target > this.floor) this.#target--;
  }

  /** A changed cap (UpdateEventSourceMapping). */
  withCap(maximumConcurrency: number | undefined, now: number, timeScale = 1): PollerScaling {
    const next = new PollerScaling(maximumConcurrency, now, timeScale);
    next.#target = Math.max(next.floor, Math.min(this.#target, next.cap));
    return next;
  }

  #refill(now: number): void {
    // Unused budget does not pile up beyond one minute's worth.
    this.#tokens = Math.min(SQS_POLLER_SCALING.addPerMinute, this.#tokens + Math.max(0, now - this.#refilledAt) * this.#perMs);
    this.#refilledAt = now;
  }
}
