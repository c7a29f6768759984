import { detachLogOutput } from '@zonesim/common';

/**
 * Signal handling for process entry points (only entry points handle signals, STYLE 16). The first
 * SIGINT/SIGTERM starts a graceful stop; a second one exits at once.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`zonesim: ${signal} again; exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`zonesim: stop failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * A child started by a supervisor exits when its stdin closes: if the supervisor dies, even by
 * SIGKILL, its children do not linger as orphans.
 */
export function exitWithParent(stop: () => Promise<void>, options: { hardDeadlineMs?: number; pollMs?: number } = {}): void {
  let gone = false;
  const parentGone = (): void => {
    if (gone) return;
    gone = true;
    // The parent read our stderr; with it gone a write fails with EPIPE, and the log flush at exit
    // would retry that for ever (see detachLogOutput).
    detachLogOutput();
    process.stderr.on('error', () => undefined);
    // An orphan must go even if a graceful stop hangs: past the deadline it exits anyway.
    setTimeout(() => {
      process.stderr.write('zonesim: parent gone and the graceful stop did not finish in time; exiting\n');
      process.exit(1);
    }, options.hardDeadlineMs ?? 10_000).unref();
    stop().finally(() => process.exit(0));
  };
  process.stdin.on('end', parentGone);
  // Belt and braces: a pipe end can outlive the parent (a wrapper or a leaked descriptor holds it),
  // but reparenting cannot be missed: when the parent dies the ppid changes.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) parentGone();
  }, options.pollMs ?? 500).unref();
  process.stdin.on('error', () => undefined);
  process.stdin.resume();
}
