// Issue 7, failover: a queue -> function pipeline while a zone is SIGKILLed. The mapping's pollers
// keep running; batches in flight on the dead zone come back after their visibility timeout and run
// elsewhere; every message is processed at least once, none is lost, and every duplicate the
// handler saw (its own sink, independent of the platform) is one the platform reported.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readLedger } from '@zonesim/ledger';
import { testCluster, tempDir, HOST_SINK_ZONE_ARGS } from './harness/cluster.js';
import { api, deploy } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** Records each message it is given, then works for 400 ms: a killed zone takes batches mid-run. */
const SLOW_CONSUMER = `
import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  for (const r of event.Records) appendFileSync(process.env.SINK + '/seen.txt', r.messageId + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 400));
};`;

interface MessageRecord {
  messageId: string;
  state: string;
  successes: number;
  duplicates: number;
  receiveCount: number;
}

t.test('a queue -> function pipeline under a zone kill: all processed, none lost, duplicates reported', async (t) => {
  const sink = await tempDir(t);
  const cluster = await testCluster(t, { zoneCount: 3, zoneArgs: [...HOST_SINK_ZONE_ARGS] });
  const sqs = new SQSClient({ endpoint: cluster.apiUrl, region: 'us-east-1', credentials });
  t.teardown(() => sqs.destroy());
  t.equal((await deploy(cluster.apiUrl, 'slow', { 'index.mjs': SLOW_CONSUMER }, { Timeout: 3, Environment: { Variables: { SINK: sink } } })).status, 201);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '4' } }))).QueueUrl!;
  const esm = await api(cluster.apiUrl, 'POST', '/2015-03-31/event-source-mappings', {
    EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:work',
    FunctionName: 'slow',
    BatchSize: 5,
    ScalingConfig: { MaximumConcurrency: 12 },
  });
  t.equal(esm.status, 202, 'CreateEventSourceMapping answers 202');

  // 240 messages over about 2.4 s; a zone node running batches is killed part-way.
  const sent: string[] = [];
  const seenFile = join(sink, 'seen.txt');
  const seen = async (): Promise<string[]> => (existsSync(seenFile) ? (await readFile(seenFile, 'utf8')).split('\n').filter(Boolean) : []);
  let killed: string | undefined;
  for (let b = 0; b < 24; b++) {
    const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `m-${b}-${i}` })) }));
    t.equal(r.Successful?.length, 10);
    sent.push(...r.Successful!.map((s) => s.MessageId!));
    if (b === 10 && !killed) {
      // The node with the most invocations in flight: it certainly holds batches.
      const zones = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/zones')).json.zones as Array<{ nodes: Array<{ nodeId: string; inFlight: number }> }>;
      const busiest = zones.flatMap((z) => z.nodes).sort((a, b) => b.inFlight - a.inFlight)[0]!;
      t.ok(busiest.inFlight > 0, `${busiest.nodeId} runs ${busiest.inFlight} batches when it is killed`);
      const node = cluster.zoneNodes.find((n) => n.nodeId === busiest.nodeId)!;
      node.handle.signal('SIGKILL');
      killed = busiest.nodeId;
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const records = async (): Promise<Map<string, MessageRecord>> => {
    const r = await api(cluster.apiUrl, 'GET', '/zonesim/v1/queue-messages?after=0&limit=10000');
    return new Map((r.json.messages as MessageRecord[]).map((m) => [m.messageId, m]));
  };
  // In-flight batches of the dead zone reappear after the 4 s visibility timeout.
  await waitFor(async () => {
    const m = await records();
    return sent.every((id) => m.get(id)?.state === 'deleted');
  }, 60_000, 'every message processed and deleted');

  const final = await records();
  const lost = sent.filter((id) => final.get(id)?.state !== 'deleted');
  t.same(lost, [], 'no message lost');
  const sinkIds = await seen();
  const handled = new Map<string, number>();
  for (const id of sinkIds) handled.set(id, (handled.get(id) ?? 0) + 1);
  t.same(sent.filter((id) => !handled.has(id)), [], 'the handler saw every message at least once');

  const reported = new Set(sent.filter((id) => final.get(id)!.duplicates > 0 || final.get(id)!.successes > 1));
  const twice = [...handled].filter(([, n]) => n > 1).map(([id]) => id);
  t.same(twice.filter((id) => !reported.has(id)), [], `every message the handler saw twice (${twice.length}) was reported as a duplicate`);
  t.ok(reported.size > 0, `${reported.size} duplicate deliveries reported, none hidden`);

  const triggers = (await api(cluster.apiUrl, 'GET', '/zonesim/v1/triggers')).json;
  const pollers = triggers.eventSourceMappings[0].pollers;
  t.ok(pollers.lostBatches >= 1, `${pollers.lostBatches} batches lost with the zone and redelivered`);
  t.ok(pollers.duplicateDeliveries >= reported.size, 'the pollers count the duplicate deliveries');

  await cluster.stop();
  let duplicateRecords = 0;
  let lostRecords = 0;
  for await (const r of readLedger(join(cluster.dataDir, 'coordinator', 'ledger'))) {
    if (r.invocationType !== 'SQS') continue;
    if (r.duplicate) duplicateRecords++;
    if (r.outcome === 'lost') lostRecords++;
  }
  t.ok(lostRecords >= 1, `the ledger shows ${lostRecords} batches lost with ${killed}`);
  t.ok(duplicateRecords >= 1, `the ledger marks ${duplicateRecords} redelivered batches as duplicates`);
});
