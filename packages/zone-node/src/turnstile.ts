import type { Clock } from '@zonesim/common';

/** Where a cold start waits for its turn (the zone node's {@link Turnstile}; a test may pass straight through). */
export interface ColdStartGate {
  /** Resolves when the caller may start (fork) its environment. */
  pass(): Promise<void>;
}

/**
 * Lets callers through one per event-loop turn, in order. Starting an environment forks a process,
 * which blocks the event loop for the length of the fork; a burst of cold starts arriving in one
 * network read would otherwise fork back to back in a single turn and starve the node's heartbeats
 * (the coordinator would declare a busy node dead). Between two passes the loop runs its timers and
 * I/O, so pings are answered during a cold-start storm. The turns are the clock's
 * (`clock.setImmediate`): the event loop's in a real process, the simulation's in virtual time.
 */
export class Turnstile implements ColdStartGate {
  readonly #clock: Clock;
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Callers waiting for their turn. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Resolves on a later event-loop turn than the previous caller's. */
  pass(): Promise<void> {
    this.#waiting++;
    const turn = this.#tail.then(
      () =>
        new Promise<void>((resolve) =>
          this.#clock.setImmediate(() => {
            this.#waiting--;
            resolve();
          }),
        ),
    );
    this.#tail = turn;
    return turn;
  }
}
