import { SYNTHETIC_RUNTIME, systemClock } from '@zonesim/common';
import { CustomRuntimeEnvironment } from './custom-runtime-environment.js';
import { runsOnRuntimeApi } from './runtime-api-launch.js';
import { EnvironmentSettingsError } from './errors.js';
import { ProcessEnvironment } from './process-environment.js';
import type { EnvironmentComponents } from './runtime-environment.js';
import { JsonLogEnvironment } from './json-logs.js';
import { ensureRuntimeModules } from './runtime-modules.js';
import { resolveEnvironmentSettings, type EnvironmentOptions } from './settings.js';
import { SyntheticEnvironment } from './synthetic-environment.js';
import type { EnvironmentConfig, EnvironmentFactory, ExecutionEnvironment, IsolationMode } from './types.js';
import { WorkerEnvironment } from './worker-environment.js';

/**
 * Creates the factory for one isolation mode. Settings are resolved and validated once, here.
 * Synthetic functions (`Runtime: zonesim.synthetic`) get a {@link SyntheticEnvironment} whatever the
 * mode: they run on timers, with nothing to isolate. Custom runtimes (`provided.*`) and container
 * images get a {@link CustomRuntimeEnvironment} (a process under the Runtime API) whatever the mode.
 * @param mode `process` (child process per environment) or `worker` (worker thread per environment).
 * @param settings all optional; see {@link EnvironmentOptions} for defaults.
 * @param components injected clock (tests), spare runtimes and the sandbox. A simulation uses
 *   `createSyntheticEnvironmentFactory` (synthetic-factory.ts) instead: synthetic environments only, on its clock.
 */
export function createEnvironmentFactory(
  mode: IsolationMode,
  settings: EnvironmentOptions = {},
  components: EnvironmentComponents = {},
): EnvironmentFactory {
  const resolved = resolveEnvironmentSettings(settings);
  // The AWS SDK that Node functions resolve without bundling it (runtime-modules.ts).
  ensureRuntimeModules();
  const synthetic = { clock: components.clock ?? systemClock };
  let real: (config: EnvironmentConfig) => ExecutionEnvironment;
  switch (mode) {
    case 'process':
      real = (config) => new ProcessEnvironment(config, resolved, components);
      break;
    case 'worker':
      real = (config) => new WorkerEnvironment(config, resolved, components);
      break;
    default:
      throw new EnvironmentSettingsError('isolation', `must be 'process' or 'worker', got ${String(mode)}`);
  }
  const kindOf = (config: EnvironmentConfig): ExecutionEnvironment => {
    if (config.spec.runtime === SYNTHETIC_RUNTIME) return new SyntheticEnvironment(config, resolved, synthetic);
    // Custom runtimes, images and managed runtimes under the Runtime API: a process whatever the mode.
    if (runsOnRuntimeApi(config.spec)) return new CustomRuntimeEnvironment(config, resolved, components);
    return real(config);
  };
  return {
    isolation: mode,
    create: (config) => {
      const env = kindOf(config);
      // LogFormat JSON: the platform's lines become JSON system records, for every kind (json-logs.ts).
      return config.spec.jsonLogs ? new JsonLogEnvironment(env, config.spec.jsonLogs) : env;
    },
  };
}
