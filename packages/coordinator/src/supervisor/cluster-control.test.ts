// Issue 9: the dashboard's controls on the coordinator's side: requests to the supervisor matched
// by id, refusals mapped to API errors, fault windows opened and closed, gray failures local, and
// every control refused when the controls are off.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '@zonesim/common';
import { FaultWindows } from '../chaos/fault-windows.js';
import type { ZoneDegradations } from '../chaos/zone-degradations.js';
import type { Membership } from '../membership/membership.js';
import { ClusterControl } from './cluster-control.js';
import type { SupervisorChannel, SupervisorMessage, SupervisorRequest, SupervisorState } from './supervisor-messages.js';

class FakeChannel implements SupervisorChannel {
  readonly sent: SupervisorRequest[] = [];
  #message: (m: unknown) => void = () => undefined;
  #close: () => void = () => undefined;
  send(m: SupervisorRequest): void {
    this.sent.push(m);
  }
  onMessage(l: (m: unknown) => void): void {
    this.#message = l;
  }
  onClose(l: () => void): void {
    this.#close = l;
  }
  deliver(m: unknown): void {
    this.#message(m);
  }
  close(): void {
    this.#close();
  }
}

function setup(t: Test, enabled = true) {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-control-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock(1_000);
  const faults = new FaultWindows({ file: join(dir, 'faults.ndjson'), clock });
  const degraded: string[] = [];
  const degradations = { set: (scope: { zone: string }) => degraded.push(`set ${scope.zone}`), heal: (scope: { zone: string }) => degraded.push(`heal ${scope.zone}`) } as unknown as ZoneDegradations;
  const membership = { zones: () => [{ zone: 'az-a' }, { zone: 'az-b' }] } as unknown as Membership;
  const channel = new FakeChannel();
  const control = new ClusterControl({
    settings: { enabled, ...(enabled ? {} : { disabledReason: 'off for the test' }), requestTimeoutMs: 1_000 },
    channel,
    faults,
    degradations,
    membership,
    clock,
    log: silentLogger(),
  });
  const state = (faultsHeld: SupervisorState['faults'] = []): SupervisorState => ({ v: 1, zones: ['az-a', 'az-b'], network: true, faults: faultsHeld, scenarios: ['az-power-loss'] });
  const answer = (reply: Partial<SupervisorMessage> & Record<string, unknown>) => channel.deliver({ type: 'reply', id: channel.sent.at(-1)!.id, ...reply });
  return { control, channel, faults, degraded, clock, state, answer };
}

t.test('kill asks the supervisor, opens a fault window; heal closes it', async (t) => {
  const { control, channel, faults, state, answer } = setup(t);
  const described = control.refresh();
  answer({ ok: true, state: state() });
  await described;
  t.same(control.view().scenarios, ['az-power-loss']);
  t.equal(control.view().supervised, true);

  const killing = control.zone('az-b', 'kill');
  t.same({ ...channel.sent.at(-1), id: 0 }, { type: 'zone-fault', id: 0, zone: 'az-b', action: 'kill' });
  t.same(faults.list().map((w) => [w.action, w.target, w.endAt]), [['kill', 'az-b', undefined]], 'the window opens as the fault is applied');
  answer({ ok: true, state: state([{ zone: 'az-b', action: 'kill', since: 1_000 }]) });
  const view = await killing;
  t.same(view.active, [{ zone: 'az-b', action: 'kill', since: 1_000 }]);

  const healing = control.heal('az-b');
  t.same({ ...channel.sent.at(-1), id: 0 }, { type: 'zone-heal', id: 0, zone: 'az-b' });
  answer({ ok: true, state: state([]) });
  await healing;
  t.ok(faults.list()[0]!.endAt !== undefined, 'the window closes on heal');
});

t.test('refusals, timeouts and a lost supervisor become API errors; windows do not leak', async (t) => {
  const { control, channel, faults, clock, state, answer } = setup(t);
  const described = control.refresh();
  answer({ ok: true, state: state() });
  await described;
  const p = control.zone('az-a', 'partition');
  answer({ ok: false, error: { code: 'NOT_SUPPORTED', message: 'no link proxies' } });
  await t.rejects(p, { status: 409, type: 'ResourceConflictException', message: 'no link proxies' });
  t.ok(faults.list().every((w) => w.endAt !== undefined), 'the window of a refused fault is closed');

  const slow = control.zone('az-a', 'freeze');
  clock.advance(1_001);
  await t.rejects(slow, { status: 504, message: /did not answer within 1000 ms/ });

  await t.rejects(control.zone('az-z', 'kill'), { status: 404, message: /No zone az-z/ }, 'an unknown zone');
  await t.rejects(control.zone('az-a', 'latency', { latencyMs: 0 }), { status: 400, message: /latencyMs/ });

  channel.deliver({ type: 'reply', id: 'x' });
  channel.deliver('garbage');
  t.pass('malformed messages are ignored');

  const pending = control.zone('az-a', 'kill');
  channel.close();
  await t.rejects(pending, { status: 503, message: /went away/ });
  await t.rejects(control.zone('az-a', 'kill'), { status: 409, message: /not started by zonesim up/ }, 'no supervisor any more');
});

t.test('gray failures are the coordinator\'s own; everything is refused when the controls are off', async (t) => {
  const { control, degraded, faults } = setup(t);
  const view = await control.zone('az-a', 'gray', { slowFactor: 3, failRate: 0.5 });
  t.same(view.active.map((a) => [a.zone, a.action, a.detail]), [['az-a', 'gray', '3x slower, 50% fail']]);
  t.same(degraded, ['set az-a']);
  t.equal(faults.list()[0]!.action, 'gray');
  await control.heal('az-a');
  t.same(degraded, ['set az-a', 'heal az-a']);

  const off = setup(t, false);
  await t.rejects(off.control.zone('az-a', 'gray'), { status: 403, type: 'AccessDeniedException', message: 'off for the test' });
  await t.rejects(off.control.heal('az-a'), { status: 403, message: 'off for the test' });
  t.equal(off.control.view().enabled, false);
  t.equal(off.control.view().reason, 'off for the test');
});
