import { systemClock, type Clock } from '@zonesim/common';
import type { Sandbox } from '../sandbox/sandbox.js';
import { EnvironmentCore } from './environment-core.js';
import { NodeIpcDriver, type NodeOutcome } from './node-ipc-driver.js';
import type { RuntimeHostFactory } from './runtime-host.js';
import type { ResolvedEnvironmentSettings } from './settings.js';
import type { SpareRuntimes } from './spare-runtimes.js';
import type { EnvironmentConfig, IsolationMode } from './types.js';

export { LOG_MARK_WAIT_MS } from './node-ipc-driver.js';

/** Components injected into environments (kept apart from settings so tests can pass fakes). */
export interface EnvironmentComponents {
  /** @default systemClock */
  clock?: Clock;
  /** Runtimes started ahead of need, for `process` isolation (none: every cold start forks). */
  spares?: SpareRuntimes;
  /** The zone node's sandbox (issue 15): process and custom-runtime environments start inside it. */
  sandbox?: Sandbox;
}

/**
 * A Node.js environment: the shared state machine ({@link EnvironmentCore}) driving the Node
 * runtime over IPC ({@link NodeIpcDriver}), in a child process or a worker thread.
 */
export class RuntimeEnvironment extends EnvironmentCore<NodeOutcome> {
  readonly isolation: IsolationMode;

  constructor(
    config: EnvironmentConfig,
    isolation: IsolationMode,
    startHost: RuntimeHostFactory,
    settings: ResolvedEnvironmentSettings,
    components: EnvironmentComponents = {},
  ) {
    super(config, settings, { clock: components.clock ?? systemClock }, (sink, clock) => new NodeIpcDriver(config, isolation, startHost, settings, sink, clock));
    this.isolation = isolation;
  }
}
