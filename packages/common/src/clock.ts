/**
 * Where time comes from. Pure timing logic takes a Clock so that unit tests can pass a
 * {@link ManualClock}; processes use {@link systemClock}.
 */
export interface Clock {
  /** Epoch milliseconds (wall clock; used for timestamps shown to users). */
  now(): number;
  /** Monotonic milliseconds with sub-ms precision (used for durations). */
  monotonic(): number;
  /** Schedules `fn` after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Schedules `fn` every `ms`. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /**
   * Schedules `fn` after what is already due now (Node's check phase: after the I/O that arrived
   * in this turn), for batching work of one turn, e.g. a group commit. In virtual time: after the
   * events of the current instant.
   */
  setImmediate(fn: () => void): TimerHandle;
  clearImmediate(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The real clock. Timers are unref'd: they never keep a process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setImmediate: (fn) => setImmediate(fn),
  clearImmediate: (h) => clearImmediate(h as NodeJS.Immediate),
};

interface ManualTimer {
  id: number;
  at: number;
  every: number | undefined;
  fn: () => void;
}

/** A clock that moves only when told to: for unit tests of timing logic. */
export class ManualClock implements Clock {
  #now: number;
  #mono = 0;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();

  constructor(startEpochMs = 1_700_000_000_000) {
    this.#now = startEpochMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#mono + Math.max(0, ms), every: undefined, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    const every = Math.max(1, ms);
    this.#timers.set(id, { id, at: this.#mono + every, every, fn });
    return { id };
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /**
   * Runs in the real event loop's next check phase: no time passes for an immediate, so a test
   * need not advance the clock for a group commit or a wake-up to happen.
   */
  setImmediate(fn: () => void): TimerHandle {
    return setImmediate(fn);
  }

  clearImmediate(handle: TimerHandle): void {
    clearImmediate(handle as NodeJS.Immediate);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#mono + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers.values()) if (t.at <= target && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.#now += next.at - this.#mono;
      this.#mono = next.at;
      if (next.every === undefined) this.#timers.delete(next.id);
      else next.at += next.every;
      next.fn();
    }
    this.#now += target - this.#mono;
    this.#mono = target;
  }

  /**
   * Moves time forward by `ms` as a blocked event loop does: no timer fires during the stall; then
   * each overdue timer fires once, in order, and an interval restarts from the new time (as
   * Node's do), so a component sees its timers come late.
   */
  stall(ms: number): void {
    this.#mono += ms;
    this.#now += ms;
    const due = [...this.#timers.values()].filter((t) => t.at <= this.#mono).sort((a, b) => a.at - b.at);
    for (const t of due) {
      if (!this.#timers.has(t.id)) continue;
      if (t.every === undefined) this.#timers.delete(t.id);
      else t.at = this.#mono + t.every;
      t.fn();
    }
  }

  /** Number of pending timers (to assert that a component cleaned up). */
  get pendingTimers(): number {
    return this.#timers.size;
  }
}
