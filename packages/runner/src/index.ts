/**
 * @zonesim/runner: runs chaos scenarios and starts local clusters.
 *
 * - The scenario runner: `runScenario` (deploy, open-loop load, the fault timeline, the zone
 *   watcher, then the results directory: history, faults, zones, ledger, report, verdict).
 * - The local-cluster launcher: `startLocalCluster` starts a coordinator and zone-node processes
 *   and waits for their ready lines (also the integration tests' and benchmarks' launcher).
 * - The cluster supervisor behind the dashboard's controls (`ClusterSupervisor`).
 *
 * `@zonesim/cli` parses flags into these options; it re-exports what tests and benchmarks import.
 */
export { runScenario, type RunOptions, type RunResult } from './run/scenario-run.js';
export { startLocalCluster, defaultZoneNames, type LocalCluster, type LocalClusterOptions, type SupervisorEndpoint } from './cluster/local-cluster.js';
export { ChildProcessHandle, zonesimBin, type ChildSpec } from './cluster/child-process-handle.js';
export { ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV, TOKEN_ENV, apiCredentialsFrom } from './credentials.js';
export { ClusterSupervisor, SHIPPED_SCENARIOS_DIR, type ClusterSupervisorOptions } from './supervisor/cluster-supervisor.js';
