import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { ManualClock, type Clock } from '@zonesim/common';
import t from 'tap';
import { LinkProxy } from './link-proxy.js';
import type { LinkProxyOptions } from './options.js';
import { Collector, closeOutcome, dial, echo, quietFor, startTarget, until, type TargetServer } from './test-util/sockets.js';

type Teardown = { teardown(fn: () => unknown): void };

async function setup(
  t: Teardown,
  onSocket?: Parameters<typeof startTarget>[0],
  options: Partial<LinkProxyOptions> = {},
  clock?: Clock,
): Promise<{ target: TargetServer; proxy: LinkProxy; port: number }> {
  const target = await startTarget(onSocket);
  const proxy = new LinkProxy({ name: 'zone-a', targetHost: '127.0.0.1', targetPort: target.port, ...options }, clock ? { clock } : {});
  const { port } = await proxy.start();
  t.teardown(async () => {
    proxy.destroy();
    await target.close();
  });
  return { target, proxy, port };
}

t.test('forwards both ways, counts bytes per direction and passes the FIN on', async (t) => {
  const { proxy, port } = await setup(t, echo);
  const closed = once(proxy.events, 'connection-closed');
  const client = await dial(port);
  const got = new Collector(client);
  client.write('hello');
  await got.atLeast(5);
  t.equal(got.text(), 'hello');
  t.equal(proxy.connections, 1);
  client.end();
  await got.end();
  const [info] = await closed;
  t.equal(info.reason, 'closed');
  t.equal(info.droppedBytes, 0);
  const s = proxy.stats;
  t.match(s, { accepted: 1, active: 0, upstream: { receivedBytes: 5, sentBytes: 5, queuedBytes: 0 }, downstream: { receivedBytes: 5, sentBytes: 5 } });
  t.equal(proxy.connections, 0);
});

t.test('latency holds each chunk for exactly its delay on the injected clock, per direction', async (t) => {
  const clock = new ManualClock();
  const { proxy, port, target } = await setup(t, undefined, {}, clock);
  proxy.addToxic({ type: 'latency', latencyMs: 1000, direction: 'upstream' });
  const client = await dial(port);
  const server = await target.accepted(0);
  const atServer = new Collector(server);
  const atClient = new Collector(client);
  const delayed = once(proxy.events, 'delay');
  client.write('abc');
  const [d] = await delayed;
  t.match(d, { direction: 'upstream', bytes: 3, delayMs: 1000, retransmissions: 0 });
  clock.advance(999);
  t.equal(proxy.stats.upstream.sentBytes, 0, 'not before 1000 ms');
  t.equal(proxy.stats.upstream.queuedBytes, 3);
  clock.advance(1);
  t.equal(proxy.stats.upstream.sentBytes, 3, 'released at 1000 ms');
  await atServer.atLeast(3);
  t.equal(atServer.text(), 'abc');
  server.write('xyz');
  await atClient.atLeast(3);
  t.equal(atClient.text(), 'xyz', 'downstream is not delayed');
});

t.test('removing a latency toxic releases the bytes it holds at once (a heal acts at once)', async (t) => {
  const clock = new ManualClock();
  const { proxy, port, target } = await setup(t, undefined, {}, clock);
  const slow = proxy.addToxic({ type: 'latency', latencyMs: 500, direction: 'upstream' });
  proxy.addToxic({ type: 'latency', latencyMs: 100, direction: 'upstream' });
  const client = await dial(port);
  const atServer = new Collector(await target.accepted(0));
  const delayed = once(proxy.events, 'delay');
  client.write('first,');
  t.equal((await delayed)[0].delayMs, 600, 'latencies add up');
  t.equal(proxy.removeToxic(slow), true);
  t.equal(proxy.stats.upstream.sentBytes, 0, 'still 100 ms to go');
  clock.advance(100);
  t.equal(proxy.stats.upstream.sentBytes, 6, 'released when the remaining toxic allows');
  proxy.clearToxics();
  client.write('second');
  await atServer.atLeast(12);
  t.equal(atServer.text(), 'first,second');
  t.same(proxy.toxics(), []);
});

t.test('order holds under jitter: a short delay never overtakes a long one', async (t) => {
  const clock = new ManualClock();
  const { proxy, port, target } = await setup(t, undefined, {}, clock);
  proxy.addToxic({ type: 'latency', latencyMs: 200, jitterMs: 200, direction: 'upstream' });
  const client = await dial(port);
  const atServer = new Collector(await target.accepted(0));
  const seen: number[] = [];
  proxy.events.on('delay', (d) => seen.push(d.delayMs));
  for (let i = 0; i < 20; i++) {
    client.write(`${String(i).padStart(2, '0')};`);
    await until(() => seen.length === i + 1, 5000, `chunk ${i}`);
  }
  t.ok(new Set(seen).size > 5, 'jitter varies');
  t.ok(seen.some((d, i) => seen.slice(0, i).some((earlier) => earlier > d)), 'some later chunk drew a shorter delay');
  clock.advance(400);
  await atServer.atLeast(60);
  t.equal(atServer.text(), Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')};`).join(''));
});

t.test('loss with rate 1 delays by retransmission timeouts (on the injected clock)', async (t) => {
  const clock = new ManualClock();
  const { proxy, port, target } = await setup(t, undefined, {}, clock);
  proxy.addToxic({ type: 'loss', rate: 1, retransmitMs: 100, maxRetransmits: 2, direction: 'upstream' });
  const client = await dial(port);
  const atServer = new Collector(await target.accepted(0));
  const delayed = once(proxy.events, 'delay');
  client.write('x');
  const [d] = await delayed;
  t.match(d, { delayMs: 300, retransmissions: 2 });
  clock.advance(299);
  t.equal(proxy.stats.upstream.sentBytes, 0);
  clock.advance(1);
  await atServer.atLeast(1);
  t.match(proxy.stats.upstream, { delayedChunks: 1, retransmissions: 2 });
});

t.test('bandwidth paces bytes on the injected clock', async (t) => {
  const clock = new ManualClock();
  const { proxy, port, target } = await setup(t, undefined, {}, clock);
  proxy.addToxic({ type: 'bandwidth', bytesPerSecond: 1000, direction: 'upstream' });
  const client = await dial(port);
  const atServer = new Collector(await target.accepted(0));
  client.write(Buffer.alloc(100, 7));
  await until(() => proxy.stats.upstream.receivedBytes === 100, 5000, 'proxy read');
  t.equal(proxy.stats.upstream.sentBytes, 20, 'one 20 ms slice goes at once');
  clock.advance(20);
  t.equal(proxy.stats.upstream.sentBytes, 40);
  clock.advance(60);
  t.equal(proxy.stats.upstream.sentBytes, 100, '100 bytes at 1000 B/s take 80 ms after the first slice');
  await atServer.atLeast(100);
});

t.test('blackhole: bytes held, connection stays up, other direction flows; heal delivers in order', async (t) => {
  const { proxy, port, target } = await setup(t);
  const id = proxy.addToxic({ type: 'blackhole', direction: 'upstream' });
  const client = await dial(port);
  const server = await target.accepted(0);
  const atServer = new Collector(server);
  const atClient = new Collector(client);
  let closes = 0;
  client.on('close', () => closes++);
  server.on('close', () => closes++);
  for (const part of ['one,', 'two,', 'three']) {
    client.write(part);
    await quietFor(5);
  }
  client.end(); // the FIN is held behind the bytes
  server.write('down');
  await atClient.atLeast(4);
  t.equal(atClient.text(), 'down', 'downstream flows');
  await until(() => proxy.stats.upstream.queuedBytes === 13, 5000, 'held bytes');
  await quietFor(200);
  t.equal(atServer.bytes, 0, 'nothing passed the blackhole');
  t.equal(atServer.ended, false, 'not even the FIN');
  t.equal(closes, 0, 'no side saw a close');
  t.equal(proxy.removeToxic(id), true);
  await atServer.end();
  t.equal(atServer.text(), 'one,two,three');
  t.equal(proxy.stats.upstream.queuedBytes, 0);
});

t.test('blackhole past maxHeldBytes resets the connection and reports it', async (t) => {
  const { proxy, port, target } = await setup(t, undefined, { maxHeldBytes: 64 * 1024 });
  proxy.addToxic({ type: 'blackhole' });
  const overflow = once(proxy.events, 'held-overflow');
  const closed = once(proxy.events, 'connection-closed');
  const client = await dial(port);
  const server = await target.accepted(0);
  const clientOutcome = closeOutcome(client);
  const serverOutcome = closeOutcome(server);
  client.write(Buffer.alloc(256 * 1024));
  const [o] = await overflow;
  t.match(o, { direction: 'upstream', maxHeldBytes: 64 * 1024 });
  t.ok(o.heldBytes > 64 * 1024);
  const [c] = await closed;
  t.equal(c.reason, 'held-overflow');
  t.ok(c.droppedBytes > 64 * 1024, 'held bytes were dropped and counted');
  t.equal(await clientOutcome, 'ECONNRESET');
  t.equal(await serverOutcome, 'ECONNRESET');
  t.equal(proxy.stats.heldOverflows, 1);
  t.ok(proxy.stats.upstream.droppedBytes > 64 * 1024);
});

t.test('backpressure: a slow target pauses the client instead of filling memory; bytes arrive intact', async (t) => {
  const maxInFlightBytes = 256 * 1024;
  const { proxy, port, target } = await setup(t, undefined, { maxInFlightBytes });
  proxy.addToxic({ type: 'latency', latencyMs: 1, direction: 'upstream' });
  const client = await dial(port);
  const server = await target.accepted(0);
  server.pause();
  const total = 16 * 1024 * 1024;
  const payload = Buffer.alloc(total);
  for (let i = 0; i < total; i += 4) payload.writeUInt32LE(i, i);
  client.write(payload);
  let maxQueued = 0;
  let last = -1;
  // Wait for a steady state: the proxy stops reading once the target's buffers and the queue are full.
  for (let stable = 0; stable < 10; ) {
    await quietFor(20);
    const s = proxy.stats.upstream;
    maxQueued = Math.max(maxQueued, s.queuedBytes);
    stable = s.receivedBytes === last ? stable + 1 : 0;
    last = s.receivedBytes;
  }
  t.ok(last < total, `the proxy read ${last} of ${total} bytes, not all of them`);
  t.ok(maxQueued <= maxInFlightBytes + 128 * 1024, `queue bounded (max ${maxQueued})`);
  t.ok(client.writableLength > 0, 'the client holds the rest');
  const atServer = new Collector(server);
  server.resume();
  await atServer.atLeast(total);
  const hash = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  t.equal(hash(atServer.buffer()), hash(payload), 'every byte, in order');
});

t.test('reset() sends RST both ways; new connections are accepted again', async (t) => {
  const { proxy, port, target } = await setup(t, echo);
  const client = await dial(port);
  const server = await target.accepted(0);
  const outcomes = [closeOutcome(client), closeOutcome(server)];
  const closed = once(proxy.events, 'connection-closed');
  t.equal(proxy.reset(), 1);
  t.same(await Promise.all(outcomes), ['ECONNRESET', 'ECONNRESET']);
  t.equal((await closed)[0].reason, 'reset');
  t.equal(proxy.stats.resets, 1);
  const again = await dial(port);
  const got = new Collector(again);
  again.write('back');
  await got.atLeast(4);
  t.equal(got.text(), 'back');
  again.destroy();
});

t.test('refuse resets new connections at once but leaves current ones alone', async (t) => {
  const { proxy, port } = await setup(t, echo);
  const current = await dial(port);
  const currentGot = new Collector(current);
  const id = proxy.addToxic({ type: 'refuse' });
  const refused = once(proxy.events, 'refused');
  // The reset may even reach the client before its connect() completes: ECONNRESET either way.
  const late = connect({ host: '127.0.0.1', port });
  const lateGot = new Collector(late);
  t.equal(await closeOutcome(late), 'ECONNRESET');
  await refused;
  t.equal(lateGot.bytes, 0);
  t.equal(proxy.stats.refused, 1);
  current.write('still');
  await currentGot.atLeast(5);
  t.equal(currentGot.text(), 'still');
  proxy.removeToxic(id);
  const after = await dial(port);
  const afterGot = new Collector(after);
  after.write('ok');
  await afterGot.atLeast(2);
  after.destroy();
  current.destroy();
});

t.test('an unreachable target resets the client', async (t) => {
  const target = await startTarget();
  const deadPort = target.port;
  await target.close();
  const proxy = new LinkProxy({ name: 'zone-b', targetHost: '127.0.0.1', targetPort: deadPort });
  await proxy.start();
  t.teardown(() => proxy.destroy());
  const closed = once(proxy.events, 'connection-closed');
  const client = await dial(proxy.address!.port);
  t.equal(await closeOutcome(client), 'ECONNRESET');
  const [c] = await closed;
  t.equal(c.reason, 'target-unreachable');
  t.match(c.error, { code: 'ECONNREFUSED' });
  t.equal(proxy.stats.targetFailures, 1);
});

t.test('a client reset is passed on to the target', async (t) => {
  const { proxy, port, target } = await setup(t);
  const client = await dial(port);
  const server = await target.accepted(0);
  const outcome = closeOutcome(server);
  const closed = once(proxy.events, 'connection-closed');
  client.resetAndDestroy();
  t.equal(await outcome, 'ECONNRESET');
  t.equal((await closed)[0].reason, 'client-error');
});

t.test('bytes held by a partition are dropped when the connection closes meanwhile', async (t) => {
  const { proxy, port, target } = await setup(t);
  const id = proxy.addToxic({ type: 'blackhole', direction: 'downstream' });
  const client = await dial(port);
  const server = await target.accepted(0);
  server.write('lost in the partition');
  await until(() => proxy.stats.downstream.queuedBytes === 21, 5000, 'held');
  const closed = once(proxy.events, 'connection-closed');
  client.resetAndDestroy();
  const [c] = await closed;
  t.equal(c.droppedBytes, 21);
  proxy.removeToxic(id);
  t.match(proxy.stats.downstream, { receivedBytes: 21, sentBytes: 0, droppedBytes: 21, queuedBytes: 0 });
});

t.test('lifecycle: url, start once, stop closes connections gracefully and is safe twice', async (t) => {
  const { proxy, port, target } = await setup(t, echo);
  t.equal(proxy.state, 'running');
  t.equal(proxy.url('ws', '/zonesim/v1/link'), `ws://127.0.0.1:${port}/zonesim/v1/link`);
  t.equal(proxy.url('http:', 'x'), `http://127.0.0.1:${port}/x`);
  await t.rejects(proxy.start(), { code: 'LINK_PROXY_INVALID_STATE' });
  const client = await dial(port);
  client.on('end', () => client.end()); // a polite peer closes its half too
  await target.accepted(0);
  const got = new Collector(client);
  const closed = once(proxy.events, 'connection-closed');
  const stopped = proxy.stop();
  t.equal(proxy.state, 'stopping');
  t.equal(proxy.stop(), stopped, 'the same promise');
  const started = performance.now();
  await stopped;
  t.ok(performance.now() - started < 1500, 'well within the 2 s grace: both sides closed');
  await got.end();
  t.equal((await closed)[0].reason, 'stopped');
  t.equal(proxy.state, 'stopped');
  t.equal(proxy.connections, 0);
  const late = connect({ host: '127.0.0.1', port });
  t.equal(await closeOutcome(late), 'ECONNREFUSED');
});

t.test('stop() destroys what has not closed within stopGraceMs', async (t) => {
  const { proxy, port, target } = await setup(t, undefined, { stopGraceMs: 100 });
  const client = await dial(port); // stays half-open: never ends its side
  const server = await target.accepted(0);
  const clientEnded = new Collector(client).end();
  const serverEnded = new Collector(server).end();
  const started = performance.now();
  await proxy.stop();
  t.ok(performance.now() - started < 1500, 'the grace period bounds stop()');
  await Promise.all([clientEnded, serverEnded]);
  t.equal(proxy.connections, 0);
  t.equal(proxy.state, 'stopped', 'stop() resolved, so the listener closed, so every accepted socket was destroyed');
});

t.test('a proxy that was never started has no url; listen errors name the address', async (t) => {
  const idle = new LinkProxy({ name: 'zone-c', targetHost: '127.0.0.1', targetPort: 1 });
  t.throws(() => idle.url('ws'), { code: 'LINK_PROXY_INVALID_STATE' });
  await idle.stop();
  t.equal(idle.state, 'stopped');
  const first = new LinkProxy({ name: 'zone-d', targetHost: '127.0.0.1', targetPort: 1 });
  const { port } = await first.start();
  t.teardown(() => first.destroy());
  const second = new LinkProxy({ name: 'zone-e', targetHost: '127.0.0.1', targetPort: 1, listenPort: port });
  await t.rejects(second.start(), { code: 'LINK_PROXY_LISTEN_FAILED', port, cause: { code: 'EADDRINUSE' } });
});
