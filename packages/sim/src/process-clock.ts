/**
 * The {@link Clock} of one simulated process. Every timer is an event of the {@link Simulation};
 * the clock owns them, so the process faults of a scenario act on it:
 *
 * - `kill()` (SIGKILL): every timer is dropped for good, later timers never fire, and the
 *   process's I/O callbacks ({@link ProcessClock.io}) are dropped. Promises of the dead process
 *   simply never settle.
 * - `pause()` / `resume()` (SIGSTOP / SIGCONT): timers that come due while paused are held; on
 *   resume each overdue timer fires once, late, in the order it came due, and an interval restarts
 *   from the resume time; then the I/O that arrived meanwhile is delivered, in order. That is what
 *   Node does after a stop (the timers phase runs before the poll phase reads the sockets), what
 *   `ManualClock.stall` models, and the phenomenon `LocalPauseGuard` exists for.
 * - `skewMs`: an offset of `now()` only (wall clock skew); `monotonic()` and timers are unaffected.
 *
 * Timers are exact: fractional ms are kept and 0 means "this instant, after what is already
 * queued for it", where Node clamps every delay to at least 1 ms and fires late.
 *
 * @module
 */
import type { Clock, TimerHandle } from '@zonesim/common';
import { SimOptionsError } from './errors.js';
import { SimEvent, type Simulation } from './simulation.js';

/** Life of a simulated process, as its clock sees it. */
export const ProcessState = {
  Running: 'running',
  Paused: 'paused',
  Killed: 'killed',
} as const;
/** One of {@link ProcessState}. */
export type ProcessState = (typeof ProcessState)[keyof typeof ProcessState];

/** Settings of a {@link ProcessClock}. */
export interface ProcessClockOptions {
  /** Name of the process (`coordinator`, `az-a/node-1`), for errors and traces. */
  name: string;
  /** Offset added to `now()` (a skewed wall clock), in ms. @default 0 */
  skewMs?: number;
}

/**
 * A timer of a {@link ProcessClock}: the heap entry itself, so a timer costs one object.
 *
 * @internal
 */
export class ProcessTimer extends SimEvent {
  constructor(
    readonly clock: ProcessClock,
    readonly fn: () => void,
    /** Period of an interval; undefined for a timeout or an immediate. */
    readonly every: number | undefined,
  ) {
    super();
  }

  fire(): void {
    this.clock.fireTimer(this);
  }
}

/** A handle that never fires: what a dead process gets for its timers. */
const DEAD_TIMER = Object.freeze({ dead: true }) as TimerHandle;

function delay(ms: number): number {
  return ms > 0 && Number.isFinite(ms) ? ms : 0;
}

/** One simulated process's clock; implements {@link Clock} on a {@link Simulation}. */
export class ProcessClock implements Clock {
  /** The process's name. */
  readonly name: string;
  readonly #sim: Simulation;
  readonly #timers = new Set<ProcessTimer>();
  readonly #killHooks = new Set<() => void>();
  #held: ProcessTimer[] = [];
  #heldIo: Array<() => void> = [];
  #state: ProcessState = ProcessState.Running;
  #skewMs: number;

  constructor(sim: Simulation, options: ProcessClockOptions) {
    if (typeof options?.name !== 'string' || options.name === '') throw new SimOptionsError('name', 'must be a non-empty string');
    this.#skewMs = ProcessClock.#checkSkew(options.skewMs ?? 0);
    this.#sim = sim;
    this.name = options.name;
  }

  static #checkSkew(ms: number): number {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new SimOptionsError('skewMs', `must be a finite number, got ${ms}`);
    return ms;
  }

  /** Running, paused or killed. */
  get state(): ProcessState {
    return this.#state;
  }

  /** Offset of `now()` in ms. */
  get skewMs(): number {
    return this.#skewMs;
  }

  /** Changes the skew of `now()` (a clock-skew fault); monotonic time and timers are unaffected. */
  set skewMs(ms: number) {
    this.#skewMs = ProcessClock.#checkSkew(ms);
  }

  /** Timers that will still fire (queued or held by a pause). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  now(): number {
    return Math.floor(this.#sim.epochMs + this.#sim.time + this.#skewMs);
  }

  monotonic(): number {
    return this.#sim.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, delay(ms), undefined);
  }

  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof ProcessTimer) || handle.clock !== this || !this.#timers.delete(handle)) return;
    // A held timer stays in #held; resume() skips it since it left #timers.
    this.#sim.remove(handle);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    // As ManualClock (and Node, which clamps to 1 ms): an interval of 0 would never let time move.
    const every = Math.max(1, delay(ms));
    return this.#add(fn, every, every);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** After what is already queued for this instant (all clocks' events and deliveries). */
  setImmediate(fn: () => void): TimerHandle {
    return this.#add(fn, 0, undefined);
  }

  clearImmediate(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /**
   * Runs an I/O callback of this process (a frame or a close arriving on one of its links): at
   * once while it runs, held until `resume()` while it is paused (delivered after the overdue
   * timers), never once it is killed. The simulated network delivers through this.
   */
  io(fn: () => void): void {
    if (this.#state === ProcessState.Running) fn();
    else if (this.#state === ProcessState.Paused) this.#heldIo.push(fn);
  }

  /**
   * Registers `hook` to run once when the process is killed (its links send their FIN, a store
   * is abandoned); returns a function that unregisters it.
   */
  onKill(hook: () => void): () => void {
    if (this.#state === ProcessState.Killed) {
      hook();
      return () => {};
    }
    this.#killHooks.add(hook);
    return () => this.#killHooks.delete(hook);
  }

  /** Stops the process (SIGSTOP): its timers and I/O are held until {@link resume}. */
  pause(): void {
    if (this.#state === ProcessState.Running) this.#state = ProcessState.Paused;
  }

  /**
   * Continues a paused process (SIGCONT): each timer that came due meanwhile fires once, late, in
   * order, at this instant (an interval then runs from now); then the held I/O is delivered.
   */
  resume(): void {
    if (this.#state !== ProcessState.Paused) return;
    this.#state = ProcessState.Running;
    const held = this.#held;
    const io = this.#heldIo;
    this.#held = [];
    this.#heldIo = [];
    for (const timer of held) if (this.#timers.has(timer)) this.#sim.insert(timer, this.#sim.time);
    // Each delivery is its own event (a macrotask), after the overdue timers.
    for (const fn of io) this.#sim.schedule(0, () => this.io(fn));
  }

  /** Kills the process (SIGKILL): every timer and held I/O is dropped for good; kill hooks run. */
  kill(): void {
    if (this.#state === ProcessState.Killed) return;
    this.#state = ProcessState.Killed;
    for (const timer of this.#timers) this.#sim.remove(timer);
    this.#timers.clear();
    this.#held = [];
    this.#heldIo = [];
    const hooks = [...this.#killHooks];
    this.#killHooks.clear();
    for (const hook of hooks) hook();
  }

  /**
   * Called by the simulation when `timer` is due.
   *
   * @internal
   */
  fireTimer(timer: ProcessTimer): void {
    if (this.#state === ProcessState.Paused) {
      this.#held.push(timer);
      return;
    }
    if (timer.every === undefined) this.#timers.delete(timer);
    else this.#sim.insert(timer, timer.at + timer.every); // re-armed first, so the callback may clear it
    timer.fn();
  }

  #add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    if (this.#state === ProcessState.Killed) return DEAD_TIMER;
    const timer = new ProcessTimer(this, fn, every);
    this.#timers.add(timer);
    this.#sim.insert(timer, this.#sim.time + ms);
    return timer;
  }
}
