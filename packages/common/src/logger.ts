import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Log levels accepted by {@link createLogger}. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

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
  return pino(opts, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything: for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
