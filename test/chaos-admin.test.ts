// Issue 6: the coordinator's chaos admin API the runner and the dashboard use: gray failures of a
// zone (heartbeats fine, invocations slow or failing), a front-door brownout, and fault windows
// that tag ledger records.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readLedger, type LedgerRecord } from '@zonesim/ledger';
import { testCluster } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';

const SLEEPY = 'export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return "ok"; };';

t.test('gray failure, brownout and fault windows', async (t) => {
  const cluster = await testCluster(t, { zoneCount: 1 });
  t.equal((await deploy(cluster.apiUrl, 'sleepy', { 'index.mjs': SLEEPY })).status, 201);
  t.equal((await invoke(cluster.apiUrl, 'sleepy', {})).status, 200, 'warm up');

  // Gray failure: every invocation fails in the platform, yet the zone stays healthy.
  t.equal((await api(cluster.apiUrl, 'PUT', '/zonesim/v1/zones/az-a/degrade', { failRate: 1 })).status, 200);
  const failed = await invoke(cluster.apiUrl, 'sleepy', {});
  t.equal(failed.status, 500);
  t.equal(failed.errorType, 'ServiceException');
  const zones = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json.zones;
  t.equal(zones[0].health, 'healthy', 'heartbeats still arrive: the detector sees nothing');
  t.equal((await api(cluster.apiUrl, 'PUT', '/zonesim/v1/zones/az-a/degrade', { slowFactor: 4 })).status, 200);
  const started = Date.now();
  const slow = await invoke(cluster.apiUrl, 'sleepy', { ms: 200 });
  t.equal(slow.status, 200);
  t.ok(Date.now() - started >= 600, 'the answer took about 4x the invocation');
  t.equal((await api(cluster.apiUrl, 'DELETE', '/zonesim/v1/zones/az-a/degrade')).status, 204);
  t.equal((await invoke(cluster.apiUrl, 'sleepy', {})).status, 200, 'healed');
  t.equal((await api(cluster.apiUrl, 'PUT', '/zonesim/v1/zones/az-a/degrade', { failRate: 2 })).status, 400, 'a bad rate is refused');

  // Brownout: the front door fails Lambda calls; the admin API keeps working.
  t.equal((await api(cluster.apiUrl, 'PUT', '/zonesim/v1/brownout', { failRate: 1 })).status, 200);
  const browned = await invoke(cluster.apiUrl, 'sleepy', {});
  t.equal(browned.status, 500);
  t.match(browned.text, /Brownout/);
  t.equal((await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).status, 200);
  t.equal((await api(cluster.apiUrl, 'DELETE', '/zonesim/v1/brownout')).status, 204);

  // A fault window tags the records received while it is open.
  t.equal((await api(cluster.apiUrl, 'POST', '/zonesim/v1/faults', { id: 'kill-a', action: 'kill', target: 'az-a' })).status, 201);
  t.equal((await api(cluster.apiUrl, 'POST', '/zonesim/v1/faults', { id: 'kill-a', action: 'kill', target: 'az-a' })).status, 409, 'ids are unique among open faults');
  const during = await invoke(cluster.apiUrl, 'sleepy', {});
  t.equal((await api(cluster.apiUrl, 'DELETE', '/zonesim/v1/faults/kill-a')).status, 200);
  const after = await invoke(cluster.apiUrl, 'sleepy', {});
  t.equal((await api(cluster.apiUrl, 'GET', '/zonesim/v1/faults')).json.faults[0].id, 'kill-a');

  await cluster.stop();
  const records = new Map<string, LedgerRecord>();
  for await (const r of readLedger(join(cluster.dataDir, 'coordinator', 'ledger'))) records.set(r.requestId, r);
  t.same(records.get(during.headers.get('x-amzn-requestid')!)?.faultIds, ['kill-a']);
  t.equal(records.get(after.headers.get('x-amzn-requestid')!)?.faultIds, undefined);
  t.equal(records.get(failed.headers.get('x-amzn-requestid')!)?.outcome, 'service-error', 'the gray failure is in the ledger');
  const windows = readFileSync(join(cluster.dataDir, 'coordinator', 'faults.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(windows.length, 1);
  t.ok(windows[0].endAt >= windows[0].startAt);
});
