/**
 * CoordinatorLink's logic on a fake dialer and a ManualClock: no socket, no real time (issue 16:
 * the zone node's side of the link runs the same in virtual time).
 */
import t, { type Test } from 'tap';
import { ManualClock, seededEntropy, silentLogger } from '@zonesim/common';
import {
  CloseCode,
  PROTOCOL_VERSION,
  msgpackCodec,
  type CoordinatorMessage,
  type Hello,
} from '@zonesim/protocol';
import { CoordinatorLink } from './coordinator-link.js';
import { fakeDialer } from './test-util/fake-dialer.js';

const HELLO: Hello = {
  type: 'hello',
  protocolVersion: PROTOCOL_VERSION,
  clusterToken: 'token',
  zone: 'az-t',
  nodeId: 'az-t-node-1',
  capacity: { memoryMb: 1024, maxEnvironments: 4 },
  isolation: 'process',
  runtimes: ['nodejs20.x'],
};

function link(t: Test, settings: Partial<{ heartbeatMissLimit: number }> = {}) {
  const clock = new ManualClock();
  const dialer = fakeDialer();
  const l = new CoordinatorLink({
    settings: { url: 'sim://coordinator', connectTimeoutMs: 1_000, reconnectMinMs: 100, reconnectMaxMs: 1_600, heartbeatMissLimit: settings.heartbeatMissLimit ?? 4, maxFrameBytes: 1 << 20 },
    hello: () => HELLO,
    heartbeat: () => ({ busyEnvironments: 0, idleEnvironments: 0 }),
    codec: msgpackCodec,
    dialer,
    clock,
    entropy: seededEntropy('link'),
    log: silentLogger(),
  });
  t.teardown(() => l.stop());
  return { l, clock, dialer };
}

const WELCOME: CoordinatorMessage = { type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: 's-1', heartbeatIntervalMs: 200, codeBaseUrl: 'http://c/code' };

t.test('hello on open, connected on welcome, pings answered, heartbeats at the asked interval', async (t) => {
  const { l, clock, dialer } = link(t);
  const connected: string[] = [];
  l.on('connected', (w: { sessionId: string }) => connected.push(w.sessionId));
  l.start();
  const d = dialer.dials[0]!;
  t.equal(l.send({ type: 'pong', seq: 0, sentAt: 0 }), false, 'nothing is sent before the link is open');
  d.events.opened();
  t.match(d.sent, [{ type: 'hello', nodeId: 'az-t-node-1' }]);
  d.deliver(WELCOME);
  t.same(connected, ['s-1']);
  t.equal(l.state, 'connected');
  d.deliver({ type: 'ping', seq: 7, sentAt: 1 });
  t.match(d.sent.at(-1), { type: 'pong', seq: 7 });
  clock.advance(200);
  t.match(d.sent.at(-1), { type: 'heartbeat', seq: 0 });
  t.equal(await l.sendWritten({ type: 'invoke-accepted', invocationId: 'i-1' }), true);
});

t.test('no welcome in time: the connection is dropped and redialled with backoff', async (t) => {
  const { l, clock, dialer } = link(t);
  l.start();
  dialer.dials[0]!.events.opened();
  clock.advance(1_000);
  t.equal(dialer.dials[0]!.terminated, true, 'dropped after connectTimeoutMs');
  dialer.dials[0]!.events.closed(1006, '');
  t.equal(l.state, 'backoff');
  clock.advance(100);
  t.equal(dialer.dials.length, 2, 'redialled within the first backoff (50-100 ms)');
});

t.test('backoff doubles up to its bound, with jitter in [base/2, base]', async (t) => {
  const { l, clock, dialer } = link(t);
  l.start();
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    dialer.dials.at(-1)!.events.closed(1006, 'refused');
    const before = dialer.dials.length;
    let waited = 0;
    while (dialer.dials.length === before) {
      clock.advance(1);
      waited++;
    }
    waits.push(waited);
  }
  const bases = [100, 200, 400, 800, 1_600, 1_600, 1_600];
  waits.forEach((w, i) => t.ok(w >= bases[i]! / 2 && w <= bases[i]!, `redial ${i + 1} after ${w} ms (base ${bases[i]})`));
});

t.test('a fatal refusal stops for good; a silent coordinator is dropped', async (t) => {
  const fatal = link(t);
  const reasons: string[] = [];
  fatal.l.on('fatal', (_code: number, reason: string) => reasons.push(reason));
  fatal.l.start();
  fatal.dialer.dials[0]!.events.opened();
  fatal.dialer.dials[0]!.events.closed(CloseCode.Unauthorized, 'wrong cluster token');
  fatal.clock.advance(10_000);
  t.same(reasons, ['wrong cluster token']);
  t.equal(fatal.dialer.dials.length, 1, 'never redialled');
  t.equal(fatal.l.state, 'stopped');

  const silent = link(t, { heartbeatMissLimit: 4 });
  silent.l.start();
  const d = silent.dialer.dials[0]!;
  d.events.opened();
  d.deliver(WELCOME);
  silent.clock.advance(800);
  t.equal(d.terminated, false, 'four intervals of silence are not yet enough');
  silent.clock.advance(200);
  t.equal(d.terminated, true, 'dropped past the miss limit');
});
