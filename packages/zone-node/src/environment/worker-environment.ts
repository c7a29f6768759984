import { RuntimeEnvironment, type EnvironmentComponents } from './runtime-environment.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { EnvironmentConfig } from './types.js';
import { startWorkerRuntime } from './worker-host.js';

/**
 * Isolation `worker`: one `worker_threads` Worker per environment running the same runtime code.
 * Cheaper to start than a process, but weaker: it shares the zone node's address space, cwd and TZ;
 * memory is capped on the V8 heap (`maxOldGenerationSizeMb`), not on RSS; `process.exit` ends only
 * the worker (`Runtime.ExitError`). Max Memory Used is the isolate's own heap (see runtime/memory.mjs).
 */
export class WorkerEnvironment extends RuntimeEnvironment {
  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components?: EnvironmentComponents) {
    super(config, 'worker', startWorkerRuntime, settings, components);
  }
}
