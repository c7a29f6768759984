/** What allocation needs to know about a node. */
export interface AllocationNode {
  sessionId: string;
  zone: string;
  nodeId: string;
}

/**
 * Spreads `count` provisioned environments over zones as evenly as possible (Lambda spreads a
 * function's environments over the region's AZs), then over the nodes of each zone. Zones and nodes
 * are taken in name order so the same cluster always gets the same split; the first zones get the
 * remainder. Returns sessionId -> share (nodes with a zero share are left out).
 */
export function allocateAcrossZones(count: number, nodes: readonly AllocationNode[]): Map<string, number> {
  const shares = new Map<string, number>();
  if (count <= 0 || nodes.length === 0) return shares;
  const byZone = new Map<string, AllocationNode[]>();
  for (const n of nodes) {
    const list = byZone.get(n.zone) ?? [];
    list.push(n);
    byZone.set(n.zone, list);
  }
  const zones = [...byZone.keys()].sort();
  for (const z of zones) byZone.get(z)!.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  const zoneShare = (i: number): number => Math.floor(count / zones.length) + (i < count % zones.length ? 1 : 0);
  zones.forEach((zone, i) => {
    const zoneNodes = byZone.get(zone)!;
    const share = zoneShare(i);
    zoneNodes.forEach((node, j) => {
      const n = Math.floor(share / zoneNodes.length) + (j < share % zoneNodes.length ? 1 : 0);
      if (n > 0) shares.set(node.sessionId, n);
    });
  });
  return shares;
}
