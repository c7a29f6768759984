import { EventEmitter } from 'node:events';
import t from 'tap';
import { ManualClock, silentLogger } from '@zonesim/common';
import type { CoordinatorMessage, FunctionSpec } from '@zonesim/protocol';
import type { Membership } from '../membership/membership.js';
import { StaticHeadroom } from './static-headroom.js';

const SPEC = { specKey: 'api:1', functionName: 'api', version: '$LATEST' } as FunctionSpec;

class FakeNode {
  readonly sent: CoordinatorMessage[] = [];
  constructor(
    readonly sessionId: string,
    readonly zone: string,
    readonly nodeId: string,
  ) {}
  send(m: CoordinatorMessage): void {
    this.sent.push(m);
  }
  lastFloor(): number | undefined {
    const m = this.sent.findLast((x) => x.type === 'keep-warm');
    return m && m.type === 'keep-warm' ? m.count : undefined;
  }
}

/** Three zones of one node each; `down` makes a zone unhealthy. */
function region() {
  const nodes = ['az-a', 'az-b', 'az-c'].map((z) => new FakeNode(`s-${z}`, z, `${z}-node-1`));
  const down = new Set<string>();
  const membership = Object.assign(new EventEmitter(), {
    zones: () => nodes.map((n) => ({ zone: n.zone, health: down.has(n.zone) ? 'down' : 'healthy', nodes: [] })),
    healthySessions: () => nodes.filter((n) => !down.has(n.zone)),
  });
  return { nodes, down, membership: membership as unknown as Membership };
}

t.test('keeps peak x (1 + headroom) warm over the zones, built at the scaling rate', async (t) => {
  const clock = new ManualClock();
  const { nodes, down, membership } = region();
  let inFlight = 0;
  let tokens = 4;
  const headroom = new StaticHeadroom({
    settings: { headroom: 0.5, windowMs: 5_000, tickMs: 1_000 },
    membership,
    inFlight: () => inFlight,
    takeScalingToken: () => (tokens > 0 ? (tokens--, true) : false),
    clock,
    log: silentLogger(),
  });
  headroom.start();
  t.teardown(() => headroom.stop());

  inFlight = 12;
  headroom.observe(SPEC);
  clock.advance(1_000);
  t.equal(headroom.floorOf('api'), 16, 'peak 12 + 4 spare: only 4 scaling tokens were left of the 6 wanted');
  t.same(nodes.map((n) => n.lastFloor()), [6, 5, 5], 'split over the zones as provisioned concurrency is');
  tokens = 10;
  clock.advance(1_000);
  t.equal(headroom.floorOf('api'), 18, 'the rest once tokens refill: 12 x 1.5');
  t.same(nodes.map((n) => n.lastFloor()), [6, 6, 6], 'any two zones hold the peak');
  const before = nodes.map((n) => n.sent.length);
  clock.advance(1_000);
  t.same(nodes.map((n) => n.sent.length), before, 'an unchanged floor is not sent again');

  down.add('az-a');
  inFlight = 30;
  headroom.observe(SPEC);
  clock.advance(3_000);
  t.same(nodes.map((n) => n.lastFloor()), [6, 6, 6], 'a zone is down: floors stay as they are (no scaling up by another name)');
  down.delete('az-a');

  inFlight = 0;
  clock.advance(1_000);
  t.ok(headroom.floorOf('api') >= 30, 'the window still holds the peak of 30');
  clock.advance(6_000);
  t.equal(headroom.floorOf('api'), 0, 'no concurrency for a whole window: no floor');
  t.same(nodes.map((n) => n.lastFloor()), [0, 0, 0], 'lifted on every node');
});
