import type { FunctionError, FunctionSpec } from '@zonesim/protocol';
import { isCustomRuntime, resolveCustomRuntimeLaunch, type CustomRuntimeLaunch } from './custom-runtime-launch.js';
import { javaLaunch, machineJavaClient } from './java-runtime.js';
import { machinePython, pythonLaunch } from './python-runtime.js';
import { JAVA_RUNTIMES, PYTHON_RUNTIMES } from './runtime-names.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Every function whose runtime talks to the zone node through the Runtime API, and how each is
 * started: custom runtimes and images run their own executable (custom-runtime-launch.ts); Lambda's
 * managed Python and Java runtimes run zonesim's runtime clients for them (python-runtime.ts,
 * java-runtime.ts). One environment
 * kind ({@link CustomRuntimeEnvironment}) runs them all.
 */

/** True when `spec` runs under the Runtime API. */
export function runsOnRuntimeApi(spec: FunctionSpec): boolean {
  return isCustomRuntime(spec) || PYTHON_RUNTIMES.includes(spec.runtime) || JAVA_RUNTIMES.includes(spec.runtime);
}

/**
 * Resolves how to start the runtime of `config`, with `runtimeApi` as `AWS_LAMBDA_RUNTIME_API`.
 * @returns the launch, or the INIT error Lambda would report.
 */
export async function resolveRuntimeApiLaunch(config: EnvironmentConfig, runtimeApi: string): Promise<CustomRuntimeLaunch | { error: FunctionError }> {
  const { runtime } = config.spec;
  if (!isCustomRuntime(config.spec)) {
    if (PYTHON_RUNTIMES.includes(runtime)) return pythonLaunch(config, runtimeApi, await machinePython());
    if (JAVA_RUNTIMES.includes(runtime)) {
      const { jdk, ricDir } = await machineJavaClient();
      return javaLaunch(config, runtimeApi, jdk, ricDir);
    }
  }
  return resolveCustomRuntimeLaunch(config, runtimeApi);
}
