/**
 * @zonesim/runner: runs chaos scenarios, and starts local clusters.
 *
 * What the runner does is apart from how the platform is reached:
 *
 * - `ScenarioRun` (the shared lifecycle, `runUntil`) deploys a scenario's functions, queues and
 *   mappings, drives its open-loop load (`LoadDriver`), applies its fault timeline
 *   (`FaultTimeline`, `FaultInjector`), watches zones (`ZoneWatcher`) and writes the results
 *   directory (history, faults, zones, ledger, report, verdict). It reads the time only from the
 *   world's `Clock`.
 * - A `RunWorld` is the platform it runs against: its clock, a `ClusterClient` (invocations, queue
 *   messages), an `ApiClient` (deploys), an `AdminClient` (zonesim's admin API, typed and signed)
 *   and a `FaultActuator` (processes and links). `RealWorld` is a coordinator and zone-node
 *   processes behind link proxies, over HTTP, on the system clock; the virtual world of issue 16
 *   implements the same interface over in-process cores.
 * - `runScenario` is `zonesim run`: a `ScenarioRun` over a `RealWorld`.
 * - `startLocalCluster` starts real coordinator and zone-node processes and waits for their ready
 *   lines (also the integration tests' and benchmarks' launcher); `ClusterSupervisor` answers the
 *   dashboard's controls with those processes and link proxies.
 *
 * `@zonesim/cli` parses flags into these options and re-exports what tests and benchmarks import.
 */
export { ScenarioRun, DEFAULT_RUN_STOP_GRACE_MS, defaultResultsDir, type RunResult, type ScenarioRunOptions } from './run/scenario-run.js';
export { runScenario, type RunOptions } from './run/run-scenario.js';
export type { FaultActuator, RunWorld, WorldInfo, WorldNode } from './world/run-world.js';
export { RealWorld, coordinatorArgsFor, zoneArgsFor, type RealWorldOptions, type WorldSupervisor } from './world/real-world.js';
export { RealFaultActuator } from './world/real-fault-actuator.js';
export { LoadDriver, MAX_CLIENT_IN_FLIGHT, QUEUE_SEND_TIMEOUT_MS, type LoadCounts } from './run/load-driver.js';
export { FaultInjector } from './run/fault-injector.js';
export { FaultTimeline } from './run/fault-timeline.js';
export { ZoneWatcher } from './run/zone-watcher.js';
export { Progress, type ProgressSource } from './run/progress.js';
export { PROVISIONED_ALIAS, deployFunctions, type DeployedFunction } from './run/deploy-functions.js';
export { deployMappings, deployQueues } from './run/deploy-queues.js';
export { asyncDrained, dumpAsyncFinal, dumpQueueMessages, queuesDrained, writeRunInfo } from './run/results-files.js';
export { sleep, waitUntil } from './clock-wait.js';

export type { ApiCallOptions, ApiRequest, ApiResponse, ApiTransport } from './client/api-transport.js';
export { HttpApiTransport, type HttpApiTransportComponents, type HttpApiTransportOptions } from './client/http-transport.js';
export { ApiClient, expectStatus, parseBody, type JsonAnswer, type JsonCallOptions } from './client/api-client.js';
export { AdminClient } from './client/admin-client.js';
export type * from './client/admin-types.js';
export { ApiClusterClient, type ClusterClient, type InvokeAnswer } from './client/cluster-client.js';

export { startLocalCluster, defaultZoneNames, type LocalCluster, type LocalClusterOptions, type SupervisorEndpoint } from './cluster/local-cluster.js';
export { ChildProcessHandle, zonesimBin, type ChildSpec } from './cluster/child-process-handle.js';
export { linkProxiesInFront } from './cluster/link-proxies.js';
export { ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV, TOKEN_ENV, apiCredentialsFrom } from './credentials.js';
export { ClusterSupervisor, SHIPPED_SCENARIOS_DIR, type ClusterSupervisorOptions } from './supervisor/cluster-supervisor.js';
export { ScenarioSession, type ScenarioSessionState } from './supervisor/scenario-session.js';

export {
  AdminApiError,
  ApiConnectionError,
  ApiTimeoutError,
  ProcessExitTimeoutError,
  RunStateError,
  RunWorldError,
  RunnerError,
  RunnerErrorCode,
  isRunnerError,
} from './errors.js';
