import { statSync } from 'node:fs';
import type { Sandbox } from '../sandbox/sandbox.js';
import { DEFAULT_EPHEMERAL_STORAGE_MB } from '../sandbox/settings.js';
import { attachRuntimeProcess, sandboxedEnv, startProcessRuntime } from './process-host.js';
import { BOOTSTRAP_PATH, RUNTIME_DIR, type RuntimeHostFactory } from './runtime-host.js';
import { RuntimeEnvironment, type EnvironmentComponents } from './runtime-environment.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { SpareRuntimes } from './spare-runtimes.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Isolation `process`: one child Node process per environment (`child_process.fork` of
 * `runtime/bootstrap.mjs`), the closest match to a Lambda sandbox: its own heap, cwd, environment
 * and process group; memory enforced on RSS by a watchdog (`Runtime.OutOfMemory`); crashes,
 * `process.exit` and native faults stay inside it. With spare runtimes, a cold start takes one
 * already started (see SpareRuntimes) instead of forking. With the zone node's sandbox (issue 15)
 * the process also gets its own PID namespace, a read-only /var/task, a private /tmp and cgroups.
 */
export class ProcessEnvironment extends RuntimeEnvironment {
  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components: EnvironmentComponents = {}) {
    super(config, 'process', processHostFactory(components.spares, components.sandbox), settings, components);
  }
}

/** Starts the runtime from a spare when one fits, else forks it (inside the sandbox when there is one). */
export function processHostFactory(spares: SpareRuntimes | undefined, sandbox?: Sandbox): RuntimeHostFactory {
  if (!spares) return (o) => startProcessRuntime(o, sandbox);
  return (o) => {
    // A missing code directory is a spawn failure (ENVIRONMENT_FAILED), as a fork would report it.
    const usable =
      o.bootstrapPath === BOOTSTRAP_PATH &&
      statSync(o.codeDir, { throwIfNoEntry: false })?.isDirectory() === true &&
      // A sandboxed spare's /tmp was sized before anyone knew the function: Lambda's default only.
      (!sandbox?.active || (o.ephemeralStorageMb ?? DEFAULT_EPHEMERAL_STORAGE_MB) === DEFAULT_EPHEMERAL_STORAGE_MB) &&
      // Nor did its /opt have layers in it.
      (!sandbox?.active || o.optDir === undefined);
    const taken = usable ? spares.take(o.memoryMb, o.env) : undefined;
    if (!taken) return startProcessRuntime(o, sandbox);
    // The spare takes on the environment as its runtime sees it (/var/task inside bubblewrap).
    const view = sandbox?.active ? sandbox.view(o.codeDir, RUNTIME_DIR, o.optDir) : undefined;
    const bind = view ? { env: sandboxedEnv(o.env, view), cwd: view.taskRoot } : { env: o.env, cwd: o.codeDir };
    return attachRuntimeProcess(taken, o, { spare: { bind }, ...(sandbox?.notice === undefined ? {} : { notice: sandbox.notice }) });
  };
}
