/**
 * Tells a failure detector that its own process was paused (a long GC, a synchronous write, the
 * machine's run queue), so that it does not convict its peers of the silence it caused itself.
 *
 * A detector ticks on a timer and judges a peer by the time since its last frame. When the process
 * stalls, the peers' frames wait unread in the socket buffers while the clock runs on; the first
 * tick after the stall comes before those frames are read (timers run before I/O in Node's loop)
 * and would see every peer silent. Cassandra's failure detector skips convictions after a local
 * pause for the same reason. This guard reports a tick that came late by more than the tolerance,
 * at most once in a row: the next tick judges again, after the waiting frames were read, so a real
 * failure is detected at most one tick later and a process that is late on every tick still
 * detects failures.
 */
export class LocalPauseGuard {
  readonly #expectedMs: number;
  readonly #toleranceMs: number;
  #lastTickAt: number | undefined;
  #skippedLast = false;

  /**
   * @param expectedMs the detector's tick interval.
   * @param toleranceMs lateness past `expectedMs` that counts as a pause.
   */
  constructor(expectedMs: number, toleranceMs: number) {
    this.#expectedMs = expectedMs;
    this.#toleranceMs = toleranceMs;
  }

  /**
   * Call at every tick with the monotonic time. Returns how late the tick came, in ms, when this
   * tick should not judge silence; 0 when it may.
   */
  pausedFor(nowMs: number): number {
    const last = this.#lastTickAt;
    this.#lastTickAt = nowMs;
    if (last === undefined) return 0;
    const late = nowMs - last - this.#expectedMs;
    if (late > this.#toleranceMs && !this.#skippedLast) {
      this.#skippedLast = true;
      return late;
    }
    this.#skippedLast = false;
    return 0;
  }

  /** Forgets the last tick (the detector stopped; its next start is not a pause). */
  reset(): void {
    this.#lastTickAt = undefined;
    this.#skippedLast = false;
  }
}
