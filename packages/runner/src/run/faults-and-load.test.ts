import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock } from '@zonesim/common';
import { NdjsonWriter, type Arrival, type FaultRecord, type HistoryOp, type ScheduledFault } from '@zonesim/scenario';
import { AdminClient } from '../client/admin-client.js';
import type { ClusterClient, InvokeAnswer } from '../client/cluster-client.js';
import { FakePlatform } from '../test-util/fake-world.js';
import { FaultInjector } from './fault-injector.js';
import { FaultTimeline } from './fault-timeline.js';
import { LoadDriver } from './load-driver.js';

const NODES = [
  { zone: 'az-a', nodeId: 'az-a-node-1' },
  { zone: 'az-b', nodeId: 'az-b-node-1' },
  { zone: 'az-b', nodeId: 'az-b-node-2' },
];

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-runner-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const fault = (f: Partial<ScheduledFault> & Pick<ScheduledFault, 'id' | 'params'>): ScheduledFault =>
  ({ action: f.params.action, targets: { zones: ['az-b'], nodeIds: ['az-b-node-1', 'az-b-node-2'] }, startMs: 0, ...f }) as ScheduledFault;

/** Lets promise chains (the injector's awaits on the fake admin API) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

t.test('each fault kind acts through the actuator or the admin API, and its heal undoes it in reverse', async (t) => {
  const dir = await scratch(t);
  const platform = new FakePlatform(NODES);
  const clock = new ManualClock();
  const out = new NdjsonWriter<FaultRecord>(join(dir, 'faults.ndjson'));
  const injector = new FaultInjector({ nodes: NODES, actuator: platform, admin: new AdminClient(platform), clock, out });
  const cases: Array<[ScheduledFault, string[], string[]]> = [
    [fault({ id: 'k', endMs: 1, params: { action: 'kill' } as never }), ['kill az-b-node-1', 'kill az-b-node-2'], ['restart az-b-node-2', 'restart az-b-node-1']],
    [fault({ id: 'k0', params: { action: 'kill' } as never }), ['kill az-b-node-1', 'kill az-b-node-2'], []],
    [fault({ id: 'p', params: { action: 'pause' } as never }), ['pause az-b-node-1', 'pause az-b-node-2'], ['resume az-b-node-2', 'resume az-b-node-1']],
    [fault({ id: 'x', params: { action: 'partition', direction: 'to-coordinator' } as never }), ['toxic az-b-node-1 blackhole', 'toxic az-b-node-2 blackhole'], ['untoxic az-b-node-2 az-b-node-2/blackhole', 'untoxic az-b-node-1 az-b-node-1/blackhole']],
    [fault({ id: 'd', startMs: 0, endMs: 5, params: { action: 'disconnect' } as never }), ['toxic az-b-node-1 refuse', 'reset az-b-node-1', 'toxic az-b-node-2 refuse', 'reset az-b-node-2'], ['untoxic az-b-node-2 az-b-node-2/refuse', 'untoxic az-b-node-1 az-b-node-1/refuse']],
    [fault({ id: 'g', params: { action: 'gray', slowFactor: 3, failRate: 0.1 } as never }), ['PUT /zonesim/v1/zones/az-b/degrade'], ['DELETE /zonesim/v1/zones/az-b/degrade']],
    [fault({ id: 'c', targets: { coordinator: true }, params: { action: 'coordinator-restart', restartAfterMs: 1000 } as never }), ['kill coordinator'], ['restart coordinator']],
  ];
  // gray and brownout answers
  platform.routes.push((req) => (req.path.endsWith('/degrade') ? { status: req.method === 'PUT' ? 200 : 204, body: req.method === 'PUT' ? { zone: 'az-b', slowFactor: 3, failRate: 0.1 } : undefined } : undefined));
  for (const [f, applied, healed] of cases) {
    platform.calls.length = 0;
    await injector.apply(f);
    t.same(platform.calls.filter((c) => !c.includes('/zonesim/v1/faults')), applied, `${f.id}: applied`);
    t.equal(platform.calls[0], 'POST /zonesim/v1/faults', `${f.id}: announced first`);
    t.same(injector.active(), [f.id]);
    platform.calls.length = 0;
    await injector.heal(f.id);
    t.same(platform.calls.filter((c) => !c.includes('/zonesim/v1/faults')), healed, `${f.id}: healed`);
    t.same(injector.active(), []);
  }
  await out.close();
  const records = readFileSync(join(dir, 'faults.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FaultRecord);
  t.equal(records.length, cases.length * 2);
  t.ok(records.every((r) => r.error === undefined), 'no fault failed');
});

t.test('a failing fault is recorded with its error, not thrown', async (t) => {
  const dir = await scratch(t);
  const platform = new FakePlatform(NODES);
  platform.routes.push((req) => (req.path === '/zonesim/v1/brownout' ? { status: 400, headers: { 'x-amzn-errortype': 'InvalidParameterValueException' } } : undefined));
  const out = new NdjsonWriter<FaultRecord>(join(dir, 'faults.ndjson'));
  const injector = new FaultInjector({ nodes: NODES, actuator: platform, admin: new AdminClient(platform), clock: new ManualClock(), out });
  await injector.apply(fault({ id: 'b', targets: {}, params: { action: 'brownout', failRate: 2 } as never }));
  await injector.healAll();
  await out.close();
  const [applied] = readFileSync(join(dir, 'faults.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FaultRecord);
  t.equal(applied!.error, 'brownout: HTTP 400 InvalidParameterValueException');
});

t.test('the timeline applies each fault at t0 + start on the clock and heals it at t0 + end, after its apply', async (t) => {
  const dir = await scratch(t);
  const platform = new FakePlatform(NODES);
  const clock = new ManualClock();
  const out = new NdjsonWriter<FaultRecord>(join(dir, 'faults.ndjson'));
  t.teardown(() => out.close());
  const injector = new FaultInjector({ nodes: NODES, actuator: platform, admin: new AdminClient(platform), clock, out });
  const timeline = new FaultTimeline({ clock, injector, onError: (err) => t.fail(err.message) });
  const t0 = clock.now() + 250;
  timeline.schedule([
    fault({ id: 'k', startMs: 1_000, endMs: 3_000, params: { action: 'kill' } as never }),
    fault({ id: 'p', startMs: 2_000, params: { action: 'pause' } as never }),
  ], t0);
  t.equal(timeline.scheduled, 2);
  clock.advance(1_249);
  await settle();
  t.notOk(platform.calls.some((c) => c.startsWith('kill')), 'nothing before t0 + 1 s');
  clock.advance(1);
  await settle();
  t.ok(platform.calls.includes('kill az-b-node-1'), 'the kill at t0 + 1 s');
  t.equal(timeline.scheduled, 2, 'the kill\'s heal and the pause are due');
  clock.advance(1_000);
  await settle();
  t.same(injector.active(), ['k', 'p'], 'the pause at t0 + 2 s ...');
  t.notOk(platform.calls.includes('pause az-b-node-1'), '... finds the node killed: nothing to pause yet');
  clock.advance(999);
  await settle();
  t.notOk(platform.calls.some((c) => c.startsWith('restart')), 'not healed before t0 + 3 s');
  clock.advance(1);
  await settle();
  t.ok(platform.calls.includes('restart az-b-node-1'), 'healed at t0 + 3 s');
  const actuated = platform.calls.filter((c) => !c.includes('/zonesim/v1/faults'));
  t.same(actuated.slice(-4), ['restart az-b-node-2', 'pause az-b-node-2', 'restart az-b-node-1', 'pause az-b-node-1'], 'and paused once back, as the pause still holds');
  t.same(injector.active(), ['p'], 'the pause has no end: it stays until healAll');
  await timeline.stop();
  t.equal(timeline.scheduled, 0);
  t.equal(timeline.inFlight, 0);
});

t.test('the load is open-loop on the clock: sent at the intended time whatever is in flight, latency counted from then', async (t) => {
  const dir = await scratch(t);
  const clock = new ManualClock();
  const pending: Array<(a: InvokeAnswer) => void> = [];
  const sent: number[] = [];
  const client: ClusterClient = {
    invoke: () => {
      sent.push(clock.now());
      return new Promise((resolve) => pending.push(resolve));
    },
    sendMessage: async () => ({ status: 200, requestId: 'm' }),
    invokeWithLogTail: async () => undefined,
  };
  const history = new NdjsonWriter<HistoryOp>(join(dir, 'history.ndjson'));
  const driver = new LoadDriver({ client, clock, history, target: (fn) => ({ name: fn, timeoutMs: 1_000 }) });
  const schedule: Arrival[] = [0, 100, 200].map((atMs, seq) => ({ seq, workload: 0, function: 'f', invocation: 'sync', atMs }) as Arrival);
  const t0 = clock.now() + 250;
  const abort = new AbortController();
  const running = driver.run(schedule, t0, abort.signal);
  for (let i = 0; i < 8; i++) {
    clock.advance(50);
    await settle();
  }
  t.same(sent, [t0, t0 + 100], 'the second was sent at its time though the first had no answer');
  t.equal(driver.counts.inFlight, 2);
  for (let i = 0; i < 5; i++) {
    clock.advance(10);
    await settle();
  }
  await running;
  t.same(sent, [t0, t0 + 100, t0 + 200]);
  const answeredAt = clock.now();
  pending.forEach((resolve, i) => resolve(i === 2 ? { status: 500, errorType: 'ServiceException' } : { status: 200, requestId: `r${i}` }));
  await driver.drain();
  await history.close();
  const ops = readFileSync(join(dir, 'history.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryOp);
  t.same(ops.map((o) => [o.seq, o.intendedAt - t0, o.endedAt - o.intendedAt, o.result]), [[0, 0, answeredAt - t0, 'ok'], [1, 100, answeredAt - t0 - 100, 'ok'], [2, 200, answeredAt - t0 - 200, 'fail']], 'latency runs from the intended time');
  t.same(driver.counts, { sent: 3, ok: 2, fail: 1, unknown: 0, inFlight: 0 });
});

t.test('overlapping faults: a node comes back only when the last fault holding it down heals', async (t) => {
  const dir = await scratch(t);
  const platform = new FakePlatform(NODES);
  const out = new NdjsonWriter<FaultRecord>(join(dir, 'faults.ndjson'));
  const injector = new FaultInjector({ nodes: NODES, actuator: platform, admin: new AdminClient(platform), clock: new ManualClock(), out });
  const acts = (): string[] => platform.calls.splice(0).filter((c) => !c.includes('/zonesim/v1/faults'));
  const zone = fault({ id: 'zone', endMs: 10, params: { action: 'kill' } as never });
  const host = fault({ id: 'host', targets: { nodeIds: ['az-b-node-1'] }, endMs: 20, params: { action: 'kill' } as never });
  await injector.apply(zone);
  t.same(acts(), ['kill az-b-node-1', 'kill az-b-node-2'], 'the zone goes down');
  await injector.apply(host);
  t.same(acts(), [], 'a host of the down zone fails too: already down, nothing to do');
  await injector.heal('zone');
  t.same(acts(), ['restart az-b-node-2'], 'the zone is repaired: its other host comes back, the failed one stays down');
  await injector.heal('host');
  t.same(acts(), ['restart az-b-node-1'], 'then the host is repaired');

  // A pause and a kill on one node: killed while paused, restarted and paused again while the pause holds.
  const pause = fault({ id: 'pause', targets: { nodeIds: ['az-a-node-1'] }, endMs: 30, params: { action: 'pause' } as never });
  const kill = fault({ id: 'kill', targets: { nodeIds: ['az-a-node-1'] }, endMs: 20, params: { action: 'kill' } as never });
  await injector.apply(pause);
  await injector.apply(kill);
  t.same(acts(), ['pause az-a-node-1', 'kill az-a-node-1']);
  await injector.heal('kill');
  t.same(acts(), ['restart az-a-node-1', 'pause az-a-node-1'], 'back, and still paused');
  await injector.heal('pause');
  t.same(acts(), ['resume az-a-node-1']);
  await out.close();
});
