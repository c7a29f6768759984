import { fstatSync } from 'node:fs';
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Log levels accepted by {@link createLogger}. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The stderr destinations made by {@link createLogger}, so that {@link detachLogOutput} can reach them. */
const stderrDestinations = new Set<ReturnType<typeof pino.destination>>();

/**
 * Creates the process logger: JSON lines on stderr (stdout is kept for the ready line and for
 * command output), with the process role bound to every line.
 */
export function createLogger(
  role: string,
  options: { level?: LogLevel; destination?: DestinationStream; bindings?: Record<string, unknown> } = {},
): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? (process.env['ZONESIM_LOG_LEVEL'] as LogLevel | undefined) ?? 'info',
    base: { role, pid: process.pid, ...options.bindings },
  };
  if (options.destination) return pino(opts, options.destination);
  const destination = pino.destination({ fd: 2, sync: false });
  stderrDestinations.add(destination);
  return pino(opts, destination);
}

/**
 * Drops every later log line on stderr when stderr is a pipe or a socket: for a child whose parent
 * (the only reader) is gone. Without it the exit hangs for ever: pino flushes its buffer with
 * sonic-boom's `flushSync` at exit, and sonic-boom 4 retries a write that failed with EPIPE in a
 * sleep loop without end (the main thread parked on a futex, so no timer, not even a hard deadline,
 * can fire). Pino itself only mutes a destination once an asynchronous write has reported EPIPE,
 * which a process exiting right away never waits for. A file or a terminal keeps its lines.
 */
export function detachLogOutput(): void {
  let stat;
  try {
    stat = fstatSync(2);
  } catch {
    stat = undefined; // no fd 2 at all: nothing could be written anyway
  }
  if (stat && !stat.isFIFO() && !stat.isSocket()) return;
  for (const destination of stderrDestinations) {
    const muted = destination as unknown as Record<'write' | 'flush' | 'flushSync' | 'end', (...args: unknown[]) => unknown>;
    // The same four methods pino replaces on EPIPE (lib/tools.js, filterBrokenPipe).
    muted.write = () => true;
    muted.flush = () => undefined;
    muted.flushSync = () => undefined;
    muted.end = () => undefined;
  }
}

/** A logger that drops everything: for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
