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

/** FNV-1a of a string: a stable score for rendezvous hashing (no randomness: shards are a function of names). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final mix, so that names differing in the last character do not score alike.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Shuffle sharding (AWS Builders' Library, "Workload isolation using shuffle-sharding"): each
 * function runs only on its own shard of `shardSize` nodes, chosen by rendezvous hashing of the
 * function's configuration and the node ids, at most ceil(shardSize / zones) per zone so that a
 * shard spans zones. Two functions share their whole shard with probability 1 / C(n, k), so a
 * failure that a function's traffic causes or suffers (a poisoned node, a lost host) touches few
 * others: the blast radius studies measure against spread, where every function runs everywhere.
 * The nodes are those the policy has seen; a shard member that is down or full is not replaced
 * (that would spread the blast again): the function waits for room in its shard, then is throttled.
 */
export class ShuffleShardPolicy implements PlacementPolicy {
  readonly name = 'shuffle-shard';
  readonly shardSize: number;
  /** Every node seen, by id: the universe shards are drawn from. */
  readonly #known = new Map<string, string>();
  readonly #shards = new Map<string, Set<string>>();

  constructor(shardSize: number) {
    if (!Number.isInteger(shardSize) || shardSize < 1) throw new TypeError(`shuffle-shard: shardSize must be a whole number >= 1, got ${shardSize}`);
    this.shardSize = shardSize;
  }

  /** The node ids of `specKey`'s shard among the nodes seen so far. */
  shardOf(specKey: string): ReadonlySet<string> {
    let shard = this.#shards.get(specKey);
    if (shard) return shard;
    const zones = new Set(this.#known.values()).size;
    const perZone = Math.ceil(this.shardSize / Math.max(1, zones));
    const ranked = [...this.#known.keys()].map((id) => ({ id, score: fnv1a(`${specKey}|${id}`) })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const taken = new Map<string, number>();
    shard = new Set();
    for (const { id } of ranked) {
      const zone = this.#known.get(id)!;
      if ((taken.get(zone) ?? 0) >= perZone) continue;
      taken.set(zone, (taken.get(zone) ?? 0) + 1);
      shard.add(id);
      if (shard.size === this.shardSize) break;
    }
    this.#shards.set(specKey, shard);
    return shard;
  }

  choose(request: PlacementRequest, candidates: readonly NodeSession[]): NodeSession | undefined {
    for (const c of candidates) {
      if (!this.#known.has(c.nodeId)) {
        this.#known.set(c.nodeId, c.zone);
        // A node joined: shards are drawn again over the larger set (rendezvous hashing moves only
        // the shards the new node now wins a place in).
        this.#shards.clear();
      }
    }
    const shard = this.shardOf(request.specKey);
    let warm: NodeSession | undefined;
    let best: NodeSession | undefined;
    for (const c of candidates) {
      if (!shard.has(c.nodeId)) continue;
      if (c.idleFor(request.specKey) > 0 && (!warm || c.inFlight < warm.inFlight)) warm = c;
      const share = c.inFlight / (c.capacity.maxEnvironments + 1);
      if (!best || share < best.inFlight / (best.capacity.maxEnvironments + 1) || (share === best.inFlight / (best.capacity.maxEnvironments + 1) && c.nodeId < best.nodeId)) best = c;
    }
    return warm ?? best;
  }

  explain(request: PlacementRequest, node: NodeSession): string {
    const shard = [...this.shardOf(request.specKey)].sort().join(', ');
    return warmReason(request, node) ?? `no warm environment; least-busy node of the function's shard (${shard})`;
  }
}

/** Settings the placement policies take. */
export interface PlacementSettings {
  /** Nodes per function for `shuffle-shard`. */
  shardSize: number;
}

/** Names accepted by the `placement` option. */
export const PLACEMENT_POLICIES = {
  spread: (_s: PlacementSettings): PlacementPolicy => new WarmFirstSpreadPolicy(),
  pack: (_s: PlacementSettings): PlacementPolicy => new WarmFirstPackPolicy(),
  'shuffle-shard': (s: PlacementSettings): PlacementPolicy => new ShuffleShardPolicy(s.shardSize),
} as const;

/** One of the keys of {@link PLACEMENT_POLICIES}. */
export type PlacementPolicyName = keyof typeof PLACEMENT_POLICIES;
