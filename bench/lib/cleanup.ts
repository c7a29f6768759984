/**
 * Everything a benchmark started, stopped in reverse order by `runCleanups()` (the runner calls it
 * after each benchmark, on error and on SIGINT), so no process outlives the run.
 */
const cleanups: Array<{ label: string; fn: () => Promise<void> | void }> = [];

/** Registers a stop function; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(label: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry = { label, fn };
  cleanups.push(entry);
  let done: Promise<void> | undefined;
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    done ??= Promise.resolve(fn());
    return done;
  };
}

/** Runs every registered stop function, newest first; errors are reported, not thrown. */
export async function runCleanups(log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<void> {
  while (cleanups.length > 0) {
    const { label, fn } = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      log(`cleanup of ${label} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * Runs a stand-alone bench script's `main` and exits: 0 when it resolves; on a throw, prints the
 * stack, stops whatever it registered (clusters, children) and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      await runCleanups();
      process.exit(1);
    },
  );
}
