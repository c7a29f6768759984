import type { Clock, TimerHandle } from '@zonesim/common';
import type { ScheduledFault } from '@zonesim/scenario';
import type { FaultInjector } from './fault-injector.js';

/**
 * A scenario's fault timeline on a clock: each fault applied at `t0 + startMs` and, when it ends,
 * healed at `t0 + endMs`, but only after its apply finished (a restart needs the kill to have
 * happened). Applies and heals run concurrently with the load; an error of one is reported, never
 * thrown. `stop()` cancels what has not started and waits for what has.
 */
export class FaultTimeline {
  readonly #clock: Clock;
  readonly #injector: FaultInjector;
  readonly #onError: (err: Error) => void;
  readonly #timers = new Set<TimerHandle>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(args: { clock: Clock; injector: FaultInjector; onError: (err: Error) => void }) {
    this.#clock = args.clock;
    this.#injector = args.injector;
    this.#onError = args.onError;
  }

  /** Applies and heals not yet due. */
  get scheduled(): number {
    return this.#timers.size;
  }

  /** Applies and heals under way. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Schedules every fault relative to `t0` (epoch ms on the clock). */
  schedule(faults: readonly ScheduledFault[], t0: number): void {
    const clock = this.#clock;
    for (const f of faults) {
      const at = clock.setTimeout(() => {
        this.#timers.delete(at);
        const applied = this.#injector.apply(f);
        this.#track(applied);
        if (f.endMs !== undefined) {
          const heal = clock.setTimeout(() => {
            this.#timers.delete(heal);
            this.#track(applied.then(() => this.#injector.heal(f.id)));
          }, Math.max(0, t0 + f.endMs - clock.now()));
          this.#timers.add(heal);
        }
      }, Math.max(0, t0 + f.startMs - clock.now()));
      this.#timers.add(at);
    }
  }

  /** Cancels the applies and heals not yet due and waits for those under way. */
  async stop(): Promise<void> {
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #track(p: Promise<void>): void {
    const t = p.catch((err: unknown) => this.#onError(err as Error)).finally(() => this.#inFlight.delete(t));
    this.#inFlight.add(t);
  }
}
