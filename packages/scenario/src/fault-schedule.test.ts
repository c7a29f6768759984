import t from 'tap';
import { faultSchedule, percentCount } from './fault-schedule.js';
import { HEAD, resolved, yaml } from './test-util/fixtures.js';
import { defaultZoneNames, nodeIdFor, topology } from './topology.js';

const scenario = (seed: number | string) =>
  resolved(
    yaml(
      'name: sel',
      `seed: ${seed}`,
      ...HEAD.slice(1),
      'cluster: { zones: 5, nodesPerZone: 4 }',
      'faults:',
      '  - id: two-zones', '    action: kill', '    target: { zones: { count: 2 } }', '    at: 1s',
      '  - id: some-nodes', '    action: pause', '    target: { nodes: { percent: 25 } }', '    at: 2s', '    duration: 1s',
      '  - id: in-zone', '    action: partition', '    target: { nodes: { count: 2, zone: az-c } }', '    at: 3s', '    duration: 1s',
      '  - id: named', '    action: latency', '    target: { zones: { names: [az-e, az-a] } }', '    at: 4s', '    duration: 1s', '    latency: 50ms',
      '  - id: front', '    action: brownout', '    at: 5s', '    duration: 1s', '    failRate: 0.3',
    ),
  );

t.test('topology names zones and nodes as the runner starts them', async (t) => {
  t.same(defaultZoneNames(3), ['az-a', 'az-b', 'az-c']);
  t.equal(nodeIdFor('az-b', 2), 'az-b-node-2');
  const topo = topology({ cluster: { zones: ['az-a', 'az-b'], nodesPerZone: 2 } });
  t.same(topo.zones, [
    { name: 'az-a', nodeIds: ['az-a-node-1', 'az-a-node-2'] },
    { name: 'az-b', nodeIds: ['az-b-node-1', 'az-b-node-2'] },
  ]);
  t.same(topo.nodes.map((n) => n.nodeId), ['az-a-node-1', 'az-a-node-2', 'az-b-node-1', 'az-b-node-2']);
});

t.test('random selections are reproducible under a seed and resolved into zones and node ids', async (t) => {
  const a = faultSchedule(await scenario(7));
  const b = faultSchedule(await scenario(7));
  t.same(a, b, 'the same seed selects the same targets');
  const [twoZones, someNodes, inZone, named, front] = a;
  t.equal(twoZones!.targets.zones!.length, 2);
  t.same(twoZones!.targets.nodeIds, twoZones!.targets.zones!.flatMap((z) => [1, 2, 3, 4].map((i) => nodeIdFor(z, i))), 'a zone target covers every node of the zone');
  t.equal(someNodes!.targets.nodeIds!.length, 5, '25% of 20 nodes');
  t.equal(someNodes!.targets.zones, undefined, 'a node target has no zones');
  t.equal(new Set(someNodes!.targets.nodeIds).size, 5, 'distinct nodes');
  t.ok(inZone!.targets.nodeIds!.every((n) => n.startsWith('az-c-')), 'chosen within the zone');
  t.same(named!.targets.zones, ['az-a', 'az-e'], 'named zones in cluster order');
  t.same(front!.targets, { coordinator: true });
  t.same(a.map((f) => [f.id, f.startMs, f.endMs]), [['two-zones', 1000, undefined], ['some-nodes', 2000, 3000], ['in-zone', 3000, 4000], ['named', 4000, 5000], ['front', 5000, 6000]]);

  // Over a few seeds the choices differ (they are random), but never between runs of one seed.
  const choices = new Set<string>();
  for (const seed of [1, 2, 3, 4, 5, 6]) choices.add(JSON.stringify(faultSchedule(await scenario(seed)).map((f) => f.targets)));
  t.ok(choices.size > 1, `${choices.size} different selections over 6 seeds`);
});

t.test("a fault's selection does not depend on the other faults", async (t) => {
  const alone = await resolved(yaml(...HEAD, 'cluster: { zones: 5, nodesPerZone: 4 }', 'faults:', '  - id: some-nodes', '    action: pause', '    target: { nodes: { percent: 25 } }', '    at: 2s', '    duration: 1s'));
  const withOthers = faultSchedule(await scenario(1)).find((f) => f.id === 'some-nodes');
  t.same(faultSchedule(alone)[0]!.targets, withOthers!.targets);
});

t.test('percent rounds down but selects at least one', async (t) => {
  t.equal(percentCount(3, 50), 1);
  t.equal(percentCount(3, 10), 1);
  t.equal(percentCount(20, 25), 5);
  t.equal(percentCount(4, 100), 4);
});
