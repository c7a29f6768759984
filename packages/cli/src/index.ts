/**
 * @zonesim/cli: the `zonesim` command. It parses flags into options and calls the commands; the
 * scenario runner and the local-cluster launcher live in @zonesim/runner, re-exported here for the
 * integration tests' harness and the benchmarks, which import them from this package.
 */
export { main } from './main.js';
export { ZONESIM_BIN } from './zonesim-bin.js';
export {
  ChildProcessHandle,
  ClusterSupervisor,
  SHIPPED_SCENARIOS_DIR,
  TOKEN_ENV,
  defaultZoneNames,
  startLocalCluster,
  type ChildSpec,
  type ClusterSupervisorOptions,
  type LocalCluster,
  type LocalClusterOptions,
  type SupervisorEndpoint,
} from '@zonesim/runner';
export { SAMPLE_FILES, buildSampleZip } from './sample-function.js';
export { createFunction, invokeFunction, type InvokeOutcome } from './lambda-http.js';
