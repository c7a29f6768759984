import { statSync } from 'node:fs';
import { attachRuntimeProcess, startProcessRuntime } from './process-host.js';
import { BOOTSTRAP_PATH, type RuntimeHostFactory } from './runtime-host.js';
import { RuntimeEnvironment, type EnvironmentComponents } from './runtime-environment.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { SpareRuntimes } from './spare-runtimes.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Isolation `process`: one child Node process per environment (`child_process.fork` of
 * `runtime/bootstrap.mjs`), the closest match to a Lambda sandbox: its own heap, cwd, environment
 * and process group; memory enforced on RSS by a watchdog (`Runtime.OutOfMemory`); crashes,
 * `process.exit` and native faults stay inside it. With spare runtimes, a cold start takes one
 * already started (see SpareRuntimes) instead of forking.
 */
export class ProcessEnvironment extends RuntimeEnvironment {
  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components: EnvironmentComponents = {}) {
    super(config, 'process', processHostFactory(components.spares), settings, components);
  }
}

/** Starts the runtime from a spare when one fits, else forks it. */
export function processHostFactory(spares: SpareRuntimes | undefined): RuntimeHostFactory {
  if (!spares) return startProcessRuntime;
  return (o) => {
    // A missing code directory is a spawn failure (ENVIRONMENT_FAILED), as a fork would report it.
    const usable = o.bootstrapPath === BOOTSTRAP_PATH && statSync(o.codeDir, { throwIfNoEntry: false })?.isDirectory() === true;
    const child = usable ? spares.take(o.memoryMb, o.env) : undefined;
    return child ? attachRuntimeProcess(child, o, { bind: { env: o.env, cwd: o.codeDir } }) : startProcessRuntime(o);
  };
}
