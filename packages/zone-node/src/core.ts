/**
 * @zonesim/zone-node/core: the zone node's logic without its shell (issue 16). Everything here runs
 * on injected clocks, entropy, dialers, code sources and environment factories; nothing imports
 * `ws`, `node:child_process`, `worker_threads`, the sandbox, spare runtimes or the process, worker
 * and custom-runtime environments, so a simulation can load it and run a zone node in virtual time:
 *
 *   new ZoneNodeCore(settings, { clock, entropy, logger, codec, dialer,
 *     environments: createSyntheticEnvironmentFactory({ clock, definitionOf }),
 *     code, coldStarts, sandboxReport })
 */
export {
  NODE_RUNTIMES,
  ZONE_NODE_RUNTIMES,
  ZoneNodeCore,
  type ZoneNodeCoreComponents,
  type ZoneNodeCoreSettings,
} from './zone-node-core.js';
export type { CodeSource, CodeSourceContext } from './code-source.js';
export { Turnstile, type ColdStartGate } from './turnstile.js';
export { CoordinatorLink, type CoordinatorLinkSettings, type LinkState } from './coordinator-link.js';
export { LogShipper } from './log-shipper.js';
export { ProvisionedEnvironments } from './provisioned-environments.js';
export { DEFAULT_ZONE_NODE, resolveZoneNodeOptions, type ResolvedZoneNodeOptions, type ZoneNodeOptions } from './options.js';
export { createSyntheticEnvironmentFactory, type SyntheticEnvironmentFactoryOptions } from './environment/synthetic-factory.js';
export { SYNTHETIC_ECHO_MAX_BYTES, SyntheticEnvironment, SyntheticErrorType, type SyntheticEnvironmentComponents } from './environment/synthetic-environment.js';
export { SyntheticModel, readSyntheticDefinition, type SyntheticDefinitionSource, type SyntheticInvocationDraw } from './environment/synthetic-model.js';
export {
  DEFAULT_KEEP_ALIVE_MS,
  EnvironmentPool,
  EvictionReason,
  MAX_PENDING_PREWARMS,
  logStreamName,
  type EnvironmentEvictedEvent,
  type EnvironmentLease,
  type PoolCounts,
  type PoolStats,
  type PrewarmDueEvent,
} from './environment/pool.js';
export * from './environment/keep-alive-policy.js';
export * from './environment/hybrid-histogram.js';

export type {
  EnvironmentConfig,
  EnvironmentFactory,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentState,
  ExecutionEnvironment,
  IsolationMode,
} from './environment/types.js';
