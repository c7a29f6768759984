// Issue 4 (asynchronous part): an Event invoke is answered 202 once it is durable; Lambda's retry
// rules and dead letters apply, sped up by the platform time scale; no accepted event is lost across
// a zone kill or a coordinator kill -9. A sink written by the handler (a file the test reads) is the
// independent check, not the coordinator's own counters.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { testCluster, tempDir, HOST_SINK_ZONE_ARGS } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';
import { restartableCluster } from './harness/restartable.js';
import { runZonesim } from './harness/cli.js';

/** A handler that records every attempt (request id, attempt number) and fails the first `FAILS` times. */
const FLAKY = {
  'index.mjs': `
import { appendFileSync, readFileSync } from 'node:fs';
export const handler = async (event, context) => {
  const file = process.env.SINK_DIR + '/' + context.awsRequestId;
  let n = 0;
  try { n = readFileSync(file, 'utf8').split('\\n').filter(Boolean).length; } catch {}
  appendFileSync(file, 'attempt\\n');
  appendFileSync(process.env.SINK_DIR + '/all.txt', context.awsRequestId + '\\n');
  if (n < Number(process.env.FAILS)) throw new Error('failing attempt ' + (n + 1));
  return { ok: true, attempts: n + 1, event };
};
`,
};

const lines = async (file: string): Promise<string[]> =>
  existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean) : [];

async function deadLetters(apiUrl: string): Promise<Array<{ eventId: string; condition: string; reason: string; attempts: number; record: any }>> {
  return (await api(apiUrl, 'GET', '/zonesim/v1/dead-letters')).json.deadLetters;
}

t.test('retries and dead letters follow Lambda rules at a time scale', async (t) => {
  const sink = await tempDir(t);
  // 3600x: the 1-minute and 2-minute retry delays take 17 and 33 ms.
  const cluster = await testCluster(t, { zoneCount: 2, coordinatorArgs: ['--time-scale', '3600'], zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const env = (fails: number) => ({ Environment: { Variables: { SINK_DIR: sink, FAILS: String(fails) } } });
  t.equal((await deploy(cluster.apiUrl, 'flaky', FLAKY, env(2))).status, 201);
  t.equal((await deploy(cluster.apiUrl, 'broken', FLAKY, env(99))).status, 201);

  const flaky = await invoke(cluster.apiUrl, 'flaky', { n: 1 }, { 'x-amz-invocation-type': 'Event' });
  t.equal(flaky.status, 202);
  t.equal(flaky.text, '', 'an Event invoke answers 202 with an empty body');
  const flakyId = flaky.headers.get('x-amzn-requestid')!;
  const broken = await invoke(cluster.apiUrl, 'broken', { n: 2 }, { 'x-amz-invocation-type': 'Event' });
  const brokenId = broken.headers.get('x-amzn-requestid')!;

  await waitFor(async () => (await lines(join(sink, flakyId))).length >= 3, 10_000, 'the flaky event to run 3 times');
  await waitFor(async () => (await deadLetters(cluster.apiUrl)).some((d) => d.eventId === brokenId), 10_000, 'the broken event to be dead-lettered');
  // Give a wrong extra retry a chance to show up before counting.
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await lines(join(sink, flakyId))).length, 3, 'failing twice then succeeding: delivered on the third attempt, not again');
  t.equal((await lines(join(sink, brokenId))).length, 3, 'always failing: 1 attempt + 2 retries');
  const dead = (await deadLetters(cluster.apiUrl)).find((d) => d.eventId === brokenId)!;
  t.equal(dead.condition, 'RetriesExhausted');
  t.equal(dead.record.requestContext.condition, 'RetriesExhausted');
  t.equal(dead.record.requestContext.requestId, brokenId);
  t.equal(dead.record.requestContext.approximateInvokeCount, 3);
  t.match(dead.record.requestContext.functionArn, /^arn:aws:lambda:us-east-1:000000000000:function:broken/);
  t.same(dead.record.requestPayload, { n: 2 });
  t.equal(dead.record.responseContext.functionError, 'Unhandled');
  t.equal((await deadLetters(cluster.apiUrl)).some((d) => d.eventId === flakyId), false, 'the flaky event is not dead-lettered');

  // The CLI shows it, and redrive puts it back: it runs (and fails) three more times, then is
  // dead-lettered again.
  const listed = await runZonesim(['dlq', 'list', '--endpoint-url', cluster.apiUrl]);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, new RegExp(`${brokenId}\\s+broken\\s+RetriesExhausted`), 'zonesim dlq list shows the event and why');
  const redrive = await runZonesim(['dlq', 'redrive', brokenId, '--endpoint-url', cluster.apiUrl]);
  t.equal(redrive.code, 0, redrive.stderr);
  t.match(redrive.stdout, /redriven: 1 event/);
  await waitFor(async () => (await lines(join(sink, brokenId))).length >= 6, 10_000, 'the redriven event to run again');
  await waitFor(async () => (await deadLetters(cluster.apiUrl)).some((d) => d.eventId === brokenId), 10_000, 'dead-lettered again');

  const tooBig = await invoke(cluster.apiUrl, 'flaky', JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }), { 'x-amz-invocation-type': 'Event' });
  t.equal(tooBig.status, 413, 'async payloads are limited to 1 MB');
});

t.test('an event that cannot run before its maximum age ends with EventAgeExceeded', async (t) => {
  // 7200x: the default 6 h maximum age is 3 s. The only zone node is gone, so every attempt fails
  // on the platform side and backs off until the event is too old.
  const cluster = await testCluster(t, { zoneCount: 1, coordinatorArgs: ['--time-scale', '7200', '--placement-timeout-ms', '200'] });
  t.equal((await deploy(cluster.apiUrl, 'f', { 'index.mjs': 'export const handler = async () => 1;' })).status, 201);
  const node = cluster.zoneNodes[0]!;
  node.handle.signal('SIGKILL');
  await node.handle.exited;
  const res = await invoke(cluster.apiUrl, 'f', { x: 1 }, { 'x-amz-invocation-type': 'Event' });
  t.equal(res.status, 202, 'accepted even with no zone up: it is durable');
  const id = res.headers.get('x-amzn-requestid')!;
  await waitFor(async () => (await deadLetters(cluster.apiUrl)).some((d) => d.eventId === id), 15_000, 'EventAgeExceeded');
  const dead = (await deadLetters(cluster.apiUrl)).find((d) => d.eventId === id)!;
  t.equal(dead.condition, 'EventAgeExceeded');
  t.equal(dead.record.requestContext.condition, 'EventAgeExceeded');
});

t.test('no accepted event is lost when a zone node dies under an async burst', async (t) => {
  const sink = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 3, coordinatorArgs: ['--time-scale', '600'], zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  t.equal((await deploy(cluster.apiUrl, 'rec', FLAKY, { Environment: { Variables: { SINK_DIR: sink, FAILS: '0' } } })).status, 201);
  const accepted: string[] = [];
  const send = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const r = await invoke(cluster.apiUrl, 'rec', { i }, { 'x-amz-invocation-type': 'Event' });
      if (r.status === 202) accepted.push(r.headers.get('x-amzn-requestid')!);
    }
  };
  const burst = Promise.all([send(60), send(60), send(60)]);
  await waitFor(() => accepted.length >= 60, 20_000, 'some events accepted');
  cluster.zoneNodes.find((z) => z.zone === 'az-b')!.handle.signal('SIGKILL');
  await burst;
  t.equal(accepted.length, 180, 'every event was accepted (202) during the kill');
  const progress = setInterval(async () => {
    const ran = new Set(await lines(join(sink, 'all.txt')));
    const missing = accepted.filter((id) => !ran.has(id));
    const stats = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/async')).json;
    t.comment(`missing ${missing.length}: ${JSON.stringify(stats)}`);
  }, 5000);
  t.teardown(() => clearInterval(progress));
  await waitFor(async () => {
    const ran = new Set(await lines(join(sink, 'all.txt')));
    return accepted.every((id) => ran.has(id));
  }, 30_000, 'every accepted event to run at least once');
  const ran = await lines(join(sink, 'all.txt'));
  t.pass(`all ${accepted.length} accepted events ran; ${ran.length - new Set(ran).size} duplicate deliveries`);
  const stats = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/async')).json;
  t.equal(stats.queue.deadLetters ?? 0, 0, 'none dead-lettered');
});

t.test('no accepted event is lost when the coordinator is killed mid-burst and restarted', async (t) => {
  const sink = await tempDir(t);
  const cluster = await restartableCluster(t, ['--time-scale', '600'], HOST_SINK_ZONE_ARGS);
  await cluster.waitForZoneNode();
  t.equal((await deploy(cluster.apiUrl, 'rec', FLAKY, { Environment: { Variables: { SINK_DIR: sink, FAILS: '0' } } })).status, 201);

  const accepted: string[] = [];
  let stop = false;
  const sender = async (): Promise<void> => {
    while (!stop) {
      try {
        const r = await invoke(cluster.apiUrl, 'rec', { at: Date.now() }, { 'x-amz-invocation-type': 'Event' });
        if (r.status === 202) accepted.push(r.headers.get('x-amzn-requestid')!);
      } catch {
        // The coordinator is down: the client sees a connection error, nothing was accepted.
      }
    }
  };
  const senders = Promise.all([sender(), sender(), sender()]);
  await waitFor(() => accepted.length >= 100, 20_000, '100 accepted events');
  await cluster.killCoordinator();
  stop = true;
  await senders;
  await cluster.restartCoordinator();
  await waitFor(async () => {
    const ran = new Set(await lines(join(sink, 'all.txt')));
    return accepted.every((id) => ran.has(id));
  }, 30_000, 'every event accepted before the kill to run after the restart');
  const ran = await lines(join(sink, 'all.txt'));
  t.pass(`all ${accepted.length} accepted events ran at least once (${ran.length - new Set(ran).size} duplicates)`);
});
