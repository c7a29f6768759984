/**
 * @zonesim/zone-node: a host in one availability zone.
 *
 * A {@link ZoneNode} holds a WebSocket session with the coordinator, a cache of unpacked deployment
 * packages, and a pool of execution environments (child processes or worker threads) that run real
 * Lambda-style Node.js handlers, one invocation at a time each. Custom runtimes (`provided.*`) and
 * container images run any executable under the Lambda Runtime API ({@link RuntimeApiServer}).
 * Where the machine allows, process environments and custom runtimes run inside a {@link Sandbox}
 * (bubblewrap namespaces and cgroup limits, issue 15).
 *
 * `ZoneNode` is the shell around {@link ZoneNodeCore}, the node's logic on injected clock, entropy,
 * dialer, code source and environments. A simulation imports the core from
 * `@zonesim/zone-node/core`, which loads none of the real transports or environments.
 */
export { ZoneNode, NODE_RUNTIMES, ZONE_NODE_RUNTIMES, type ZoneNodeComponents } from './zone-node.js';
export { ZoneNodeCore, type ZoneNodeCoreComponents, type ZoneNodeCoreSettings } from './zone-node-core.js';
export type { CodeSource, CodeSourceContext } from './code-source.js';
export { CacheCodeSource, MAX_PACKAGE_BYTES, type CacheCodeSourceSettings } from './cache-code-source.js';
export { Turnstile, type ColdStartGate } from './turnstile.js';
export {
  JAVA_OPTIONS,
  machineJavaClient,
  machinePython,
  type JavaInstallation,
  type PythonInstallation,
} from './environment/index.js';
export {
  createSyntheticEnvironmentFactory,
  readSyntheticDefinition,
  type SyntheticDefinitionSource,
  type SyntheticEnvironmentFactoryOptions,
} from './environment/index.js';
export {
  DEFAULT_HYBRID_HISTOGRAM,
  KEEP_ALIVE_POLICIES,
  formatKeepAlivePolicy,
  logStreamName,
  parseKeepAlivePolicy,
  resolveKeepAlivePolicy,
  type KeepAlivePolicyName,
  type KeepAlivePolicyOptions,
  type KeepAlivePolicySettings,
  type PoolStats,
} from './environment/index.js';
export { DEFAULT_ZONE_NODE, resolveZoneNodeOptions, type ZoneNodeOptions, type ResolvedZoneNodeOptions } from './options.js';
export { CoordinatorLink, type LinkState } from './coordinator-link.js';
export { WsDialer, type WsDialerSettings } from './ws-dialer.js';
export type { IsolationMode } from './environment/types.js';
export { RUNTIME_API_PREFIX, RuntimeApiServer, type RuntimeApiEvent, type RuntimeApiServerOptions, type RuntimeApiSignal } from './runtime-api/runtime-api-server.js';
export { Sandbox, type Containment, type SandboxLaunch, type SandboxView } from './sandbox/sandbox.js';
export {
  DEFAULT_EPHEMERAL_STORAGE_MB,
  DEFAULT_SANDBOX,
  MB_PER_VCPU,
  cpuQuotaUs,
  resolveSandboxSettings,
  type CpuModel,
  type SandboxMode,
  type SandboxOptions,
  type SandboxSettings,
} from './sandbox/settings.js';
export { SandboxErrorCode, SandboxSettingsError, SandboxUnavailableError } from './sandbox/errors.js';
export { sweepStaleCgroups } from './sandbox/cgroup-tree.js';
export { probeCgroupPlacement } from './sandbox/probe.js';
