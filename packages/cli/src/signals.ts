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
export function exitWithParent(stop: () => Promise<void>): void {
  process.stdin.on('end', () => {
    stop().finally(() => process.exit(0));
  });
  process.stdin.on('error', () => undefined);
  process.stdin.resume();
}
