// Issue 16: the real coordinator and zone-node cores in one process on virtual time. A synthetic
// function is deployed through the coordinator's real front door (in-process), invoked, a zone
// is killed under load (failover in virtual time), and the coordinator crashes and is rebuilt from
// its SQLite files without losing an accepted async event.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildZip } from '@zonesim/code';
import { ApiClient, ApiClusterClient } from '@zonesim/runner';
import { InProcessApiTransport, VirtualCluster } from '@zonesim/runner/virtual';

const SYNTHETIC = JSON.stringify({ v: 1, init: { kind: 'constant', value: 200 }, duration: { kind: 'constant', value: 20 }, memory: { kind: 'constant', value: 64 }, errorRate: 0 });

async function setup(t: Test, seed = 7) {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-virtual-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const nodes = ['az-a', 'az-b', 'az-c'].map((zone) => ({ zone, nodeId: `${zone}-1` }));
  const cluster = new VirtualCluster({ seed, dataDir: join(dir, 'coordinator'), nodes, coordinator: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4 } });
  const clock = cluster.harnessClock;
  const transport = new InProcessApiTransport(() => cluster.api, { clock });
  cluster.onCoordinatorCrash(() => transport.resetAll());
  const api = new ApiClient(transport);
  const client = new ApiClusterClient(transport);
  const run = <T>(p: Promise<T>) => cluster.sim.runUntil(p, { maxVirtualMs: 600_000 });
  await run(cluster.start());
  const zip = Buffer.from(await buildZip({ 'synthetic.json': SYNTHETIC }));
  const created = await run(api.json('POST', '/2015-03-31/functions', {
    FunctionName: 'fn', Runtime: 'zonesim.synthetic', Handler: 'synthetic', Role: 'arn:aws:iam::000000000000:role/x', MemorySize: 128, Timeout: 3,
    Code: { ZipFile: zip.toString('base64') },
  }));
  t.equal(created.status, 201, `CreateFunction: ${JSON.stringify(created.body)}`);
  await run(cluster.waitFor(() => cluster.coordinator!.registry.get('fn')?.state === 'Active', 10_000, 'fn active'));
  return { cluster, client, api, run, dir };
}

t.test('deploy and invoke on virtual time; a zone killed under load fails over', async (t) => {
  const { cluster, client, run } = await setup(t);
  const first = await run(client.invoke('fn', { a: 1 }, 'sync', 10_000));
  t.equal(first.status, 200, `first invoke: ${JSON.stringify(first)}`);
  const t0 = cluster.sim.time;
  const answers = await run(Promise.all(Array.from({ length: 30 }, () => client.invoke('fn', {}, 'sync', 10_000))));
  t.ok(answers.every((a) => a.status === 200), 'all 30 concurrent invocations succeed');
  t.ok(cluster.sim.time - t0 < 1000, `they took ${cluster.sim.time - t0} virtual ms`);
  const zones = new Set(answers.map((a) => a.zone));
  t.ok(zones.size >= 2, `spread over zones ${[...zones].join(',')}`);
  cluster.kill('az-a-1');
  const killedAt = cluster.sim.time;
  await run(cluster.waitFor(() => cluster.coordinator!.membership.zones().find((z) => z.zone === 'az-a')?.health === 'down', 10_000, 'az-a down'));
  const detectedMs = cluster.sim.time - killedAt;
  t.ok(detectedMs <= 1000, `az-a declared down ${detectedMs} virtual ms after the kill`);
  const after = await run(Promise.all(Array.from({ length: 20 }, () => client.invoke('fn', {}, 'sync', 10_000))));
  t.ok(after.every((a) => a.status === 200 && a.zone !== 'az-a'), 'after the kill every invocation succeeds in another zone');
  await run(cluster.stop());
});

t.test('a coordinator crash loses no accepted async event', async (t) => {
  const { cluster, client, run } = await setup(t, 11);
  const accepted = await run(Promise.all(Array.from({ length: 50 }, () => client.invoke('fn', {}, 'async', 10_000))));
  t.ok(accepted.every((a) => a.status === 202), 'every event accepted (202)');
  cluster.crashCoordinator();
  const down = await run(client.invoke('fn', {}, 'sync', 1_000));
  t.equal(down.status, null, 'while it is down, calls are refused');
  await run(cluster.startCoordinator());
  await run(cluster.waitFor(() => cluster.registered() === 3, 30_000, 'nodes back'));
  const stats = () => cluster.coordinator!.asyncInvocations.store.stats();
  await run(cluster.waitFor(() => stats().queued === 0 && stats().inFlight === 0, 300_000, 'async queue drained'));
  const s = stats();
  t.equal(s.enqueued, 50, 'the rebuilt coordinator has all 50 events from its SQLite file');
  t.equal(s.done, 50, 'every accepted event was delivered after the restart');
  await run(cluster.stop());
});
