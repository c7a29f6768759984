import type { FunctionError, FunctionSpec } from '@zonesim/protocol';
import { isCustomRuntime, resolveCustomRuntimeLaunch, type CustomRuntimeLaunch } from './custom-runtime-launch.js';
import { machinePython, pythonLaunch } from './python-runtime.js';
import { PYTHON_RUNTIMES } from './runtime-names.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Every function whose runtime talks to the zone node through the Runtime API, and how each is
 * started: custom runtimes and images run their own executable (custom-runtime-launch.ts); Lambda's
 * managed Python runtimes run zonesim's runtime client for them (python-runtime.ts). One environment
 * kind ({@link CustomRuntimeEnvironment}) runs them all.
 */

/** True when `spec` runs under the Runtime API. */
export function runsOnRuntimeApi(spec: FunctionSpec): boolean {
  return isCustomRuntime(spec) || PYTHON_RUNTIMES.includes(spec.runtime);
}

/**
 * Resolves how to start the runtime of `config`, with `runtimeApi` as `AWS_LAMBDA_RUNTIME_API`.
 * @returns the launch, or the INIT error Lambda would report.
 */
export function resolveRuntimeApiLaunch(config: EnvironmentConfig, runtimeApi: string): CustomRuntimeLaunch | { error: FunctionError } {
  const { runtime } = config.spec;
  if (!isCustomRuntime(config.spec) && PYTHON_RUNTIMES.includes(runtime)) return pythonLaunch(config, runtimeApi, machinePython());
  return resolveCustomRuntimeLaunch(config, runtimeApi);
}
