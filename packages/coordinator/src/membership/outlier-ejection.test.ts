import { EventEmitter } from 'node:events';
import t from 'tap';
import { ManualClock, silentLogger } from '@zonesim/common';
import { Membership } from './membership.js';
import type { NodeSession } from './node-session.js';
import { DEFAULT_OUTLIER, maxEjected, newWorkRecord, observeWork, resolveOutlierSettings, type OutlierSettings } from './outlier-ejection.js';

const settings: OutlierSettings = { consecutiveFailures: 3, failurePercent: 50, minRequests: 6, intervalMs: 1_000, ejectionMs: 2_000, maxEjectedPercent: 10 };

t.test('consecutive failures eject; a success in between starts the count again', async (t) => {
  const r = newWorkRecord();
  t.equal(observeWork(settings, r, true, 0).eject, false);
  t.equal(observeWork(settings, r, true, 1).eject, false);
  t.equal(observeWork(settings, r, false, 2).eject, false, 'a success');
  t.equal(observeWork(settings, r, true, 3).eject, false);
  t.equal(observeWork(settings, r, true, 4).eject, false);
  t.match(observeWork(settings, r, true, 5), { eject: true, why: '3 failures in a row' });
  t.equal(r.failures, 5);
});

t.test('a failure share within one interval ejects once the interval has enough answers', async (t) => {
  const r = newWorkRecord();
  // Alternating: never 3 in a row, but half of them fail.
  const verdicts = [true, false, true, false, true, false].map((failed, i) => observeWork(settings, r, failed, 100 + i));
  t.same(verdicts.slice(0, 5).map((v) => v.eject), [false, false, false, false, false], 'fewer than 6 answers: no share yet');
  t.equal(verdicts[5]!.eject, false, 'the 6th answer is a success: 3 of 6 = 50 % is reached only by a failure');
  t.match(observeWork(settings, r, true, 106), { eject: true, why: '4 of 7 answers failed within 1000 ms' });
});

t.test('a new interval forgets the old counts, and a clean busy interval forgives earlier ejections', async (t) => {
  const r = newWorkRecord();
  r.ejections = 2;
  for (let i = 0; i < 5; i++) observeWork(settings, r, i % 2 === 0, i);
  t.equal(r.windowFailures, 3);
  observeWork(settings, r, false, 1_000);
  t.equal(r.windowRequests, 1, 'new interval');
  t.equal(r.ejections, 2, 'the last interval had too few answers to count as clean');
  for (let i = 0; i < 6; i++) observeWork(settings, r, false, 1_001 + i);
  observeWork(settings, r, false, 2_001);
  t.equal(r.ejections, 0, 'a clean interval of 7 answers: the next ejection starts short');
});

t.test('at most maxEjectedPercent of the nodes, and always one', async (t) => {
  t.equal(maxEjected(settings, 3), 1);
  t.equal(maxEjected(settings, 30), 3);
  t.equal(maxEjected({ ...settings, maxEjectedPercent: 50 }, 9), 4);
});

t.test('settings are checked once, naming the field', async (t) => {
  t.same(resolveOutlierSettings({}), DEFAULT_OUTLIER);
  t.throws(() => resolveOutlierSettings({ consecutiveFailures: 0 }), /outlier\.consecutiveFailures must be a positive integer/);
  t.throws(() => resolveOutlierSettings({ failurePercent: 150 }, 'x'), /x\.failurePercent must be a percentage/);
});

class FakeSession extends EventEmitter {
  health: 'healthy' | 'suspect' | 'down' = 'healthy';
  suspectReason: string | undefined;
  closed = false;
  readonly work = newWorkRecord();
  readonly refusals = { inARow: 0, total: 0, lastCode: undefined, suspicions: 0, probationEndsAt: undefined };
  readonly sessionId: string;
  constructor(
    readonly nodeId: string,
    public lastSeen: number,
  ) {
    super();
    this.sessionId = `s-${nodeId}`;
  }
  send(): void {}
  declareDown(): void {}
}

t.test('membership ejects a failing node for a doubling probation, and only with work-aware detection on', async (t) => {
  const clock = new ManualClock();
  const make = (outlier?: OutlierSettings) => {
    const m = new Membership({ clock, log: silentLogger(), settings: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4, ...(outlier ? { outlier } : {}) } });
    t.teardown(() => m.stop());
    const nodes = ['n1', 'n2', 'n3'].map((id) => new FakeSession(id, clock.monotonic()));
    for (const n of nodes) m.add(n as unknown as NodeSession);
    m.start();
    return { m, nodes };
  };
  const alive = (nodes: FakeSession[], ms: number) => {
    for (let i = 0; i < ms / 100; i++) {
      clock.advance(100);
      for (const n of nodes) n.lastSeen = clock.monotonic();
    }
  };

  const heartbeatOnly = make();
  for (let i = 0; i < 20; i++) t.equal(heartbeatOnly.m.noteWork(heartbeatOnly.nodes[0] as unknown as NodeSession, true), undefined);
  t.equal(heartbeatOnly.nodes[0]!.health, 'healthy', 'heartbeats alone never see a gray node');
  heartbeatOnly.m.stop();

  const { m, nodes } = make(settings);
  const [n1, n2] = nodes as [FakeSession, FakeSession, FakeSession];
  t.equal(m.noteWork(n1 as unknown as NodeSession, true), undefined);
  t.equal(m.noteWork(n1 as unknown as NodeSession, true), undefined);
  t.match(m.noteWork(n1 as unknown as NodeSession, true), /3 failures in a row; ejected for 2000 ms/);
  t.equal(n1.health, 'suspect');
  t.equal(n1.suspectReason, 'failing');
  t.equal(m.healthySessions().length, 2, 'placement skips it');

  for (let i = 0; i < 3; i++) m.noteWork(n2 as unknown as NodeSession, true);
  t.equal(n2.health, 'healthy', 'a second node is not ejected: 10 % of 3 nodes allows one');

  alive(nodes, 1_900);
  t.equal(n1.health, 'suspect', 'its heartbeats do not clear it');
  alive(nodes, 200);
  t.equal(n1.health, 'healthy', 'probation after 2 s');
  t.match(m.noteWork(n1 as unknown as NodeSession, true), /ejected for 4000 ms/, 'one more failure on probation: ejected again, for twice as long');
  alive(nodes, 3_900);
  t.equal(n1.health, 'suspect');
  alive(nodes, 200);
  t.equal(n1.health, 'healthy');
  t.equal(m.noteWork(n1 as unknown as NodeSession, false), undefined, 'a success on probation');
  t.equal(n1.health, 'healthy');
});
