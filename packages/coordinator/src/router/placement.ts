import type { NodeSession } from '../membership/node-session.js';

/** What placement knows about the invocation it places. */
export interface PlacementRequest {
  specKey: string;
  memoryMb: number;
}

/**
 * Chooses a zone node for one invocation among the candidates that have room, and says why.
 * Implementations are pure functions of their inputs (and their own counters), so studies can
 * compare them.
 */
export interface PlacementPolicy {
  readonly name: string;
  choose(request: PlacementRequest, candidates: readonly NodeSession[]): NodeSession | undefined;
  /**
   * Why this policy chose `node` for `request`, in words: the reason of the router's placement step
   * (the dashboard's "explain") and the ledger's `placement` field, e.g. `warm environment on
   * az-a-node-1`. Called right after {@link choose} returned `node`, before the offer is sent.
   */
  explain(request: PlacementRequest, node: NodeSession): string;
}

/** The warm-first policies' reason for a node that holds an idle environment of the configuration. */
function warmReason(request: PlacementRequest, node: NodeSession): string | undefined {
  return node.idleFor(request.specKey) > 0 ? `warm environment on ${node.nodeId}` : undefined;
}

/**
 * Warm first, then spread: a node holding an idle environment of the same configuration wins (no
 * cold start); otherwise the zone running the fewest of this function's invocations gets the new
 * environment, so a function's environments spread over zones the way Lambda spreads them over AZs.
 * Ties go to the node busy with the smallest share of its slots, then round-robin. A share, not a
 * count of free slots: with counts, a node that advertises a huge capacity (issue 15's fake node
 * said so in its `hello`) would win every tie, and every new function's first invocation.
 */
export class WarmFirstSpreadPolicy implements PlacementPolicy {
  readonly name = 'warm-first-spread';
  #turn = 0;

  choose(request: PlacementRequest, candidates: readonly NodeSession[]): NodeSession | undefined {
    if (candidates.length === 0) return undefined;
    let warm: NodeSession | undefined;
    for (const c of candidates) if (c.idleFor(request.specKey) > 0 && (!warm || c.inFlight < warm.inFlight)) warm = c;
    if (warm) return warm;
    const perZone = new Map<string, number>();
    for (const c of candidates) perZone.set(c.zone, (perZone.get(c.zone) ?? 0) + c.inFlight + c.idleFor(request.specKey));
    const turn = this.#turn++;
    let best: NodeSession | undefined;
    let bestScore = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(i + turn) % candidates.length]!;
      // Zone load first, then the busy share of the node's slots (below 1, so it never outweighs a
      // whole invocation; idle nodes tie at 0 whatever their size and take turns).
      const score = (perZone.get(c.zone) ?? 0) + c.inFlight / (c.capacity.maxEnvironments + 1);
      if (score < bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }

  explain(request: PlacementRequest, node: NodeSession): string {
    return warmReason(request, node) ?? `no warm environment; least-loaded zone for this function (${node.zone})`;
  }
}

/**
 * Warm first, then pack: new environments go to the busiest node that still has room, filling one
 * node (and so one zone) before the next. Fewer nodes stay warm, which is cheaper, but a zone
 * failure takes more of a function's environments with it — the contrast studies want to measure.
 */
export class WarmFirstPackPolicy implements PlacementPolicy {
  readonly name = 'warm-first-pack';

  choose(request: PlacementRequest, candidates: readonly NodeSession[]): NodeSession | undefined {
    let warm: NodeSession | undefined;
    for (const c of candidates) if (c.idleFor(request.specKey) > 0 && (!warm || c.inFlight < warm.inFlight)) warm = c;
    if (warm) return warm;
    let best: NodeSession | undefined;
    for (const c of candidates) {
      // Busiest first; ties go to the zone and node that sort first, so packing is deterministic.
      if (!best || c.inFlight > best.inFlight || (c.inFlight === best.inFlight && `${c.zone}/${c.nodeId}` < `${best.zone}/${best.nodeId}`)) best = c;
    }
    return best;
  }

  explain(request: PlacementRequest, node: NodeSession): string {
    return warmReason(request, node) ?? `no warm environment; busiest node with room (${node.nodeId})`;
  }
}

/** Names accepted by the `placement` option. */
export const PLACEMENT_POLICIES = {
  spread: () => new WarmFirstSpreadPolicy(),
  pack: () => new WarmFirstPackPolicy(),
} as const;

/** One of the keys of {@link PLACEMENT_POLICIES}. */
export type PlacementPolicyName = keyof typeof PLACEMENT_POLICIES;
