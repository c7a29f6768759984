// Issue 9: the dashboard's topology: environments coloured by state, `evicted` for those gone
// since the last report, `frozen` for a frozen zone, and a lost node kept as a down ghost.
import t from 'tap';
import { ManualClock } from '@zonesim/common';
import type { EnvironmentReport } from '@zonesim/protocol';
import type { ControlsView } from '@zonesim/dashboard';
import type { Membership } from '../membership/membership.js';
import { TopologyBuilder } from './topology-builder.js';

interface FakeNode {
  nodeId: string;
  zone: string;
  environments: EnvironmentReport | undefined;
  environmentsAt: number;
}

function fakeMembership(nodes: FakeNode[], zones: string[]): Membership {
  return {
    sessions: () => nodes,
    zones: () =>
      zones.map((zone) => {
        const mine = nodes.filter((n) => n.zone === zone);
        return {
          zone,
          health: mine.length === 0 ? 'down' : 'healthy',
          nodes: mine.map((n) => ({ nodeId: n.nodeId, zone, health: 'healthy', inFlight: n.environments?.busy ?? 0, capacity: { memoryMb: 4096, maxEnvironments: 8 }, idleEnvironments: 0 })),
        };
      }),
  } as unknown as Membership;
}

const env = (id: string, state: 'busy' | 'idle' | 'initializing') => ({ id, functionName: 'fn', state });
const report = (list: ReturnType<typeof env>[]): EnvironmentReport => ({
  initializing: list.filter((e) => e.state === 'initializing').length,
  busy: list.filter((e) => e.state === 'busy').length,
  idle: list.filter((e) => e.state === 'idle').length,
  list,
});
const NO_CONTROLS: ControlsView = { enabled: true, supervised: true, scenarios: [], active: [] };

t.test('states, evictions, frozen zones and ghosts of lost nodes', async (t) => {
  const clock = new ManualClock(0);
  const a: FakeNode = { nodeId: 'a1', zone: 'az-a', environments: report([env('e1', 'busy'), env('e2', 'idle'), env('e3', 'initializing')]), environmentsAt: 1 };
  const b: FakeNode = { nodeId: 'b1', zone: 'az-b', environments: report([env('e4', 'idle')]), environmentsAt: 1 };
  const nodes = [a, b];
  const builder = new TopologyBuilder({ region: 'us-east-1', maxEnvironmentsPerNode: 96, evictedShowMs: 5_000, ghostNodeMs: 60_000 }, { membership: fakeMembership(nodes, ['az-a', 'az-b']), clock });

  let topo = builder.build(NO_CONTROLS);
  t.same(topo.zones.map((z) => z.zone), ['az-a', 'az-b']);
  const a1 = topo.zones[0]!.nodes[0]!;
  t.same(a1.environments.map((e) => `${e.id}:${e.state}`), ['e1:busy', 'e2:warm-idle', 'e3:initializing']);
  t.same(a1.counts, { initializing: 1, busy: 1, 'warm-idle': 1, frozen: 0, evicted: 0 });

  // e2 went away between two reports: drawn evicted for evictedShowMs.
  clock.advance(500);
  a.environments = report([env('e1', 'idle'), env('e3', 'busy')]);
  a.environmentsAt = 2;
  topo = builder.build(NO_CONTROLS);
  t.same(topo.zones[0]!.nodes[0]!.environments.map((e) => `${e.id}:${e.state}`), ['e1:warm-idle', 'e3:busy', 'e2:evicted']);
  clock.advance(5_001);
  topo = builder.build(NO_CONTROLS);
  t.equal(topo.zones[0]!.nodes[0]!.counts.evicted, 0, 'evicted environments fade out');

  // A frozen zone: its environments are frozen in the last state seen.
  topo = builder.build({ ...NO_CONTROLS, active: [{ zone: 'az-a', action: 'freeze', since: 0 }] });
  t.same(topo.zones[0]!.nodes[0]!.environments.map((e) => e.state), ['frozen', 'frozen']);
  t.same(topo.zones[0]!.faults, ['frozen']);

  // A frozen node declared down keeps its environments, drawn frozen (they come back warm on thaw).
  const frozenNode = nodes.splice(0, 1)[0]!;
  topo = builder.build({ ...NO_CONTROLS, active: [{ zone: 'az-a', action: 'freeze', since: 0 }] });
  t.same(topo.zones[0]!.nodes.map((n) => [n.health, n.environments.map((e) => e.state).join()]), [['down', 'frozen,frozen']]);
  nodes.unshift(frozenNode);
  frozenNode.environmentsAt = 2.5;
  topo = builder.build(NO_CONTROLS);
  t.same(topo.zones[0]!.nodes[0]!.environments.map((e) => `${e.id}:${e.state}`), ['e1:warm-idle', 'e3:busy'], 'thawed: back as they were');

  // az-b's node is lost: a down ghost with its environments evicted, then it goes.
  nodes.splice(1, 1);
  topo = builder.build(NO_CONTROLS);
  const ghost = topo.zones[1]!;
  t.equal(ghost.health, 'down');
  t.same(ghost.nodes.map((n) => [n.nodeId, n.health, n.environments.map((e) => e.state).join()]), [['b1', 'down', 'evicted']]);
  clock.advance(60_001);
  topo = builder.build(NO_CONTROLS);
  t.same(topo.zones[1]!.nodes, [], 'the ghost is dropped after ghostNodeMs');

  // A truncated list never invents evictions.
  a.environments = { initializing: 0, busy: 10, idle: 0, list: [env('x1', 'busy')] };
  a.environmentsAt = 3;
  builder.build(NO_CONTROLS);
  a.environments = { initializing: 0, busy: 10, idle: 0, list: [env('x2', 'busy')] };
  a.environmentsAt = 4;
  topo = builder.build(NO_CONTROLS);
  t.equal(topo.zones[0]!.nodes[0]!.counts.evicted, 0);
  t.equal(topo.zones[0]!.nodes[0]!.hidden, 9, 'what is not listed is counted');
});
