/**
 * A tiny bounded task pool: at most `limit` tasks run at once, `add` waits for room (backpressure
 * for the caller), and the first failure is kept and re-thrown by later `add`s and by `drain`.
 * Extraction uses it to overlap the many small file writes of a node_modules tree.
 */
export class BoundedTasks {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`BoundedTasks limit must be >= 1, got ${limit}`);
  }

  /** Starts `task` once fewer than `limit` are running; throws the first failure seen so far. */
  async add(task: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every task, ignoring failures (before cleaning up after an error). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
