// Issue 9: the dashboard's controls through the admin API, as its buttons call them. A supervised
// cluster (the supervisor holds the zone nodes' processes and the link proxies, as `zonesim up`
// does) freezes, partitions, delays, kills and heals zones for real, each control a fault window;
// controls refuse cross-site requests; a shipped scenario starts and stops. Then authentication:
// the page and its files are public, the data and controls need a SigV4 signature (the page's own
// signer), and the controls are off by default on an API listening beyond loopback.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ClusterSupervisor } from '@zonesim/cli';
import { silentLogger } from '@zonesim/common';
import { Coordinator } from '@zonesim/coordinator';
import { LinkProxy } from '@zonesim/link-proxy';
import { presign, signHeaders } from '../packages/dashboard/src/sigv4.js';
import { testCluster, tempDir } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const health = async (apiUrl: string, zone: string): Promise<string> =>
  ((await api(apiUrl, 'GET', '/zonesim/v1/zones')).json.zones as Array<{ zone: string; health: string }>).find((z) => z.zone === zone)?.health ?? 'none';
/**
 * A GET's status, with its body read to the end: an unread body (Chart.js is 200 KB) leaves undici's
 * socket paused and open, and such a socket, closed by the server later, can leave Node 20 spinning
 * in its exit-time handle cleanup (seen as this file never exiting).
 */
const statusOf = async (url: string): Promise<number> => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
};
const control = (apiUrl: string, zone: string, action: string, body: unknown = {}) => api(apiUrl, 'POST', `/zonesim/v1/control/zones/${zone}/${action}`, body);

t.test('controls act on a supervised cluster: freeze, partition, latency, kill, heal, scenarios', async (t) => {
  const dir = await tempDir(t);
  const proxies = new Map<string, LinkProxy>();
  const supervisor = new ClusterSupervisor({ resultsDir: join(dir, 'runs') });
  t.teardown(async () => {
    await supervisor.stop();
    await Promise.allSettled([...proxies.values()].map((p) => p.stop()));
  });
  const cluster = await testCluster(t, {
    zoneCount: 3,
    // Default heartbeats (200 ms x 4): the latency control's 300 ms each way then stays well inside
    // the accept window (800 ms) even on a loaded machine, as it does for a class using the defaults.
    supervisor,
    zoneLinkUrl: async (zone, nodeId, url) => {
      const target = new URL(url);
      const proxy = new LinkProxy({ name: `${zone}/${nodeId}`, targetHost: target.hostname, targetPort: Number(target.port) });
      const { host, port } = await proxy.start();
      proxies.set(nodeId, proxy);
      return `ws://${host}:${port}${target.pathname}`;
    },
  });
  t.teardown(() => supervisor.stop());
  supervisor.attach(cluster, proxies);
  const url = cluster.apiUrl;
  await waitFor(async () => (await api(url, 'GET', '/zonesim/v1/control')).json.supervised === true, 10_000, 'the coordinator to know its supervisor');
  const view = (await api(url, 'GET', '/zonesim/v1/control')).json;
  t.equal(view.enabled, true, 'on: the API listens on loopback');
  t.ok(view.scenarios.includes('az-power-loss'), 'the shipped scenarios are offered');

  await t.test('freeze: SIGSTOP, the zone goes down; heal: SIGCONT, it comes back', async (t) => {
    const r = await control(url, 'az-a', 'freeze');
    t.equal(r.status, 200, r.text);
    t.same(r.json.active.map((a: { zone: string; action: string }) => `${a.zone}/${a.action}`), ['az-a/freeze']);
    await waitFor(async () => (await health(url, 'az-a')) === 'down', 5_000, 'a frozen zone to be declared down');
    const open = (await api(url, 'GET', '/zonesim/v1/faults')).json.faults.find((f: { action: string; endAt?: number }) => f.action === 'freeze' && f.endAt === undefined);
    t.equal(open?.target, 'az-a', 'a fault window is open');
    t.equal((await control(url, 'az-a', 'heal')).status, 200);
    await waitFor(async () => (await health(url, 'az-a')) === 'healthy', 15_000, 'the thawed node to rejoin');
    t.ok((await api(url, 'GET', '/zonesim/v1/faults')).json.faults.every((f: { endAt?: number }) => f.endAt !== undefined), 'its window is closed');
  });

  await t.test('partition: the link is cut both ways; heal reconnects', async (t) => {
    t.equal((await control(url, 'az-b', 'partition')).status, 200);
    await waitFor(async () => (await health(url, 'az-b')) === 'down', 5_000, 'a partitioned zone to be declared down');
    t.equal((await control(url, 'az-b', 'heal')).status, 200);
    await waitFor(async () => (await health(url, 'az-b')) === 'healthy', 20_000, 'the node to redial');
  });

  await t.test('latency: answers from the zone come 2 x 300 ms later', async (t) => {
    const r = await control(url, 'az-c', 'latency', { latencyMs: 300 });
    t.equal(r.status, 200, r.text);
    t.match(r.json.active, [{ zone: 'az-c', action: 'latency', detail: '300 ms' }]);
    // The first delayed heartbeat leaves a 300 ms gap: az-c may be suspect for a moment, and
    // placement avoids a suspect zone. Send once it is healthy again with the delay in place.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await waitFor(async () => (await health(url, 'az-c')) === 'healthy', 5_000, 'az-c healthy behind the delay');
    // Each round a new function of 800 ms invocations: nine sent at once are all in flight together
    // and none finds a warm environment, so placement spreads them over the zones (the zone running
    // the fewest gets the next) and some land in az-c.
    let slow: number | undefined;
    const seen: string[] = [];
    for (let round = 0; round < 8 && slow === undefined; round++) {
      const name = `quick-${round}`;
      const created = await deploy(url, name, { 'synthetic.json': JSON.stringify({ init: { kind: 'constant', value: 1 }, duration: { kind: 'constant', value: 800 }, memory: { kind: 'constant', value: 10 } }) }, { Runtime: 'zonesim.synthetic', Handler: 'x', Timeout: 10 });
      t.equal(created.status, 201, created.text);
      await Promise.all(Array.from({ length: 9 }, async () => {
        const started = Date.now();
        const res = await invoke(url, name, {});
        const zone = res.headers.get('x-zonesim-zone');
        seen.push(`${zone ?? '-'}:${res.status}:${Date.now() - started}`);
        if (zone === 'az-c') slow = Math.min(slow ?? Infinity, Date.now() - started);
      }));
      seen.push(`az-c ${await health(url, 'az-c')} |`);
    }
    t.ok(slow !== undefined && slow >= 800 + 600, `an invocation in az-c took ${slow} ms (800 ms of handler, 2 x 300 ms of link); answers (zone:status:ms): ${seen.join(' ')}`);
    t.equal((await control(url, 'az-c', 'heal')).status, 200);
    t.same((await api(url, 'GET', '/zonesim/v1/control')).json.active, [], 'nothing active after heal');
  });

  await t.test('kill: SIGKILL, down at once; heal restarts the node', async (t) => {
    t.equal((await control(url, 'az-c', 'kill')).status, 200);
    await waitFor(async () => (await health(url, 'az-c')) === 'down', 3_000, 'a killed zone to be down');
    const heal = await control(url, 'az-c', 'heal');
    t.equal(heal.status, 200, heal.text);
    await waitFor(async () => (await health(url, 'az-c')) === 'healthy', 20_000, 'the restarted node to join');
    t.equal((await control(url, 'az-c', 'freeze', {})).status, 200);
    t.equal((await control(url, 'az-c', 'kill', {})).status, 200, 'a frozen zone can be killed');
    t.equal((await control(url, 'az-c', 'heal')).status, 200);
    await waitFor(async () => (await health(url, 'az-c')) === 'healthy', 20_000, 'the node to come back once more');
  });

  await t.test('gray failure and refusals', async (t) => {
    const gray = await control(url, 'az-a', 'gray', { slowFactor: 2, failRate: 0.1 });
    t.equal(gray.status, 200, gray.text);
    t.match(gray.json.active, [{ zone: 'az-a', action: 'gray', detail: '2x slower, 10% fail' }]);
    t.equal((await control(url, 'az-a', 'heal')).status, 200);
    t.equal((await control(url, 'az-q', 'kill')).status, 404, 'an unknown zone');
    t.equal((await control(url, 'az-a', 'latency', { latencyMs: -5 })).status, 400);
    t.equal((await api(url, 'POST', '/zonesim/v1/control/zones/az-a/kill', 'x', { 'content-type': 'text/plain' })).status, 415, 'a form post (no preflight) is refused');
    const cross = await api(url, 'POST', '/zonesim/v1/control/zones/az-a/kill', {}, { origin: 'http://evil.example' });
    t.equal(cross.status, 403, 'another origin is refused');
    t.equal(await health(url, 'az-a'), 'healthy', 'nothing was applied');
  });

  await t.test('a shipped scenario starts against the cluster and stops on request', async (t) => {
    const started = await api(url, 'POST', '/zonesim/v1/control/scenarios/baseline', {});
    t.equal(started.status, 200, started.text);
    t.equal(started.json.scenario.name, 'baseline');
    t.equal((await api(url, 'POST', '/zonesim/v1/control/scenarios/az-power-loss', {})).status, 409, 'one scenario at a time');
    t.equal((await api(url, 'POST', '/zonesim/v1/control/scenarios/no-such-thing', {})).status, 404);
    await waitFor(async () => ((await api(url, 'GET', '/2015-03-31/functions')).json.Functions as unknown[]).length >= 2, 20_000, 'the scenario to deploy its functions');
    const stopped = await api(url, 'DELETE', '/zonesim/v1/control/scenario');
    t.equal(stopped.status, 200, stopped.text);
    t.equal(stopped.json.scenario.state, 'finished');
  });
});

t.test('authentication: public page, signed data and controls, controls off beyond loopback', async (t) => {
  const dirs: string[] = [];
  const coordinators: Coordinator[] = [];
  t.teardown(async () => {
    await Promise.all(coordinators.map((c) => c.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  const start = async (options: ConstructorParameters<typeof Coordinator>[0]): Promise<string> => {
    const dataDir = await mkdtemp(join(tmpdir(), 'zonesim-dash-auth-'));
    dirs.push(dataDir);
    // A silent logger: an in-process coordinator logging to this test's stdout (tap's pipe) can
    // leave pino's final synchronous flush spinning at exit.
    const c = new Coordinator({ port: 0, clusterToken: 'tok', dataDir, ...options }, { logger: silentLogger() });
    coordinators.push(c);
    await c.start();
    return c.apiUrl;
  };
  const credentials = { accessKeyId: 'TEACHER', secretAccessKey: 'class-secret' };
  const signed = await start({ ...credentials });
  t.equal(await statusOf(`${signed}/`), 200, 'the page needs no signature');
  t.equal(await statusOf(`${signed}/dashboard/app/main.js`), 200, 'nor its files');
  t.equal(await statusOf(`${signed}/dashboard/vendor/chart.umd.min.js`), 200, 'Chart.js is served too');
  const refused = await fetch(`${signed}/zonesim/v1/control`);
  await refused.arrayBuffer();
  t.equal(refused.status, 403, 'data needs a signature');
  t.equal(refused.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  const controlUrl = new URL(`${signed}/zonesim/v1/control`);
  const ok = await fetch(controlUrl, { headers: signHeaders({ method: 'GET', url: controlUrl, credentials }) });
  t.equal(ok.status, 200, 'the page\'s own signature is accepted');
  t.equal(((await ok.json()) as { enabled: boolean }).enabled, true, 'controls are on behind authentication');
  const closeEvents = new AbortController();
  const events = await fetch(presign({ url: new URL(`${signed}/zonesim/v1/dashboard/events`), credentials, expiresSec: 60 }), { signal: closeEvents.signal });
  t.equal(events.status, 200, 'the event stream opens with a presigned URL');
  t.match(events.headers.get('content-type'), /^text\/event-stream/);
  const first = await events.body!.getReader().read();
  t.match(Buffer.from(first.value!).toString(), /^retry: 1000/);
  closeEvents.abort();

  const open = await start({ host: '0.0.0.0', insecureNoAuth: true });
  const local = open.replace('0.0.0.0', '127.0.0.1');
  const view = (await api(local, 'GET', '/zonesim/v1/control')).json;
  t.equal(view.enabled, false, 'off: the API listens beyond loopback without authentication');
  t.match(view.reason, /beyond loopback/);
  const gray = await api(local, 'POST', '/zonesim/v1/control/zones/az-a/gray', {});
  t.equal(gray.status, 403);
  t.equal(gray.errorType, 'AccessDeniedException');

  const off = await start({ dashboard: { controls: 'off' } });
  t.equal((await api(off, 'GET', '/zonesim/v1/control')).json.enabled, false, '--dashboard-controls off');
});
