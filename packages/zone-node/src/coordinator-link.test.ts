/**
 * CoordinatorLink.sendWritten: the zone node hands an invocation to its environment only after the
 * `invoke-accepted` frame was written (zone-node.ts), so that a node killed in between never ran a
 * synchronous invocation the coordinator will place again. Here: it resolves only once the frame
 * has left the corked socket, in order with the frames before it, and false on a link that is down.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { silentLogger, systemClock, systemEntropy } from '@zonesim/common';
import { msgpackCodec, PROTOCOL_VERSION, type Hello } from '@zonesim/protocol';
import { CoordinatorLink } from './coordinator-link.js';
import { WsDialer } from './ws-dialer.js';

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

t.test('sendWritten resolves once the frame has left the corked socket', async (t) => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const received: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = msgpackCodec.decode(data as Buffer) as { type: string; invocationId?: string };
      if (m.type === 'hello') {
        ws.send(msgpackCodec.encode({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: 's-1', heartbeatIntervalMs: 10_000, codeBaseUrl: 'http://127.0.0.1:9/code' }));
      } else if (m.invocationId) received.push(m.invocationId);
    });
  });
  const link = new CoordinatorLink({
    settings: {
      url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/`,
      connectTimeoutMs: 5_000,
      reconnectMinMs: 50,
      reconnectMaxMs: 100,
      heartbeatMissLimit: 4,
      maxFrameBytes: 1024 * 1024,
    },
    hello: () => HELLO,
    heartbeat: () => ({ busyEnvironments: 0, idleEnvironments: 0 }),
    entropy: systemEntropy,
    codec: msgpackCodec,
    dialer: new WsDialer({ maxFrameBytes: 1024 * 1024, connectTimeoutMs: 5_000 }),
    clock: systemClock,
    log: silentLogger(),
  });
  t.teardown(() => {
    link.stop();
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.close();
  });
  link.start();
  await once(link, 'connected');

  // Two frames in one loop turn: both corked until the turn's check phase.
  const steps: string[] = [];
  link.send({ type: 'invoke-accepted', invocationId: 'i-before' });
  const written = link.sendWritten({ type: 'invoke-accepted', invocationId: 'i-waited' }).then((ok) => {
    steps.push(`written ${ok}`);
    return ok;
  });
  await Promise.resolve();
  steps.push('same turn');
  t.equal(await written, true);
  t.same(steps, ['same turn', 'written true'], 'not before the cork is lifted');
  await new Promise<void>((resolve) => {
    const poll = (): void => (received.length >= 2 ? resolve() : void setTimeout(poll, 5));
    poll();
  });
  t.same(received, ['i-before', 'i-waited'], 'delivered, in order');

  link.stop();
  t.equal(await link.sendWritten({ type: 'invoke-accepted', invocationId: 'i-late' }), false, 'false once the link is down');
});
