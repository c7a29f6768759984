import { SYNTHETIC_RUNTIME, type Clock } from '@zonesim/common';
import { EnvironmentSpawnError } from './errors.js';
import { resolveEnvironmentSettings, type EnvironmentOptions } from './settings.js';
import { SyntheticEnvironment } from './synthetic-environment.js';
import type { SyntheticDefinitionSource } from './synthetic-model.js';
import type { EnvironmentFactory, IsolationMode } from './types.js';

/** What {@link createSyntheticEnvironmentFactory} builds its environments on. */
export interface SyntheticEnvironmentFactoryOptions {
  /** The environments' timers and times (a simulation's virtual clock). */
  clock: Clock;
  /**
   * The definition of the package in a code directory (a simulation hands out directories such as
   * `virtual:<sha>` and looks definitions up in memory). @default `synthetic.json` read from the directory
   */
  definitionOf?: SyntheticDefinitionSource;
  /** INIT cap and log bounds; see {@link EnvironmentOptions}. */
  settings?: EnvironmentOptions;
  /** What the node reports as its isolation (synthetic environments isolate nothing). @default 'process' */
  isolation?: IsolationMode;
}

/**
 * A factory of synthetic environments only: timers on `clock`, no process, no thread, no file unless
 * the default `definitionOf` reads one. This is the environment side of a zone node in virtual time.
 * Any other runtime is refused with `ENVIRONMENT_FAILED` (the invocation is rejected and may be placed
 * elsewhere; nothing ran).
 */
export function createSyntheticEnvironmentFactory(options: SyntheticEnvironmentFactoryOptions): EnvironmentFactory {
  const resolved = resolveEnvironmentSettings(options.settings ?? {});
  const components = { clock: options.clock, ...(options.definitionOf ? { definitionOf: options.definitionOf } : {}) };
  return {
    isolation: options.isolation ?? 'process',
    runtimes: [SYNTHETIC_RUNTIME],
    create: (config) => {
      if (config.spec.runtime !== SYNTHETIC_RUNTIME) {
        throw new EnvironmentSpawnError(
          config.environmentId,
          `runtime ${config.spec.runtime} of ${config.spec.functionName} cannot run on this zone node: it runs synthetic functions (${SYNTHETIC_RUNTIME}) only`,
        );
      }
      return new SyntheticEnvironment(config, resolved, components);
    },
  };
}
