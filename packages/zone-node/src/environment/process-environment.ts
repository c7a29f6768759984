import { startProcessRuntime } from './process-host.js';
import { RuntimeEnvironment, type EnvironmentComponents } from './runtime-environment.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Isolation `process`: one child Node process per environment (`child_process.fork` of
 * `runtime/bootstrap.mjs`), the closest match to a Lambda sandbox: its own heap, cwd, environment
 * and process group; memory enforced on RSS by a watchdog (`Runtime.OutOfMemory`); crashes,
 * `process.exit` and native faults stay inside it.
 */
export class ProcessEnvironment extends RuntimeEnvironment {
  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components?: EnvironmentComponents) {
    super(config, 'process', startProcessRuntime, settings, components);
  }
}
