import type { EnvironmentConfig, EnvironmentFactory, ExecutionEnvironment } from '../environment/types.js';

/** An environment factory of test doubles that keeps every environment it made, in order. */
export function recordingFactory<E extends ExecutionEnvironment>(make: (config: EnvironmentConfig) => E): { factory: EnvironmentFactory; created: E[] } {
  const created: E[] = [];
  const factory: EnvironmentFactory = {
    isolation: 'process',
    create: (config) => {
      const env = make(config);
      created.push(env);
      return env;
    },
  };
  return { factory, created };
}
