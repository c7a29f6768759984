/**
 * The discrete-event loop of virtual time. One {@link Simulation} holds one priority queue of events
 * keyed by (virtual time, insertion sequence) and runs them in that order, so a run is a pure
 * function of what was scheduled: same-instant events run in the order they were scheduled.
 *
 * ## Node semantics for async code
 * The cores it runs are written with `async`/`await`. Under Node, every macrotask callback (a
 * timer, an I/O callback) is followed by a full drain of the microtask queue (promise jobs and
 * `process.nextTick`), so by the time the next callback runs, every continuation the previous one
 * set off has run, however long the `await` chain. The simulation keeps that guarantee exactly by
 * running each event in its own real `setImmediate` callback: Node drains microtasks between two
 * immediates. It queues a batch of immediates per real event-loop turn, each of which runs *the next
 * event in the heap*, whatever its virtual time, so one real turn covers many virtual instants
 * instead of one (the plan's "one `setImmediate` per instant" costs one loop turn, with its `epoll`,
 * per instant). An event created by a continuation is in the heap before the next immediate looks,
 * so it runs before time moves if it is due now. `bench/sim-engine.ts` measures the cost.
 *
 * Nothing here reads the wall clock except to report wall time in {@link SimulationStats}.
 *
 * @module
 */
import { SimErrorCode, SimOptionsError, SimRunError, SimStateError } from './errors.js';
import { EventHeap, type HeapEntry } from './event-heap.js';

/** Virtual time 0 of every simulation: 2026-01-01T00:00:00Z, fixed, so date-based names replay. */
export const DEFAULT_EPOCH_MS = 1_767_225_600_000;
/** Events one real event-loop turn may run at first; the batch grows while it is filled. */
const MIN_BATCH = 32;
/** Upper bound of the batch: the real loop still gets a turn (I/O of a `VirtualIo` operation) this often. */
const MAX_BATCH = 4096;

/**
 * One entry of the event queue. Internal to the package: {@link ProcessClock}'s timers are events
 * too, so a timer costs one heap entry and no closure.
 *
 * @internal
 */
export abstract class SimEvent implements HeapEntry {
  at = 0;
  seq = 0;
  index = -1;
  /** Runs the event's work; called by the loop in its own macrotask. */
  abstract fire(): void;
}

class CallbackEvent extends SimEvent {
  constructor(readonly fn: () => void) {
    super();
  }
  fire(): void {
    this.fn();
  }
}

/** Handle of an event scheduled with {@link Simulation.schedule}, for {@link Simulation.cancel}. */
export type SimEventHandle = { readonly __simEvent: unique symbol } | object;

/** Settings of a {@link Simulation}. */
export interface SimulationOptions {
  /** Epoch ms that virtual time 0 stands for (what `now()` returns before anything ran). @default 1767225600000 (2026-01-01T00:00:00Z, {@link DEFAULT_EPOCH_MS}) */
  epochMs?: number;
}

/** {@link SimulationOptions} with every default filled in. */
export interface ResolvedSimulationOptions {
  epochMs: number;
}

/** Fills the defaults of {@link SimulationOptions} and checks them; throws {@link SimOptionsError} naming the field. */
export function resolveSimulationOptions(options: SimulationOptions = {}): ResolvedSimulationOptions {
  const epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  if (!Number.isSafeInteger(epochMs) || epochMs < 0) throw new SimOptionsError('epochMs', `must be a non-negative integer, got ${epochMs}`);
  return { epochMs };
}

/** Options of one run ({@link Simulation.runUntil}, {@link Simulation.runFor}). */
export interface RunOptions {
  /**
   * Virtual ms the run may last, from its start. {@link Simulation.runUntil} rejects with
   * `SIM_DEADLINE` when its target has not settled by then; time is then at the deadline.
   * @default Infinity
   */
  maxVirtualMs?: number;
  /** Aborts the run (between two events); the run rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Counters of a simulation, over its whole life. */
export interface SimulationStats {
  /** Events run (timers, deliveries, `io` completions). */
  events: number;
  /** Distinct virtual instants at which something ran. */
  instants: number;
  /** Virtual ms since the start (the current time). */
  virtualMs: number;
  /** Wall ms spent inside runs. */
  wallMs: number;
  /** Virtual ms advanced inside runs per wall ms spent in them (0 before any run). */
  speedup: number;
  /** Real event-loop turns the runs took (batches of immediates). */
  loopTurns: number;
  /** Events queued now. */
  pending: number;
  /** `io` operations not yet delivered. */
  pendingIo: number;
}

type Outcome =
  | { kind: 'done' }
  | { kind: 'deadline' }
  | { kind: 'idle' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'aborted'; reason: unknown };

interface Driver {
  readonly gen: number;
  readonly deadline: number;
  done(): boolean;
  finish(outcome: Outcome): void;
}

interface IoOp {
  settled: boolean;
  ok: boolean;
  value: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const DONE: Outcome = { kind: 'done' };
const DEADLINE: Outcome = { kind: 'deadline' };
const IDLE: Outcome = { kind: 'idle' };

/**
 * A deterministic discrete-event simulation. Schedule work through {@link ProcessClock}s (one per
 * simulated process), {@link SimLink}s or {@link schedule}; then drive it with {@link runUntil}
 * or {@link runFor}. Between runs, time stands still.
 */
export class Simulation {
  readonly #options: ResolvedSimulationOptions;
  readonly #heap = new EventHeap<SimEvent>();
  readonly #io: IoOp[] = [];
  #now = 0;
  #seq = 0;
  #events = 0;
  #instants = 0;
  #wallMs = 0;
  #runVirtualMs = 0;
  #loopTurns = 0;
  #driver: Driver | undefined;
  #gen = 0;
  #batch = MIN_BATCH;
  #used = 0;
  #batchQueued = false;
  #waitingIo = false;
  #failure: { error: unknown } | undefined;

  constructor(options: SimulationOptions = {}) {
    this.#options = resolveSimulationOptions(options);
  }

  /** Epoch ms of virtual time 0. */
  get epochMs(): number {
    return this.#options.epochMs;
  }

  /** Virtual ms since the start, with sub-ms precision (the {@link ProcessClock}s' `monotonic()`). */
  get time(): number {
    return this.#now;
  }

  /** Virtual epoch ms, a whole number like `Date.now()`. */
  now(): number {
    return Math.floor(this.#options.epochMs + this.#now);
  }

  /** True while a run is in progress. */
  get running(): boolean {
    return this.#driver !== undefined;
  }

  /** Counters; see {@link SimulationStats}. */
  get stats(): SimulationStats {
    return {
      events: this.#events,
      instants: this.#instants,
      virtualMs: this.#now,
      wallMs: this.#wallMs,
      speedup: this.#wallMs > 0 ? this.#runVirtualMs / this.#wallMs : 0,
      loopTurns: this.#loopTurns,
      pending: this.#heap.size,
      pendingIo: this.#io.length,
    };
  }

  /**
   * Runs `fn` after `delayMs` virtual ms (fractional allowed; 0 or less: at this instant, after
   * what is already queued for it). For the network and the runner; simulated processes use their
   * {@link ProcessClock}, which a kill or a pause acts on.
   */
  schedule(delayMs: number, fn: () => void): SimEventHandle {
    const event = new CallbackEvent(fn);
    this.insert(event, this.#now + (delayMs > 0 ? delayMs : 0));
    return event;
  }

  /** Cancels an event from {@link schedule}; false when it already ran or was cancelled. */
  cancel(handle: SimEventHandle): boolean {
    return handle instanceof SimEvent && this.#heap.remove(handle);
  }

  /**
   * Queues `event` at virtual time `at` (never before now). Package-internal: the timers of
   * {@link ProcessClock} are queued this way.
   *
   * @internal
   */
  insert(event: SimEvent, at: number): void {
    event.at = at > this.#now ? at : this.#now;
    event.seq = this.#seq++;
    this.#heap.push(event);
  }

  /**
   * Takes `event` out of the queue; false when it was not queued.
   *
   * @internal
   */
  remove(event: SimEvent): boolean {
    return this.#heap.remove(event);
  }

  /**
   * Wraps one of the few real asynchronous operations left in a simulated world (a deploy's
   * package job, a drain of a results file): while it is pending, virtual time does not advance
   * (events of the current instant still run), and completions are delivered in the order the
   * operations were wrapped, each when the current instant has nothing else to run. So a real
   * disk's timing never reorders simulated events.
   */
  io<T>(operation: PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const op: IoOp = { settled: false, ok: false, value: undefined, resolve: resolve as (v: unknown) => void, reject };
      this.#io.push(op);
      const settle = (ok: boolean, value: unknown): void => {
        op.settled = true;
        op.ok = ok;
        op.value = value;
        if (this.#waitingIo && this.#io[0] === op) {
          this.#waitingIo = false;
          this.#pump();
        }
      };
      operation.then(
        (v) => settle(true, v),
        (e) => settle(false, e),
      );
    });
  }

  /**
   * Runs events until `target` settles (a promise: resolves with its value or rejects with its
   * error) or returns true (a predicate, checked before every event). Rejects with a
   * {@link SimRunError}: `SIM_DEADLINE` when `maxVirtualMs` passes first, `SIM_IDLE` when nothing is
   * left to run, `SIM_CALLBACK_FAILED` when an event's callback threw.
   */
  runUntil<T>(target: PromiseLike<T>, options?: RunOptions): Promise<T>;
  runUntil(target: () => boolean, options?: RunOptions): Promise<void>;
  async runUntil<T>(target: PromiseLike<T> | (() => boolean), options: RunOptions = {}): Promise<T | void> {
    const deadline = this.#deadline(options);
    if (typeof target === 'function') {
      this.#check(await this.#run(target, deadline, options.signal), deadline);
      return;
    }
    const state = { settled: false, ok: false, value: undefined as unknown };
    Promise.resolve(target).then(
      (v) => Object.assign(state, { settled: true, ok: true, value: v }),
      (e) => Object.assign(state, { settled: true, ok: false, value: e }),
    );
    this.#check(await this.#run(() => state.settled, deadline, options.signal), deadline);
    if (!state.ok) throw state.value;
    return state.value as T;
  }

  /**
   * Runs every event due in the next `ms` virtual ms (those due exactly then included), then
   * leaves time at now + `ms`, even when nothing was left to run earlier.
   */
  async runFor(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!(ms >= 0)) throw new SimOptionsError('ms', `must be a number >= 0, got ${ms}`);
    const deadline = this.#now + ms;
    const outcome = await this.#run(() => false, deadline, options.signal);
    if (outcome.kind === 'deadline' || outcome.kind === 'idle') {
      if (deadline > this.#now) this.#now = deadline;
      return;
    }
    this.#check(outcome, deadline);
  }

  #deadline(options: RunOptions): number {
    const max = options.maxVirtualMs ?? Number.POSITIVE_INFINITY;
    if (!(max >= 0)) throw new SimOptionsError('maxVirtualMs', `must be a number >= 0, got ${max}`);
    return this.#now + max;
  }

  #check(outcome: Outcome, deadline: number): void {
    switch (outcome.kind) {
      case 'done':
        return;
      case 'deadline':
        throw new SimRunError(SimErrorCode.Deadline, this.#now, `the run reached its virtual deadline (${deadline} ms) before its target settled`);
      case 'idle':
        throw new SimRunError(SimErrorCode.Idle, this.#now, `nothing left to run at ${this.#now} virtual ms and the target has not settled`);
      case 'failed':
        throw new SimRunError(SimErrorCode.CallbackFailed, this.#now, `an event's callback threw at ${this.#now} virtual ms`, { cause: outcome.error });
      case 'aborted':
        throw outcome.reason;
    }
  }

  #run(done: () => boolean, deadline: number, signal: AbortSignal | undefined): Promise<Outcome> {
    if (this.#driver !== undefined) throw new SimStateError('a run is already in progress (a run cannot be started from inside the simulation)');
    if (this.#failure !== undefined) throw new SimStateError('the simulation stopped: an event callback threw', { cause: this.#failure.error });
    return new Promise<Outcome>((resolve) => {
      // Wall time, for the stats only: nothing simulated ever sees it.
      const startWall = performance.now();
      const startVirtual = this.#now;
      let finished = false;
      const onAbort = (): void => driver.finish({ kind: 'aborted', reason: signal!.reason });
      const driver: Driver = {
        gen: ++this.#gen,
        deadline,
        done,
        finish: (outcome) => {
          if (finished) return;
          finished = true;
          this.#driver = undefined;
          this.#waitingIo = false;
          signal?.removeEventListener('abort', onAbort);
          if (outcome.kind === 'deadline' && deadline > this.#now) this.#now = deadline;
          this.#wallMs += performance.now() - startWall;
          this.#runVirtualMs += this.#now - startVirtual;
          resolve(outcome);
        },
      };
      if (signal?.aborted) return resolve({ kind: 'aborted', reason: signal.reason });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#driver = driver;
      this.#pump();
    });
  }

  /** Queues the next batch of steps, unless one is queued or the run waits for an `io` operation. */
  #pump(): void {
    const driver = this.#driver;
    if (driver === undefined || this.#batchQueued || this.#waitingIo) return;
    this.#batchQueued = true;
    this.#used = 0;
    this.#loopTurns++;
    for (let i = 0; i < this.#batch; i++) setImmediate(this.#step, driver.gen);
    // Runs after the batch's last step and the microtasks it set off.
    setImmediate(this.#endBatch, driver.gen);
  }

  #endBatch = (gen: number): void => {
    this.#batchQueued = false;
    if (gen === this.#gen) {
      if (this.#used >= this.#batch) this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
      else if (this.#used * 4 < this.#batch) this.#batch = Math.max(this.#batch >> 1, MIN_BATCH);
    }
    this.#pump();
  };

  /** One step: runs the next event (or `io` completion) in its own macrotask, or ends the run. */
  #step = (gen: number): void => {
    const driver = this.#driver;
    if (driver === undefined || driver.gen !== gen || this.#waitingIo) return;
    let done: boolean;
    try {
      done = driver.done();
    } catch (error) {
      return driver.finish({ kind: 'aborted', reason: error }); // a throwing predicate ends its run, not the simulation
    }
    if (done) return driver.finish(DONE);
    this.#used++;
    const next = this.#heap.peek();
    if (this.#io.length > 0 && (next === undefined || next.at > this.#now)) {
      // The instant is quiescent: deliver the oldest `io` operation, or wait for it to finish.
      const op = this.#io[0]!;
      if (!op.settled) {
        this.#waitingIo = true;
        return;
      }
      this.#io.shift();
      this.#events++;
      if (op.ok) op.resolve(op.value);
      else op.reject(op.value);
      return;
    }
    if (next === undefined) return driver.finish(IDLE);
    if (next.at > driver.deadline) return driver.finish(DEADLINE);
    this.#heap.pop();
    if (next.at > this.#now) {
      this.#now = next.at;
      this.#instants++;
    }
    this.#events++;
    try {
      next.fire();
    } catch (error) {
      // As an uncaught exception ends a process, a throwing callback ends the simulation: what it
      // left half-done cannot be trusted.
      this.#failure = { error };
      driver.finish({ kind: 'failed', error });
    }
  };
}
