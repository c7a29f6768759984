import { EnvironmentSettingsError } from './errors.js';
import type { EnvironmentSettings } from './types.js';

/** Lambda's INIT cap for on-demand functions (lambda-facts 4). */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** Lambda's shutdown cap (lambda-facts 4). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2_000;
/** How often a busy environment's memory is sampled. */
export const DEFAULT_MEMORY_POLL_MS = 50;
/** Per-invocation log bound; lines past it are dropped and counted in one closing line. */
export const DEFAULT_MAX_LOG_BYTES_PER_INVOCATION = 1024 * 1024;
/** How long `destroy` waits for a killed runtime to be reaped before giving up on it. */
export const DEFAULT_KILL_WAIT_MS = 5_000;

/** Options for environments; every field is optional and has a documented default. */
export interface EnvironmentOptions {
  /** Lambda's INIT cap. @default 10000 */
  initTimeoutMs?: number;
  /** Grace for a graceful shutdown before the environment is killed. @default 2000 */
  shutdownGraceMs?: number;
  /** Memory sampling interval while busy. @default 50 */
  memoryPollMs?: number;
  /** Bound on one invocation's log. @default 1048576 (1 MiB) */
  maxLogBytesPerInvocation?: number;
  /** Bound on waiting for a killed runtime to be reaped. @default 5000 */
  killWaitMs?: number;
}

/** Fully-resolved environment settings. */
export interface ResolvedEnvironmentSettings extends EnvironmentSettings {
  maxLogBytesPerInvocation: number;
  killWaitMs: number;
}

function positiveInt(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) throw new EnvironmentSettingsError(field, `must be a positive integer, got ${String(v)}`);
  return v;
}

/** Fills defaults and validates eagerly. */
export function resolveEnvironmentSettings(options: EnvironmentOptions = {}): ResolvedEnvironmentSettings {
  return {
    initTimeoutMs: positiveInt('initTimeoutMs', options.initTimeoutMs, DEFAULT_INIT_TIMEOUT_MS),
    shutdownGraceMs: positiveInt('shutdownGraceMs', options.shutdownGraceMs, DEFAULT_SHUTDOWN_GRACE_MS),
    memoryPollMs: positiveInt('memoryPollMs', options.memoryPollMs, DEFAULT_MEMORY_POLL_MS),
    maxLogBytesPerInvocation: positiveInt(
      'maxLogBytesPerInvocation',
      options.maxLogBytesPerInvocation,
      DEFAULT_MAX_LOG_BYTES_PER_INVOCATION,
    ),
    killWaitMs: positiveInt('killWaitMs', options.killWaitMs, DEFAULT_KILL_WAIT_MS),
  };
}
