import t, { type Test } from 'tap';
import { ManualClock, seededEntropy, silentLogger } from '@zonesim/common';
import { CloseCode, PROTOCOL_VERSION, msgpackCodec, type CoordinatorMessage, type Hello, type LinkConnection } from '@zonesim/protocol';
import type { NodeSession } from './node-session.js';
import { ZoneLinkAcceptor } from './zone-link-acceptor.js';

/** A connection that records what the coordinator sent and how it closed: no socket anywhere. */
function fakeConnection() {
  const sent: CoordinatorMessage[] = [];
  const state = { closed: undefined as { code: number; reason: string } | undefined, terminated: false };
  const connection: LinkConnection = {
    bufferedAmount: 0,
    send: (frame) => sent.push(msgpackCodec.decode(frame) as CoordinatorMessage),
    close: (code, reason) => {
      state.closed ??= { code, reason };
    },
    terminate: () => {
      state.terminated = true;
    },
  };
  return { connection, sent, state };
}

const HELLO: Hello = {
  type: 'hello',
  protocolVersion: PROTOCOL_VERSION,
  clusterToken: 'secret-token',
  zone: 'az-a',
  nodeId: 'az-a-node-1',
  capacity: { memoryMb: 1024, maxEnvironments: 4 },
  isolation: 'process',
  runtimes: ['nodejs20.x'],
};

function acceptor(t: Test) {
  const clock = new ManualClock();
  const sessions: NodeSession[] = [];
  const a = new ZoneLinkAcceptor({
    settings: {
      clusterToken: 'secret-token',
      helloTimeoutMs: 1_000,
      maxFrameBytes: 1 << 20,
      heartbeatIntervalMs: 200,
      sendHighWaterBytes: 1 << 20,
      codeBaseUrl: () => 'http://coordinator/zonesim/v1/code',
      apiUrl: () => 'http://coordinator',
    },
    codec: msgpackCodec,
    clock,
    entropy: seededEntropy('acceptor'),
    log: silentLogger(),
    onSession: (s) => sessions.push(s),
  });
  t.teardown(() => sessions.forEach((s) => s.close(1000, 'test over')));
  return { a, clock, sessions };
}

t.test('a valid hello gets a welcome and a session; later frames reach it; a close ends it', async (t) => {
  const { a, sessions } = acceptor(t);
  const c = fakeConnection();
  const events = a.accept(c.connection, 'test');
  events.frame(msgpackCodec.encode(HELLO), true);
  t.equal(sessions.length, 1);
  t.match(c.sent, [{ type: 'welcome', protocolVersion: PROTOCOL_VERSION, heartbeatIntervalMs: 200, codeBaseUrl: 'http://coordinator/zonesim/v1/code' }]);
  t.equal(sessions[0]!.sessionId, (c.sent[0] as { sessionId: string }).sessionId);
  t.match(sessions[0]!.sessionId, /^s-[0-9a-z]{12}$/);
  events.frame(msgpackCodec.encode({ type: 'heartbeat', seq: 1, sentAt: 1, busyEnvironments: 0, idleEnvironments: 0 }), true);
  t.equal(sessions[0]!.health, 'healthy');
  events.closed(1006, '');
  t.equal(sessions[0]!.closed, true, 'the transport closing closes the session');
});

t.test('every bad handshake is refused with the close code that says why', async (t) => {
  const cases: Array<[string, (events: ReturnType<ZoneLinkAcceptor['accept']>) => void, number]> = [
    ['wrong token', (e) => e.frame(msgpackCodec.encode({ ...HELLO, clusterToken: 'guess' }), true), CloseCode.Unauthorized],
    ['other protocol version', (e) => e.frame(msgpackCodec.encode({ ...HELLO, protocolVersion: PROTOCOL_VERSION + 1 }), true), CloseCode.VersionMismatch],
    ['text frame', (e) => e.frame(Buffer.from('hello'), false), CloseCode.Malformed],
    ['not msgpack', (e) => e.frame(Buffer.from([0xc1, 0xff]), true), CloseCode.Malformed],
    ['heartbeat first', (e) => e.frame(msgpackCodec.encode({ type: 'heartbeat', seq: 1, sentAt: 1, busyEnvironments: 0, idleEnvironments: 0 }), true), CloseCode.HandshakeViolation],
  ];
  for (const [what, act, code] of cases) {
    const { a, sessions } = acceptor(t);
    const c = fakeConnection();
    act(a.accept(c.connection, 'test'));
    t.equal(c.state.closed?.code, code, what);
    t.equal(sessions.length, 0, `${what}: no session`);
    t.match(c.sent, [{ type: 'error' }], `${what}: the node is told why`);
  }
});

t.test('no hello within the timeout closes the link; a hello in time does not', async (t) => {
  const { a, clock, sessions } = acceptor(t);
  const silent = fakeConnection();
  a.accept(silent.connection, 'silent');
  const prompt = fakeConnection();
  const events = a.accept(prompt.connection, 'prompt');
  clock.advance(500);
  events.frame(msgpackCodec.encode(HELLO), true);
  clock.advance(600);
  t.equal(silent.state.closed?.code, CloseCode.HelloTimeout);
  t.equal(prompt.state.closed, undefined);
  t.equal(sessions.length, 1);
  t.equal(clock.pendingTimers, 0, 'no timer left behind');
});
