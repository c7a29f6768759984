import t from 'tap';
import { allocateAcrossZones } from './allocation.js';

const node = (zone: string, nodeId: string) => ({ sessionId: `s-${nodeId}`, zone, nodeId });

t.test('spreads evenly over zones, the remainder to the first zones', async (t) => {
  const nodes = [node('az-c', 'c1'), node('az-a', 'a1'), node('az-b', 'b1')];
  t.same(Object.fromEntries(allocateAcrossZones(5, nodes)), { 's-a1': 2, 's-b1': 2, 's-c1': 1 });
  t.same(Object.fromEntries(allocateAcrossZones(1, nodes)), { 's-a1': 1 });
  t.same(Object.fromEntries(allocateAcrossZones(0, nodes)), {});
});

t.test('splits a zone share over its nodes; more nodes in a zone do not take more than the zone share', async (t) => {
  const nodes = [node('az-a', 'a1'), node('az-a', 'a2'), node('az-a', 'a3'), node('az-b', 'b1')];
  const shares = allocateAcrossZones(6, nodes);
  t.same(Object.fromEntries(shares), { 's-a1': 1, 's-a2': 1, 's-a3': 1, 's-b1': 3 });
  let total = 0;
  for (const v of shares.values()) total += v;
  t.equal(total, 6);
});

t.test('no nodes: nothing allocated', async (t) => {
  t.equal(allocateAcrossZones(3, []).size, 0);
});
