/**
 * @zonesim/runner/virtual: the virtual world (issue 16). The real coordinator and zone-node cores
 * on one simulated clock and an in-memory network, reached in-process: {@link VirtualCluster}
 * builds and drives them, {@link InProcessApiTransport} hands API requests to the coordinator's
 * real front door.
 */
export { VirtualCluster, VIRTUAL_API_URL, type ClusterObserver, type VirtualClusterOptions, type VirtualNode, type VirtualNodeSpec } from './virtual-cluster.js';
export { InProcessApiTransport } from './in-process-transport.js';
export { VirtualWorld } from './virtual-world.js';
export { VirtualRunRefusedError, checkVirtualScenario, runDigest, runVirtualScenario, type VirtualRunOptions, type VirtualRunResult } from './run-virtual.js';
export { FrontClusterClient } from './front-cluster-client.js';
