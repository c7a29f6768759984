// Issue 9: the coordinator <-> supervisor contract; each side checks what it receives.
import t from 'tap';
import { parseSupervisorMessage, parseSupervisorRequest } from './supervisor-messages.js';

t.test('requests', async (t) => {
  t.same(parseSupervisorRequest({ type: 'zone-fault', id: 3, zone: 'az-a', action: 'kill' }), { type: 'zone-fault', id: 3, zone: 'az-a', action: 'kill' });
  t.same(parseSupervisorRequest({ type: 'zone-fault', id: 3, zone: 'az-a', action: 'latency', latencyMs: 250 }), { type: 'zone-fault', id: 3, zone: 'az-a', action: 'latency', latencyMs: 250 });
  t.same(parseSupervisorRequest({ type: 'scenario-start', id: 1, name: 'az-power-loss' }), { type: 'scenario-start', id: 1, name: 'az-power-loss' });
  for (const bad of [
    null,
    [],
    { type: 'zone-fault', zone: 'az-a', action: 'kill' },
    { type: 'zone-fault', id: -1, zone: 'az-a', action: 'kill' },
    { type: 'zone-fault', id: 1, zone: '../x', action: 'kill' },
    { type: 'zone-fault', id: 1, zone: 'az-a', action: 'reboot' },
    { type: 'zone-fault', id: 1, zone: 'az-a', action: 'latency' },
    { type: 'zone-fault', id: 1, zone: 'az-a', action: 'latency', latencyMs: 1e9 },
    { type: 'scenario-start', id: 1, name: '../../etc/passwd' },
    { type: 'shutdown', id: 1 },
  ]) t.equal(parseSupervisorRequest(bad), undefined, JSON.stringify(bad));
});

t.test('messages', async (t) => {
  const state = { v: 1, zones: ['az-a'], network: true, faults: [{ zone: 'az-a', action: 'freeze', since: 5 }], scenarios: ['baseline'], scenario: { name: 'baseline', state: 'running', startedAt: 1 } };
  t.same(parseSupervisorMessage({ type: 'reply', id: 2, ok: true, state }), { type: 'reply', id: 2, ok: true, state });
  t.same(parseSupervisorMessage({ type: 'state', state }), { type: 'state', state });
  t.same(parseSupervisorMessage({ type: 'reply', id: 2, ok: false, error: { code: 'BUSY', message: 'no' } }), { type: 'reply', id: 2, ok: false, error: { code: 'BUSY', message: 'no' } });
  for (const bad of [
    { type: 'reply', id: 2, ok: true, state: { ...state, v: 2 } },
    { type: 'reply', id: 2, ok: true, state: { ...state, faults: [{ zone: 'az-a', action: 'explode', since: 1 }] } },
    { type: 'reply', id: 2, ok: true, state: { ...state, scenario: { name: 'x', state: 'weird', startedAt: 1 } } },
    { type: 'reply', id: 2, ok: false },
    { type: 'state' },
  ]) t.equal(parseSupervisorMessage(bad), undefined, JSON.stringify(bad).slice(0, 80));
});
