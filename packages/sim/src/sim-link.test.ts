import { SeededRandom } from '@zonesim/common';
import type { LinkConnection } from '@zonesim/protocol';
import t from 'tap';
import { ProcessClock } from './process-clock.js';
import type { SimEndpoint } from './sim-endpoint.js';
import { SimLink, SimListener, type SimLinkOptions } from './sim-link.js';
import { Simulation } from './simulation.js';

/** A coordinator that records what it receives (and may echo), a node that dials it over a link. */
function world(options: Partial<SimLinkOptions> = {}, echo = false) {
  const sim = new Simulation();
  const coordinator = new ProcessClock(sim, { name: 'coordinator' });
  const node = new ProcessClock(sim, { name: 'node' });
  const atServer: Array<[string, number]> = [];
  const atClient: Array<[string, number]> = [];
  const servers: SimEndpoint[] = [];
  const closes: Array<[string, number, string, number]> = [];
  const listener = new SimListener({ name: 'zone-link', process: coordinator }, (server) => {
    servers.push(server);
    server.onMessage = (frame) => {
      atServer.push([text(frame), sim.time]);
      if (echo) server.send(frame);
    };
    server.onClose = (code, reason) => closes.push(['server', code, reason, sim.time]);
  });
  const link = new SimLink({ name: 'az-a/node-1', latency: { kind: 'constant', value: 1 }, bytesPerSecond: Infinity, ...options }, { sim, random: new SeededRandom('link') });
  const dial = async (): Promise<SimEndpoint> => {
    const client = await sim.runUntil(link.dial(listener, { process: node }));
    client.onMessage = (frame) => atClient.push([text(frame), sim.time]);
    client.onClose = (code, reason) => closes.push(['client', code, reason, sim.time]);
    return client;
  };
  return { sim, coordinator, node, listener, link, atServer, atClient, servers, closes, dial };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

t.test('dial takes one round trip; frames arrive after the base latency, in order, echoed back', async (t) => {
  const w = world({}, true);
  const client = await w.dial();
  const asLinkConnection: LinkConnection = client; // the zone link's transport interface, structurally
  t.ok(asLinkConnection);
  t.equal(w.sim.time, 2, 'open upstream (1 ms) + accept downstream (1 ms)');
  t.equal(client.state, 'open');
  t.equal(w.servers[0]!.state, 'open');
  client.send(bytes('a'));
  client.send(bytes('b'));
  await w.sim.runFor(10);
  t.same(w.atServer, [['a', 3], ['b', 3]]);
  t.same(w.atClient, [['a', 4], ['b', 4]]);
  const s = w.link.stats;
  t.equal(s.accepted, 1);
  t.equal(s.upstream.deliveredFrames, 2);
  t.equal(s.downstream.deliveredBytes, 2);
  t.equal(s.upstream.queuedBytes, 0);
});

t.test('latency toxic: one direction only, jitter never reorders (FIFO, head-of-line blocking)', async (t) => {
  const w = world();
  const client = await w.dial();
  w.link.addToxic({ type: 'latency', latencyMs: 80, direction: 'upstream' });
  client.send(bytes('late'));
  w.servers[0]!.send(bytes('fast'));
  await w.sim.runFor(100);
  t.same(w.atServer, [['late', 2 + 81]]);
  t.same(w.atClient, [['fast', 3]]);

  w.link.clearToxics();
  w.link.addToxic({ type: 'latency', latencyMs: 50, jitterMs: 50 });
  const t0 = w.sim.time;
  for (let i = 0; i < 200; i++) {
    client.send(bytes(String(i)));
    await w.sim.runFor(1); // one frame per ms, jitter up to 100 ms: many would overtake on UDP
  }
  await w.sim.runFor(200);
  const got = w.atServer.slice(1);
  t.same(got.map(([f]) => f), Array.from({ length: 200 }, (_, i) => String(i)), 'order kept');
  for (let i = 1; i < got.length; i++) if (got[i]![1] < got[i - 1]![1]) t.fail(`frame ${i} arrived before ${i - 1}`);
  const heldBehind = got.filter(([f, at], i) => i > 0 && at === got[i - 1]![1]).length;
  t.ok(heldBehind > 10, `${heldBehind} frames waited behind a later-drawn predecessor`);
  t.ok(got.every(([, at], i) => at - (t0 + i) >= 1 && at - (t0 + i) <= 1 + 100 + 100), 'delays within base + latency + jitter (+ blocking)');
  t.equal(w.link.stats.upstream.delayedFrames, 201);
});

t.test('loss toxic: retransmission timeouts, doubling, capped at maxRetransmits (as link-proxy)', async (t) => {
  const w = world();
  const client = await w.dial();
  w.link.addToxic({ type: 'loss', rate: 1, retransmitMs: 200, maxRetransmits: 3, direction: 'upstream' });
  client.send(bytes('x'));
  client.send(bytes('y'));
  await w.sim.runFor(5000);
  t.same(w.atServer, [['x', 2 + 1 + 200 + 400 + 800], ['y', 2 + 1 + 1400]], 'every chunk lost 3 times; y also waits behind x');
  t.equal(w.link.stats.upstream.retransmissions, 6);
});

t.test('blackhole: silence both ways, frames held, released in order at once on heal', async (t) => {
  const w = world();
  const client = await w.dial();
  const id = w.link.addToxic({ type: 'blackhole' });
  client.send(bytes('1'));
  client.send(bytes('2'));
  w.servers[0]!.send(bytes('down'));
  await w.sim.runFor(10_000);
  t.same(w.atServer, []);
  t.same(w.atClient, []);
  t.equal(w.link.stats.upstream.queuedBytes, 2, 'held in the network');
  t.equal(client.bufferedAmount, 0, 'the sender wrote them: nothing in its buffer');
  t.ok(w.link.removeToxic(id));
  t.notOk(w.link.removeToxic(id));
  await w.sim.runFor(0);
  const healedAt = w.sim.time;
  t.same(w.atServer, [['1', healedAt], ['2', healedAt]]);
  t.same(w.atClient, [['down', healedAt]]);
});

t.test('blackhole: frames in flight when it starts are held too; past maxHeldBytes the connection is reset', async (t) => {
  const w = world({ maxHeldBytes: 10 });
  const client = await w.dial();
  client.send(bytes('in-flight'));
  w.link.addToxic({ type: 'blackhole', direction: 'upstream' });
  await w.sim.runFor(5);
  t.same(w.atServer, []);
  client.send(bytes('overflow!'));
  await w.sim.runFor(0);
  t.equal(w.link.stats.heldOverflows, 1);
  t.same(w.closes.map(([who, code]) => [who, code]).sort(), [['client', 1006], ['server', 1006]]);
  t.equal(w.link.stats.upstream.droppedBytes, 18);
  t.equal(w.link.connections, 0);
});

t.test('removing a latency toxic removes its delay from queued frames (a heal acts at once)', async (t) => {
  const w = world();
  const client = await w.dial();
  const id = w.link.addToxic({ type: 'latency', latencyMs: 10_000 });
  client.send(bytes('slow'));
  await w.sim.runFor(100);
  w.link.removeToxic(id);
  await w.sim.runFor(0);
  t.same(w.atServer, [['slow', 102]], 'due at once: sent at 2, base 1 ms long passed');
});

t.test('bandwidth: serialization delay, bufferedAmount backpressure, re-paced on heal', async (t) => {
  const w = world();
  const client = await w.dial();
  const id = w.link.addToxic({ type: 'bandwidth', bytesPerSecond: 1000, direction: 'upstream' });
  const chunk = new Uint8Array(500);
  for (let i = 0; i < 4; i++) client.send(chunk);
  t.equal(client.bufferedAmount, 2000, 'all four wait for the line');
  await w.sim.runFor(750);
  t.equal(client.bufferedAmount, 1250, 'one and a half sent');
  t.same(w.atServer.map(([, at]) => at), [2 + 500 + 1], 'the first arrives after its 500 ms on the line + 1 ms');
  w.link.removeToxic(id);
  t.equal(client.bufferedAmount, 0, 'the line rate (here unlimited) takes the rest at once');
  await w.sim.runFor(10);
  t.same(w.atServer.map(([, at]) => at), [503, 753, 753, 753]);

  const limited = world({ bytesPerSecond: 1_000_000 });
  const c2 = await limited.dial();
  const written: number[] = [];
  c2.send(new Uint8Array(10_000), (err) => written.push(err ? -1 : limited.sim.time));
  t.equal(c2.bufferedAmount, 10_000);
  await limited.sim.runFor(20);
  t.same(written, [2 + 10], 'onWritten when the frame is on the line (10 KB at 1 MB/s)');
  t.same(limited.atServer.map(([, at]) => at), [2 + 10 + 1]);
});

t.test('reset: both ends closed at once with 1006, frames in flight dropped', async (t) => {
  const w = world();
  const client = await w.dial();
  w.link.addToxic({ type: 'latency', latencyMs: 100 });
  client.send(bytes('lost'));
  await w.sim.runFor(10);
  t.equal(w.link.reset(), 1);
  await w.sim.runFor(0);
  t.same(w.closes, [['client', 1006, '', 12], ['server', 1006, '', 12]]);
  await w.sim.runFor(200);
  t.same(w.atServer, []);
  t.equal(w.link.stats.upstream.droppedBytes, 4);
  t.equal(w.link.stats.resets, 1);
  const errors: unknown[] = [];
  client.send(bytes('after'), (err) => errors.push(err));
  await w.sim.runFor(0);
  t.match(errors, [{ code: 'SIM_LINK_CLOSED', link: 'az-a/node-1' }]);
});

t.test('refuse: new dials fail after a round trip, current connections untouched', async (t) => {
  const w = world();
  const client = await w.dial();
  w.link.addToxic({ type: 'refuse' });
  const t0 = w.sim.time;
  await t.rejects(w.sim.runUntil(w.link.dial(w.listener, { process: w.node })), { code: 'SIM_LINK_REFUSED' });
  t.equal(w.sim.time - t0, 2);
  client.send(bytes('still up'));
  await w.sim.runFor(5);
  t.same(w.atServer.map(([f]) => f), ['still up']);
  t.equal(w.link.stats.refused, 1);
});

t.test('nothing listening (closed, or its process killed): the dial is refused when the refusal comes back', async (t) => {
  const w = world();
  w.listener.close();
  await t.rejects(w.sim.runUntil(w.link.dial(w.listener)), { code: 'SIM_LINK_REFUSED' });
  t.equal(w.sim.time, 2);
  const v = world();
  v.coordinator.kill();
  t.notOk(v.listener.listening);
  await t.rejects(v.sim.runUntil(v.link.dial(v.listener)), { code: 'SIM_LINK_REFUSED' });
});

t.test('dial aborted by its signal (a blackholed dial times out); the server side sees the FIN', async (t) => {
  const w = world();
  w.link.addToxic({ type: 'blackhole', direction: 'downstream' });
  const abort = new AbortController();
  w.node.setTimeout(() => abort.abort(new Error('handshake timeout')), 5000);
  await t.rejects(w.sim.runUntil(w.link.dial(w.listener, { process: w.node, signal: abort.signal })), { code: 'SIM_LINK_ABORTED' });
  t.equal(w.sim.time, 5000);
  t.equal(w.servers.length, 1, 'the open got through; only the acceptance was held');
  await w.sim.runFor(10);
  t.same(w.closes, [['server', 1006, '', 5001]]);
  t.equal(w.link.connections, 0);
});

t.test('connect (the Dialer shape): connecting at once, onOpen on acceptance; a failure closes without onOpen', async (t) => {
  const w = world();
  const events: Array<[string, number]> = [];
  const ep = w.link.connect(w.listener, { process: w.node });
  t.equal(ep.state, 'connecting');
  ep.onOpen = () => events.push(['open', w.sim.time]);
  ep.onClose = (code) => events.push([`close ${code}`, w.sim.time]);
  const errors: unknown[] = [];
  ep.send(bytes('too early'), (err) => errors.push(err));
  await w.sim.runFor(5);
  t.same(events, [['open', 2]]);
  t.match(errors, [{ code: 'SIM_LINK_CLOSED' }], 'a frame sent before open never leaves');
  t.equal(ep.error, undefined);

  w.link.addToxic({ type: 'refuse' });
  const refused = w.link.connect(w.listener, { process: w.node });
  const seen: string[] = [];
  refused.onOpen = () => seen.push('open');
  refused.onClose = (code, reason) => seen.push(`close ${code} '${reason}'`);
  await w.sim.runFor(5);
  t.same(seen, [`close 1006 ''`]);
  t.match(refused.error, { code: 'SIM_LINK_REFUSED' });
  w.link.clearToxics();

  const abandoned = w.link.connect(w.listener, { process: w.node });
  abandoned.onOpen = () => t.fail('abandoned before it opened');
  abandoned.terminate();
  await w.sim.runFor(5);
  t.match(abandoned.error, { code: 'SIM_LINK_CLOSED' });
  t.equal(w.link.connections, 1, 'only the first connection is left');
});

t.test('a reset while dialing fails the dial; an aborted signal fails it at once', async (t) => {
  const w = world();
  w.link.addToxic({ type: 'latency', latencyMs: 100 });
  const dial = w.link.dial(w.listener, { process: w.node });
  w.sim.schedule(10, () => w.link.reset());
  await t.rejects(w.sim.runUntil(dial), { code: 'SIM_LINK_CLOSED' });
  t.equal(w.sim.time, 10);
  t.equal(w.link.connections, 0);
  await t.rejects(w.link.dial(w.listener, { signal: AbortSignal.abort() }), { code: 'SIM_LINK_ABORTED' });
});

t.test('close handshake: frames first, the peer sees the code, the closer when the echo returns', async (t) => {
  const w = world();
  const client = await w.dial();
  w.servers[0]!.send(bytes('before close')); // crosses the close: still delivered while closing
  client.send(bytes('last'));
  client.close(4001, 'bye');
  client.close(4002, 'again');
  t.equal(client.state, 'closing');
  client.send(bytes('too late'));
  await w.sim.runFor(10);
  t.same(w.atServer, [['last', 3]]);
  t.same(w.atClient, [['before close', 3]]);
  t.same(w.closes, [['server', 4001, 'bye', 3], ['client', 4001, 'bye', 4]]);
  t.equal(w.link.connections, 0);
});

t.test('close timeout: under a blackhole the closer gives up with 1006 after closeTimeoutMs', async (t) => {
  const w = world({ closeTimeoutMs: 1000 });
  const client = await w.dial();
  w.link.addToxic({ type: 'blackhole' });
  client.close(1000, '');
  await w.sim.runFor(2000);
  t.same(w.closes, [['client', 1006, '', 1002]]);
  w.link.clearToxics();
  await w.sim.runFor(10);
  t.same(w.closes.at(-1), ['server', 1000, '', 2002], 'the held close frame reaches the server on heal');
});

t.test('terminate: this end at once, the peer after the frames in flight; a kill does the same silently', async (t) => {
  const w = world();
  const client = await w.dial();
  client.send(bytes('first'));
  client.terminate();
  t.equal(client.state, 'closed');
  await w.sim.runFor(10);
  t.same(w.atServer, [['first', 3]]);
  t.same(w.closes, [['client', 1006, '', 2], ['server', 1006, '', 3]]);

  const v = world();
  const c2 = await v.dial();
  c2.onClose = () => t.fail('a killed process runs nothing');
  v.servers[0]!.send(bytes('to the dead'));
  v.node.kill();
  await v.sim.runFor(10);
  t.same(v.closes, [['server', 1006, '', 3]], 'the peer sees the FIN one latency later');
  t.same(v.atClient, []);
  t.equal(v.link.stats.downstream.droppedBytes, 11);
});

t.test('a paused process receives nothing until resumed; then its overdue timers run first', async (t) => {
  const w = world();
  const client = await w.dial();
  const order: Array<[string, number]> = [];
  w.coordinator.setTimeout(() => order.push(['timer', w.sim.time]), 50);
  w.servers[0]!.onMessage = (f) => order.push([text(f), w.sim.time]);
  w.coordinator.pause();
  client.send(bytes('hello?'));
  await w.sim.runFor(1000);
  t.same(order, []);
  w.coordinator.resume();
  await w.sim.runFor(0);
  t.same(order, [['timer', 1002], ['hello?', 1002]]);
});

t.test('options are checked, naming the field', async (t) => {
  const sim = new Simulation();
  const random = new SeededRandom(1);
  t.throws(() => new SimLink({ name: '' }, { sim, random }), { code: 'SIM_INVALID_OPTION', field: 'name' });
  t.throws(() => new SimLink({ name: 'l', latency: { kind: 'lognormal', median: 1, p99: 0.5 } }, { sim, random }), {
    code: 'SIM_INVALID_OPTION',
    field: 'latency.upstream.p99',
  });
  t.throws(() => new SimLink({ name: 'l', latency: { downstream: { kind: 'uniform', min: 2, max: 1 } } }, { sim, random }), {
    code: 'SIM_INVALID_OPTION',
    field: 'latency.downstream.max',
  });
  t.throws(() => new SimLink({ name: 'l', bytesPerSecond: 0 }, { sim, random }), { code: 'SIM_INVALID_OPTION', field: 'bytesPerSecond' });
  t.throws(() => new SimLink({ name: 'l', maxHeldBytes: 0.5 }, { sim, random }), { code: 'SIM_INVALID_OPTION', field: 'maxHeldBytes' });
  t.throws(() => new SimLink({ name: 'l', closeTimeoutMs: -1 }, { sim, random }), { code: 'SIM_INVALID_OPTION', field: 'closeTimeoutMs' });
  const link = new SimLink({ name: 'l' }, { sim, random });
  t.throws(() => link.addToxic({ type: 'loss', rate: 2 }), { code: 'LINK_PROXY_INVALID_TOXIC', field: 'toxic.rate' });
  t.same(link.toxics(), []);
});
