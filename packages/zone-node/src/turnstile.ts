/**
 * Lets callers through one per event-loop turn, in order. Starting an environment forks a process,
 * which blocks the event loop for the length of the fork; a burst of cold starts arriving in one
 * network read would otherwise fork back to back in a single turn and starve the node's heartbeats
 * (the coordinator would declare a busy node dead). Between two passes the loop runs its timers and
 * I/O, so pings are answered during a cold-start storm.
 */
export class Turnstile {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

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
          setImmediate(() => {
            this.#waiting--;
            resolve();
          }),
        ),
    );
    this.#tail = turn;
    return turn;
  }
}
