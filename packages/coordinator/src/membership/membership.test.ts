import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import { ManualClock, silentLogger } from '@zonesim/common';
import { Membership } from './membership.js';
import type { NodeSession } from './node-session.js';

/** The parts of a NodeSession the detector reads and calls. */
class FakeSession extends EventEmitter {
  health: 'healthy' | 'suspect' | 'down' = 'healthy';
  suspectReason: string | undefined;
  closed = false;
  downReason: string | undefined;
  readonly sessionId: string;
  constructor(
    readonly nodeId: string,
    readonly zone: string,
    public lastSeen: number,
  ) {
    super();
    this.sessionId = `s-${nodeId}`;
  }
  send(): void {}
  declareDown(reason: string): void {
    this.downReason = reason;
    this.health = 'down';
    this.closed = true;
    this.emit('closed', 4003, reason);
  }
}

/** A started detector (200 ms x 4, stopped at teardown) on a manual clock, with node `n1` added. */
function detector(t: Test): { clock: ManualClock; node: FakeSession; add(nodeId: string): FakeSession } {
  const clock = new ManualClock();
  const membership = new Membership({ clock, log: silentLogger(), settings: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4 } });
  t.teardown(() => membership.stop());
  const add = (nodeId: string): FakeSession => {
    const s = new FakeSession(nodeId, 'az-a', clock.monotonic());
    membership.add(s as unknown as NodeSession);
    return s;
  };
  const node = add('n1');
  membership.start();
  return { clock, node, add };
}

t.test('a silent node is suspect after two intervals and down after the miss limit', async (t) => {
  const { clock, node } = detector(t);
  clock.advance(400);
  t.equal(node.health, 'healthy', 'silent 400 ms: not yet suspect');
  clock.advance(100);
  t.equal(node.health, 'suspect');
  clock.advance(400);
  t.equal(node.health, 'down');
  t.match(node.downReason, /no frame for 900 ms/);
});

t.test('a pause of the coordinator itself convicts nobody until the frames that waited are read', async (t) => {
  const { clock, node, add } = detector(t);
  clock.advance(100);
  node.lastSeen = clock.monotonic();
  // The coordinator's loop blocks for 1.5 s while the node keeps sending; its frames wait unread.
  clock.stall(1_500);
  t.equal(node.health, 'healthy', 'the late tick judges nobody');
  node.lastSeen = clock.monotonic(); // the waiting frames are read before the next tick
  clock.advance(100);
  t.equal(node.health, 'healthy', 'heard from: still healthy');

  // A node that really went silent during the pause is convicted one tick later.
  const dead = add('n2');
  dead.lastSeen = clock.monotonic();
  clock.stall(1_500);
  node.lastSeen = clock.monotonic();
  t.equal(dead.health, 'healthy', 'not on the late tick');
  clock.advance(100);
  t.equal(dead.health, 'down', 'on the next one');
  t.equal(node.health, 'healthy');
});

t.test('a coordinator late on every tick still detects failures', async (t) => {
  const { clock, node } = detector(t);
  for (let i = 0; i < 4 && node.health !== 'down'; i++) clock.stall(400);
  t.equal(node.health, 'down', 'every other late tick judges');
});

t.test('refusals: suspect after the limit in a row, a timed probation, twice as long the next time', async (t) => {
  const clock = new ManualClock();
  const membership = new Membership({
    clock,
    log: silentLogger(),
    settings: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4, refusalSuspectLimit: 3, refusalProbationMs: 1_000 },
  });
  t.teardown(() => membership.stop());
  const node = Object.assign(new FakeSession('n1', 'az-a', clock.monotonic()), {
    refusals: { inARow: 0, total: 0, lastCode: undefined as string | undefined, suspicions: 0, probationEndsAt: undefined as number | undefined },
  });
  membership.add(node as unknown as NodeSession);
  membership.start();
  const alive = (ms: number): void => {
    for (let at = 0; at < ms; at += 100) {
      clock.advance(100);
      node.lastSeen = clock.monotonic();
    }
  };
  t.equal(membership.noteRefusal(node as unknown as NodeSession, 'NODE_AT_CAPACITY'), false);
  t.equal(membership.noteRefusal(node as unknown as NodeSession, 'NO_CAPACITY'), false);
  t.equal(membership.healthySessions().length, 1);
  t.equal(membership.noteRefusal(node as unknown as NodeSession, 'NO_CAPACITY'), true, 'the third in a row');
  t.equal(node.health, 'suspect');
  t.equal(node.suspectReason, 'refusing');
  t.equal(membership.healthySessions().length, 0, 'placement skips it');
  t.equal(membership.noteRefusal(node as unknown as NodeSession, 'NO_CAPACITY'), false, 'already suspect');

  alive(900);
  t.equal(node.health, 'suspect', 'its frames do not clear it');
  alive(200);
  t.equal(node.health, 'healthy', 'probation after 1 s');
  t.equal(node.refusals.inARow, 2, 'one refusal away from the limit');
  t.equal(membership.noteRefusal(node as unknown as NodeSession, 'NO_CAPACITY'), true, 'one more refusal: suspect again');
  alive(1_900);
  t.equal(node.health, 'suspect', 'for twice as long');
  alive(200);
  t.equal(node.health, 'healthy');

  // Serving an invocation resets the count (NodeSession does it on a settled invoke-result).
  node.refusals.inARow = 0;
  node.refusals.suspicions = 0;
  for (let i = 0; i < 2; i++) membership.noteRefusal(node as unknown as NodeSession, 'X');
  t.equal(node.health, 'healthy');

  // A late dispatch or a draining node is no strike, however many come.
  node.refusals.inARow = 0;
  for (let i = 0; i < 5; i++) t.equal(membership.noteRefusal(node as unknown as NodeSession, i % 2 ? 'DISPATCH_EXPIRED' : 'NODE_DRAINING'), false);
  t.equal(node.health, 'healthy');
  t.equal(node.refusals.inARow, 0, 'not counted in a row');
  t.equal(node.refusals.lastCode, 'NODE_DRAINING', 'but shown');
});

t.test('a silent node is suspect for silence, which its next frame clears', async (t) => {
  const { clock, node } = detector(t);
  clock.advance(500);
  t.equal(node.health, 'suspect');
  t.equal(node.suspectReason, 'silent');
});
