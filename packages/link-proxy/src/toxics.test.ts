import { SeededRandom } from '@zonesim/common';
import t from 'tap';
import { resolveLinkProxyOptions } from './options.js';
import { ToxicSet } from './toxic-set.js';
import { resolveToxic } from './toxics.js';

t.test('toxics: defaults filled in, direction both', async (t) => {
  t.same(resolveToxic({ type: 'latency', latencyMs: 100 }, 'a'), { id: 'a', type: 'latency', latencyMs: 100, jitterMs: 0, direction: 'both' });
  t.same(resolveToxic({ type: 'loss', rate: 0.1 }, 'b'), {
    id: 'b',
    type: 'loss',
    rate: 0.1,
    retransmitMs: 200,
    maxRetransmitMs: 120_000,
    maxRetransmits: 15,
    direction: 'both',
  });
  t.same(resolveToxic({ type: 'blackhole', direction: 'upstream' }, 'c'), { id: 'c', type: 'blackhole', direction: 'upstream' });
  t.same(resolveToxic({ type: 'bandwidth', bytesPerSecond: 1000, direction: 'downstream' }, 'd'), {
    id: 'd',
    type: 'bandwidth',
    bytesPerSecond: 1000,
    direction: 'downstream',
  });
  t.same(resolveToxic({ type: 'refuse' }, 'e'), { id: 'e', type: 'refuse' });
});

t.test('toxics: invalid fields are named', async (t) => {
  const bad: [unknown, string][] = [
    [null, 'toxic'],
    [{ type: 'flood' }, 'toxic.type'],
    [{ type: 'latency' }, 'toxic.latencyMs'],
    [{ type: 'latency', latencyMs: -1 }, 'toxic.latencyMs'],
    [{ type: 'latency', latencyMs: 1, jitterMs: Number.NaN }, 'toxic.jitterMs'],
    [{ type: 'latency', latencyMs: 1, direction: 'sideways' }, 'toxic.direction'],
    [{ type: 'loss', rate: 1.5 }, 'toxic.rate'],
    [{ type: 'loss', rate: 0.5, maxRetransmits: 1.5 }, 'toxic.maxRetransmits'],
    [{ type: 'loss', rate: 0.5, retransmitMs: 500, maxRetransmitMs: 100 }, 'toxic.maxRetransmitMs'],
    [{ type: 'bandwidth', bytesPerSecond: 0 }, 'toxic.bytesPerSecond'],
  ];
  for (const [input, field] of bad) t.throws(() => resolveToxic(input, 'x'), { code: 'LINK_PROXY_INVALID_TOXIC', field }, field);
});

t.test('options: defaults and errors naming the field', async (t) => {
  t.same(resolveLinkProxyOptions({ name: 'zone-a', targetHost: '127.0.0.1', targetPort: 4599 }), {
    name: 'zone-a',
    targetHost: '127.0.0.1',
    targetPort: 4599,
    listenHost: '127.0.0.1',
    listenPort: 0,
    maxHeldBytes: 16 * 1024 * 1024,
    maxInFlightBytes: 1024 * 1024,
    connectTimeoutMs: 5000,
    stopGraceMs: 2000,
  });
  const base = { name: 'z', targetHost: 'h', targetPort: 1 };
  t.throws(() => resolveLinkProxyOptions({ ...base, name: '' }), { code: 'LINK_PROXY_INVALID_OPTION', field: 'name' });
  t.throws(() => resolveLinkProxyOptions({ ...base, targetPort: 0 }), { code: 'LINK_PROXY_INVALID_OPTION', field: 'targetPort' });
  t.throws(() => resolveLinkProxyOptions({ ...base, listenPort: 70000 }), { code: 'LINK_PROXY_INVALID_OPTION', field: 'listenPort' });
  t.throws(() => resolveLinkProxyOptions({ ...base, maxHeldBytes: 0 }), { code: 'LINK_PROXY_INVALID_OPTION', field: 'maxHeldBytes' });
});

t.test('ToxicSet: ids, names, list order, remove and clear', async (t) => {
  const set = new ToxicSet();
  t.equal(set.add({ type: 'latency', latencyMs: 5 }).id, 'latency-1');
  t.equal(set.add({ type: 'blackhole', name: 'partition-a' }).id, 'partition-a');
  t.throws(() => set.add({ type: 'refuse', name: 'partition-a' }), { code: 'LINK_PROXY_INVALID_TOXIC', field: 'toxic.name' });
  t.throws(() => set.add({ type: 'latency', latencyMs: -5 }), { code: 'LINK_PROXY_INVALID_TOXIC', field: 'toxic.latencyMs' });
  t.same(set.list().map((x) => x.id), ['latency-1', 'partition-a'], 'a failed add leaves nothing behind');
  t.equal(set.remove('partition-a'), true);
  t.equal(set.remove('partition-a'), false);
  set.add({ type: 'refuse' });
  t.same(set.clear().length, 2);
  t.equal(set.size, 0);
});

t.test('ToxicSet: blackhole, bandwidth and refuse per direction', async (t) => {
  const set = new ToxicSet();
  set.add({ type: 'blackhole', direction: 'downstream' });
  set.add({ type: 'bandwidth', bytesPerSecond: 5000, direction: 'upstream' });
  set.add({ type: 'bandwidth', bytesPerSecond: 2000 });
  t.equal(set.blackholed('downstream'), true);
  t.equal(set.blackholed('upstream'), false);
  t.equal(set.bytesPerSecond('upstream'), 2000, 'the smallest rate wins');
  t.equal(set.bytesPerSecond('downstream'), 2000);
  t.equal(set.refusing(), false);
  set.add({ type: 'refuse' });
  t.equal(set.refusing(), true);
});

t.test('ToxicSet: latency adds up; jitter stays within bounds and never below 0', async (t) => {
  const set = new ToxicSet();
  set.add({ type: 'latency', latencyMs: 10, jitterMs: 30 });
  set.add({ type: 'latency', latencyMs: 50, direction: 'upstream' });
  const random = new SeededRandom(1);
  for (let i = 0; i < 200; i++) {
    const up = set.drawDelay('upstream', random);
    t.ok(up.totalMs >= 50 && up.totalMs <= 90, `upstream ${up.totalMs}`);
    const down = set.drawDelay('downstream', random);
    t.ok(down.totalMs >= 0 && down.totalMs <= 40, `downstream ${down.totalMs}`);
    t.equal(up.retransmissions, 0);
  }
  t.same(new ToxicSet().drawDelay('upstream', random), { delays: [], totalMs: 0, retransmissions: 0 });
});

t.test('ToxicSet: loss is a retransmission timeout that doubles up to a cap', async (t) => {
  const set = new ToxicSet();
  set.add({ type: 'loss', rate: 1, retransmitMs: 100, maxRetransmitMs: 300, maxRetransmits: 4 });
  const d = set.drawDelay('upstream', new SeededRandom(1));
  t.equal(d.retransmissions, 4);
  t.equal(d.totalMs, 100 + 200 + 300 + 300, 'RTO 100, 200, then capped at 300');
  const none = new ToxicSet();
  none.add({ type: 'loss', rate: 0 });
  t.equal(none.drawDelay('upstream', new SeededRandom(1)).totalMs, 0);
});

t.test('ToxicSet: a loss rate loses about that share of chunks', async (t) => {
  const set = new ToxicSet();
  set.add({ type: 'loss', rate: 0.25, maxRetransmits: 1 });
  const random = new SeededRandom('loss-share');
  let lost = 0;
  for (let i = 0; i < 4000; i++) if (set.drawDelay('downstream', random).retransmissions > 0) lost++;
  t.ok(lost > 800 && lost < 1200, `${lost} of 4000 lost`);
});

t.test('ToxicSet: the same seed reproduces the jitter and loss sequence; another seed does not', async (t) => {
  const draws = (seed: string): number[] => {
    const set = new ToxicSet();
    set.add({ type: 'latency', latencyMs: 100, jitterMs: 50 });
    set.add({ type: 'loss', rate: 0.3, retransmitMs: 10 });
    const random = new SeededRandom(seed);
    return Array.from({ length: 50 }, (_, i) => set.drawDelay(i % 2 ? 'upstream' : 'downstream', random).totalMs);
  };
  t.same(draws('seed-1'), draws('seed-1'));
  t.notSame(draws('seed-1'), draws('seed-2'));
});
