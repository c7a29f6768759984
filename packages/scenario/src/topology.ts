import type { ResolvedCluster, ResolvedScenario } from './types.js';

/**
 * Zone names for a count: `az-a`, `az-b`, ... (the same names `zonesim up` and
 * `startLocalCluster` in packages/runner use).
 */
export function defaultZoneNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 26) throw new RangeError(`zone count must be 1..26, got ${count}`);
  return Array.from({ length: count }, (_, i) => `az-${String.fromCharCode(97 + i)}`);
}

/**
 * The id of node `index` (1-based) of `zone`: `az-a-node-1`. It must match what the runner
 * starts (packages/runner `startLocalCluster` names nodes `${zone}-node-${i}`), because fault
 * targets and the checker refer to nodes by this id.
 */
export function nodeIdFor(zone: string, index: number): string {
  return `${zone}-node-${index}`;
}

/** One zone node of the cluster. */
export interface TopologyNode {
  zone: string;
  /** 1-based within its zone. */
  index: number;
  nodeId: string;
}

/** The zones and nodes a scenario runs. */
export interface Topology {
  zones: Array<{ name: string; nodeIds: string[] }>;
  /** Every node, zone by zone, in start order. */
  nodes: TopologyNode[];
}

/** The zones and node ids of a cluster, in the order the runner starts them. */
export function topology(scenario: Pick<ResolvedScenario, 'cluster'> | { cluster: Pick<ResolvedCluster, 'zones' | 'nodesPerZone'> }): Topology {
  const { zones, nodesPerZone } = scenario.cluster;
  const nodes: TopologyNode[] = [];
  const out: Topology['zones'] = [];
  for (const zone of zones) {
    const ids: string[] = [];
    for (let i = 1; i <= nodesPerZone; i++) {
      const nodeId = nodeIdFor(zone, i);
      ids.push(nodeId);
      nodes.push({ zone, index: i, nodeId });
    }
    out.push({ name: zone, nodeIds: ids });
  }
  return { zones: out, nodes };
}
