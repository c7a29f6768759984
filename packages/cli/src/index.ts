/**
 * @zonesim/cli: the `zonesim` command, and the local-cluster launcher it uses (also used by the
 * integration tests to start real processes and wait for their ready lines).
 */
export { main } from './main.js';
export { startLocalCluster, defaultZoneNames, type LocalCluster, type LocalClusterOptions } from './cluster.js';
export { ChildProcessHandle, ZONESIM_BIN, type ChildSpec } from './child-process-handle.js';
export { TOKEN_ENV } from './token.js';
export { SAMPLE_FILES, buildSampleZip } from './sample-function.js';
export { createFunction, invokeFunction, type InvokeOutcome } from './lambda-http.js';
export { ClusterSupervisor, SHIPPED_SCENARIOS_DIR, type ClusterSupervisorOptions } from './supervisor/cluster-supervisor.js';
export type { SupervisorEndpoint } from './cluster.js';
