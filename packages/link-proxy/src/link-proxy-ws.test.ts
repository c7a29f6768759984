/**
 * The proxy carries a real WebSocket link (HTTP upgrade, then ws frames), as between a zone node
 * and the coordinator. Wall-clock bounds here are generous on purpose: they check the behaviour,
 * not the machine's speed.
 */
import { once } from 'node:events';
import { SeededRandom } from '@zonesim/common';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { LinkProxy } from './link-proxy.js';
import { quietFor } from './test-util/sockets.js';

type Teardown = { teardown(fn: () => unknown): void };

interface Harness {
  proxy: LinkProxy;
  wss: WebSocketServer;
  /** Server-side sockets, in accept order, with the messages each received. */
  peers: { ws: WebSocket; path: string | undefined; received: string[] }[];
  nextPeer(): Promise<Harness['peers'][number]>;
}

async function setup(t: Teardown, random?: SeededRandom, echo = true): Promise<Harness> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
  await once(wss, 'listening');
  const peers: Harness['peers'] = [];
  const waiting: ((p: Harness['peers'][number]) => void)[] = [];
  wss.on('connection', (ws, req) => {
    const peer = { ws, path: req.url, received: [] as string[] };
    peers.push(peer);
    ws.on('error', () => {});
    ws.on('message', (data) => {
      peer.received.push(data.toString());
      if (echo) ws.send(data);
    });
    waiting.shift()?.(peer);
  });
  const port = (wss.address() as { port: number }).port;
  const proxy = new LinkProxy({ name: 'zone-ws', targetHost: '127.0.0.1', targetPort: port }, random ? { random } : {});
  await proxy.start();
  t.teardown(async () => {
    proxy.destroy();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  const nextPeer = (): Promise<Harness['peers'][number]> => new Promise((resolve) => waiting.push(resolve));
  return { proxy, wss, peers, nextPeer };
}

async function open(t: Teardown, proxy: LinkProxy, path = '/zonesim/v1/link'): Promise<WebSocket> {
  const ws = new WebSocket(proxy.url('ws', path));
  ws.on('error', () => {});
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

/** Sends `text` and resolves with the echo's round-trip time in ms. */
async function roundTrip(ws: WebSocket, text: string): Promise<number> {
  const started = performance.now();
  const reply = once(ws, 'message');
  ws.send(text);
  const [data] = await reply;
  if (String(data) !== text) throw new Error(`echo mismatch: ${String(data)}`);
  return performance.now() - started;
}

t.test('a WebSocket link passes through: upgrade, path, messages both ways', async (t) => {
  const h = await setup(t);
  const peer = h.nextPeer();
  const ws = await open(t, h.proxy);
  t.equal((await peer).path, '/zonesim/v1/link', 'the upgrade request reached the target');
  for (const m of ['hello', 'x'.repeat(100_000), 'bye']) {
    const reply = once(ws, 'message');
    ws.send(m);
    t.equal(String((await reply)[0]), m);
  }
  t.ok(h.proxy.stats.upstream.sentBytes > 100_000);
  t.equal(h.proxy.stats.upstream.sentBytes, h.proxy.stats.upstream.receivedBytes);
});

t.test('latency 100 ms each way makes a round trip take at least 200 ms', async (t) => {
  const h = await setup(t);
  const ws = await open(t, h.proxy);
  t.ok((await roundTrip(ws, 'warm')) < 200, 'fast without toxics');
  h.proxy.addToxic({ type: 'latency', latencyMs: 100 });
  for (let i = 0; i < 3; i++) {
    const rtt = await roundTrip(ws, `ping-${i}`);
    t.ok(rtt >= 200 && rtt < 5000, `rtt ${rtt.toFixed(1)} ms`);
  }
});

t.test('partition: no message arrives, nobody sees a close; heal delivers the held messages in order', async (t) => {
  const h = await setup(t);
  const peerP = h.nextPeer();
  const ws = await open(t, h.proxy);
  const peer = await peerP;
  const closes: string[] = [];
  ws.on('close', () => closes.push('client'));
  peer.ws.on('close', () => closes.push('server'));
  const id = h.proxy.addToxic({ type: 'blackhole' });
  const echoes: string[] = [];
  ws.on('message', (d) => echoes.push(String(d)));
  for (let i = 1; i <= 5; i++) ws.send(`m${i}`);
  await quietFor(400);
  t.same(peer.received, [], 'nothing crossed the partition');
  t.same(closes, [], 'the socket stayed open on both sides');
  t.equal(ws.readyState, WebSocket.OPEN);
  t.ok(h.proxy.stats.upstream.queuedBytes > 0, 'the bytes are held');
  h.proxy.removeToxic(id);
  while (echoes.length < 5) await once(ws, 'message');
  t.same(peer.received, ['m1', 'm2', 'm3', 'm4', 'm5'], 'held messages arrive in order');
  t.same(echoes, ['m1', 'm2', 'm3', 'm4', 'm5']);
  t.equal(h.proxy.stats.upstream.droppedBytes, 0);
});

t.test('reset() closes the client abnormally; the link can be dialled again', async (t) => {
  const h = await setup(t);
  const peerP = h.nextPeer();
  const ws = await open(t, h.proxy);
  const peer = await peerP;
  const clientClose = once(ws, 'close');
  const serverClose = once(peer.ws, 'close');
  t.equal(h.proxy.reset(), 1);
  const [code] = await clientClose;
  t.equal(code, 1006, 'abnormal closure, no close frame');
  t.equal((await serverClose)[0], 1006);
  const again = await open(t, h.proxy);
  t.ok((await roundTrip(again, 'again')) >= 0);
});

t.test('refuse makes new connections fail; the open link keeps working', async (t) => {
  const h = await setup(t);
  const ws = await open(t, h.proxy);
  const id = h.proxy.addToxic({ type: 'refuse' });
  const late = new WebSocket(h.proxy.url('ws', '/zonesim/v1/link'));
  let opened = false;
  late.on('open', () => (opened = true));
  const [err] = (await once(late, 'error')) as [NodeJS.ErrnoException];
  t.match(err.code ?? err.message, /ECONNRESET|socket hang up/);
  if (late.readyState !== WebSocket.CLOSED) await once(late, 'close');
  t.equal(opened, false);
  t.ok((await roundTrip(ws, 'still here')) >= 0);
  h.proxy.removeToxic(id);
  await open(t, h.proxy);
});

t.test('bandwidth limits throughput roughly', async (t) => {
  const h = await setup(t, undefined, false);
  const peerP = h.nextPeer();
  const ws = await open(t, h.proxy);
  const peer = await peerP;
  h.proxy.addToxic({ type: 'bandwidth', bytesPerSecond: 200_000, direction: 'downstream' });
  let received = 0;
  const done = new Promise<void>((resolve) =>
    ws.on('message', (d: Buffer) => {
      received += d.length;
      if (received >= 200_000) resolve();
    }),
  );
  const started = performance.now();
  for (let i = 0; i < 20; i++) peer.ws.send(Buffer.alloc(10_000, i));
  await done;
  const elapsed = performance.now() - started;
  // 200 kB at 200 kB/s: about 1 s. Bounds are loose: slower machines only make it slower.
  t.ok(elapsed >= 700 && elapsed < 20_000, `200 kB took ${elapsed.toFixed(0)} ms`);
});

t.test('loss with rate 1 delays every message by its retransmission timeouts', async (t) => {
  const h = await setup(t);
  const ws = await open(t, h.proxy);
  h.proxy.addToxic({ type: 'loss', rate: 1, retransmitMs: 50, maxRetransmits: 2, direction: 'upstream' });
  const rtt = await roundTrip(ws, 'lossy');
  t.ok(rtt >= 150 && rtt < 5000, `rtt ${rtt.toFixed(1)} ms (>= 50 + 100)`);
  t.ok(h.proxy.stats.upstream.retransmissions >= 2);
});

t.test('a seed reproduces the jitter sequence on a real link', async (t) => {
  const run = async (seed: string): Promise<number[]> => {
    const h = await setup(t, new SeededRandom(seed));
    h.proxy.addToxic({ type: 'latency', latencyMs: 5, jitterMs: 5 });
    const delays: number[] = [];
    h.proxy.events.on('delay', (d) => delays.push(d.delayMs));
    const ws = await open(t, h.proxy);
    // Lockstep request/response: one chunk per message per direction, so the draws line up.
    for (let i = 0; i < 10; i++) await roundTrip(ws, `msg-${i}`);
    ws.terminate();
    h.proxy.destroy();
    return delays;
  };
  const a = await run('jitter-seed');
  const b = await run('jitter-seed');
  const c = await run('another-seed');
  t.ok(a.length >= 20, `${a.length} delays drawn`);
  t.same(b, a, 'same seed, same delays');
  t.notSame(c, a, 'another seed, other delays');
});
