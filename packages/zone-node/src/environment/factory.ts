import { EnvironmentSettingsError } from './errors.js';
import { ProcessEnvironment } from './process-environment.js';
import type { EnvironmentComponents } from './runtime-environment.js';
import { resolveEnvironmentSettings, type EnvironmentOptions } from './settings.js';
import type { EnvironmentFactory, IsolationMode } from './types.js';
import { WorkerEnvironment } from './worker-environment.js';

/**
 * Creates the factory for one isolation mode. Settings are resolved and validated once, here.
 * @param mode `process` (child process per environment) or `worker` (worker thread per environment).
 * @param settings all optional; see {@link EnvironmentOptions} for defaults.
 * @param components injected clock (tests).
 */
export function createEnvironmentFactory(
  mode: IsolationMode,
  settings: EnvironmentOptions = {},
  components: EnvironmentComponents = {},
): EnvironmentFactory {
  const resolved = resolveEnvironmentSettings(settings);
  switch (mode) {
    case 'process':
      return { isolation: mode, create: (config) => new ProcessEnvironment(config, resolved, components) };
    case 'worker':
      return { isolation: mode, create: (config) => new WorkerEnvironment(config, resolved, components) };
    default:
      throw new EnvironmentSettingsError('isolation', `must be 'process' or 'worker', got ${String(mode)}`);
  }
}
