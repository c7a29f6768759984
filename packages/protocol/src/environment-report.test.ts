// Issue 9: heartbeats may carry the node's environments for the dashboard; optional (older nodes
// send none) and bounded, checked like every other frame.
import t from 'tap';
import { msgpackCodec } from './codec.js';
import { MAX_REPORTED_ENVIRONMENTS } from './messages.js';
import { parseZoneFrame } from './validate.js';

const heartbeat = { type: 'heartbeat', seq: 1, sentAt: 1, busyEnvironments: 1, idleEnvironments: 1 };
const report = (n: number, state = 'busy') => ({
  initializing: 0,
  busy: n,
  idle: 0,
  list: Array.from({ length: n }, (_, i) => ({ id: `env-${i}`, functionName: 'fn', state })),
});
const parse = (m: unknown) => parseZoneFrame(msgpackCodec, msgpackCodec.encode(m));

t.test('a heartbeat with or without an environment report', async (t) => {
  t.equal(parse(heartbeat).ok, true, 'without one (an older node)');
  const withReport = parse({ ...heartbeat, environments: { ...report(2), list: [{ id: 'e1', functionName: 'fn', state: 'idle', provisioned: true }, { id: 'e2', functionName: 'fn', state: 'initializing' }] } });
  t.equal(withReport.ok, true);
  t.equal(parse({ ...heartbeat, environments: report(MAX_REPORTED_ENVIRONMENTS) }).ok, true, 'the bound itself');
  t.match(parse({ ...heartbeat, environments: report(MAX_REPORTED_ENVIRONMENTS + 1) }), { ok: false, reason: /heartbeat \/environments\/list/ }, 'one more is refused');
  t.match(parse({ ...heartbeat, environments: report(1, 'frozen') }), { ok: false }, 'nodes report initializing, busy or idle only');
  t.match(parse({ ...heartbeat, environments: { busy: 1, list: [] } }), { ok: false }, 'counts are required');
});
