import { systemClock } from '@zonesim/common';
import { EnvironmentCore } from './environment-core.js';
import { RuntimeApiDriver, type RuntimeApiOutcome } from './runtime-api-driver.js';
import type { EnvironmentComponents } from './runtime-environment.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { EnvironmentConfig } from './types.js';

/**
 * An environment under the Runtime API: custom runtimes (`provided.al2023`, `provided.al2`),
 * container images, and Lambda's Python and Java runtimes through zonesim's runtime clients. The
 * shared state machine ({@link EnvironmentCore}) with the {@link RuntimeApiDriver}: INIT (up to the
 * first `next`) capped at 10 s and billed, one invocation at a time under the function timeout, the
 * RSS watchdog, nice level, shutdown grace and log framing shared with Node environments.
 */
export class CustomRuntimeEnvironment extends EnvironmentCore<RuntimeApiOutcome, RuntimeApiDriver> {
  constructor(config: EnvironmentConfig, settings: ResolvedEnvironmentSettings, components: EnvironmentComponents = {}) {
    super(config, settings, { clock: components.clock ?? systemClock }, (sink, clock) => new RuntimeApiDriver(config, settings, components.sandbox, sink, clock));
  }

  /** `host:port` of this environment's Runtime API, once INIT started. */
  get runtimeApiAddress(): string | undefined {
    return this.driver.runtimeApiAddress;
  }
}
