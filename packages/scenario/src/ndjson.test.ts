import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { NdjsonWriter, readAsyncFinal, readFaultRecords, readHistory, readZoneTransitions } from './ndjson.js';
import type { HistoryOp } from './run-files.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-ndjson-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const op = (seq: number, extra: Partial<HistoryOp> = {}): HistoryOp => ({
  seq, workload: 0, function: 'fn', invocation: 'sync', intendedAt: 1000 + seq, sentAt: 1001 + seq, endedAt: 1010 + seq, status: 200, result: 'ok', ...extra,
});

t.test('the writer writes what the reader reads back, line by line', async (t) => {
  const file = join(await tempDir(t), 'history.ndjson');
  const w = new NdjsonWriter<HistoryOp>(file, { highWaterMark: 64 });
  const written = [op(0, { requestId: 'r0', zone: 'az-a' }), op(1, { status: null, result: 'unknown', errorType: 'TIMEOUT' }), op(2, { status: 429, result: 'fail', throttleReason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })];
  let blocked = false;
  for (const o of written) if (!w.write(o)) blocked = true;
  t.ok(blocked, 'backpressure is visible past the high-water mark');
  await w.drain();
  t.equal(w.lines, 3);
  await w.close();
  await w.close();
  t.throws(() => w.write(op(3)), /closed/);
  const read: HistoryOp[] = [];
  for await (const o of readHistory(file)) read.push(o);
  t.same(read, written);
});

t.test('each run file is validated, with file, line and field in the error', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'faults.ndjson'), '{"id":"k","action":"kill","target":{"zones":["az-a"]},"startAt":5}\n{"id":"k","action":"kill","target":{},"startAt":"soon"}\n');
  await t.rejects(async () => {
    for await (const f of readFaultRecords(join(dir, 'faults.ndjson'))) void f;
  }, { code: 'SCENARIO_RUN_FILE', line: 2, field: '/startAt' });
  await writeFile(join(dir, 'zones.ndjson'), '{"t":1,"zone":"az-a","health":"down"}\n\n{"t":2,"zone":"az-a","nodeId":"az-a-node-1","health":"healthy"}\n');
  const zones = [];
  for await (const z of readZoneTransitions(join(dir, 'zones.ndjson'))) zones.push(z);
  t.equal(zones.length, 2, 'blank lines are skipped');
  await writeFile(join(dir, 'async-final.json'), '{"deadLetters":[{"eventId":"e"}],"pending":[]}');
  await t.rejects(readAsyncFinal(join(dir, 'async-final.json')), { code: 'SCENARIO_RUN_FILE', field: /\/deadLetters\/0/ });
  await writeFile(join(dir, 'history.ndjson'), 'not json\n');
  await t.rejects(async () => {
    for await (const o of readHistory(join(dir, 'history.ndjson'))) void o;
  }, { line: 1, message: /history\.ndjson:1: not JSON/ });
});
