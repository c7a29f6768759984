import t from 'tap';
import type { NodeSession } from '../membership/node-session.js';
import { ShuffleShardPolicy, WarmFirstPackPolicy, WarmFirstSpreadPolicy } from './placement.js';

function node(nodeId: string, zone: string, inFlight: number, idle: Record<string, number> = {}, max = 4): NodeSession {
  return {
    nodeId,
    zone,
    sessionId: `s-${nodeId}`,
    inFlight,
    capacity: { memoryMb: 4096, maxEnvironments: max },
    idleFor: (k: string) => idle[k] ?? 0,
  } as unknown as NodeSession;
}

t.test('a node with a warm environment of the function wins', async (t) => {
  const policy = new WarmFirstSpreadPolicy();
  const nodes = [node('a', 'az-a', 0), node('b', 'az-b', 2, { k: 1 }), node('c', 'az-c', 0)];
  t.equal(policy.choose({ specKey: 'k', memoryMb: 128 }, nodes)?.nodeId, 'b');
});

t.test('without a warm one, new environments spread over zones', async (t) => {
  const policy = new WarmFirstSpreadPolicy();
  const nodes = [node('a', 'az-a', 0), node('b', 'az-b', 0), node('c', 'az-c', 0)];
  const picked: string[] = [];
  for (let i = 0; i < 6; i++) {
    const n = policy.choose({ specKey: 'k', memoryMb: 128 }, nodes)!;
    (n as unknown as { inFlight: number }).inFlight++;
    picked.push(n.zone);
  }
  t.same(picked.filter((z) => z === 'az-a').length, 2);
  t.same(picked.filter((z) => z === 'az-b').length, 2);
  t.same(picked.filter((z) => z === 'az-c').length, 2);
});

t.test('no candidates, no choice', async (t) => {
  t.equal(new WarmFirstSpreadPolicy().choose({ specKey: 'k', memoryMb: 128 }, []), undefined);
});

t.test('an advertised capacity buys no preference: idle nodes take turns whatever their size', async (t) => {
  const policy = new WarmFirstSpreadPolicy();
  const nodes = [node('huge', 'az-a', 0, {}, 100_000), node('real', 'az-b', 0, {}, 4)];
  const picked = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const n = policy.choose({ specKey: 'k', memoryMb: 128 }, nodes)!;
    picked.set(n.nodeId, (picked.get(n.nodeId) ?? 0) + 1);
  }
  t.same(Object.fromEntries(picked), { huge: 5, real: 5 });
});

// The contract every placement policy keeps (STYLE 22): warm first, nothing from nothing, and its
// own reason for each choice, which the router records as the placement step's `reason`.
for (const [policy, coldReason] of [
  [new WarmFirstSpreadPolicy(), 'no warm environment; least-loaded zone for this function (az-b)'],
  [new WarmFirstPackPolicy(), 'no warm environment; busiest node with room (b)'],
] as const) {
  t.test(`${policy.name}: the placement policy contract`, async (t) => {
    const warm = [node('a', 'az-a', 3), node('b', 'az-b', 1, { k: 1 }), node('c', 'az-c', 0)];
    const chosen = policy.choose({ specKey: 'k', memoryMb: 128 }, warm);
    t.equal(chosen?.nodeId, 'b', 'a node with an idle environment of the configuration wins');
    t.equal(policy.explain({ specKey: 'k', memoryMb: 128 }, chosen!), 'warm environment on b');
    t.equal(policy.choose({ specKey: 'k', memoryMb: 128 }, []), undefined, 'no candidates, no choice');
    const only = [node('b', 'az-b', 1)];
    const cold = policy.choose({ specKey: 'k', memoryMb: 128 }, only)!;
    t.equal(policy.explain({ specKey: 'k', memoryMb: 128 }, cold), coldReason, 'its own words for a new environment');
  });
}

t.test('shuffle-shard: each function on its own shard of k nodes across zones, stable, never outside it', async (t) => {
  const nodes = ['az-a', 'az-b', 'az-c'].flatMap((z) => [1, 2, 3, 4].map((i) => node(`${z}-node-${i}`, z, 0)));
  const policy = new ShuffleShardPolicy(2);
  const shards = new Map<string, string>();
  for (let f = 0; f < 200; f++) {
    const specKey = `fn-${f}:1`;
    const used = new Set<string>();
    for (let i = 0; i < 6; i++) used.add(policy.choose({ specKey, memoryMb: 128 }, nodes)!.nodeId);
    const shard = policy.shardOf(specKey);
    t.equal(shard.size, 2);
    t.ok([...used].every((id) => shard.has(id)), 'placed only on its shard');
    t.equal(new Set([...shard].map((id) => id.slice(0, 4))).size, 2, 'the shard spans two zones');
    shards.set(specKey, [...shard].sort().join(','));
  }
  // 12 nodes, shards of 2 across zones: 48 possible shards, so 200 functions spread over many.
  t.ok(new Set(shards.values()).size > 30, `${new Set(shards.values()).size} distinct shards for 200 functions`);
  const again = new ShuffleShardPolicy(2);
  again.choose({ specKey: 'fn-7:1', memoryMb: 128 }, nodes);
  t.equal([...again.shardOf('fn-7:1')].sort().join(','), shards.get('fn-7:1'), 'a function\'s shard is a function of the names');
  const shard = [...policy.shardOf('fn-7:1')];
  const outside = nodes.filter((n) => !shard.includes(n.nodeId));
  t.equal(policy.choose({ specKey: 'fn-7:1', memoryMb: 128 }, outside), undefined, 'its shard full or down: it waits, it does not spill');
  t.throws(() => new ShuffleShardPolicy(0), /shardSize/);
});
