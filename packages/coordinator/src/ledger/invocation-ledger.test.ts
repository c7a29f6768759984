import { readFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '@zonesim/common';
import { LEDGER_FORMAT_VERSION, LedgerWriter, SyncLedgerWriter, readLedger, type LedgerDetail, type LedgerRecord } from '@zonesim/ledger';
import t from 'tap';
import { InvocationLedger } from './invocation-ledger.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'invocation-ledger-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A sink that remembers what it was given (a real SyncLedgerWriter underneath). */
class RecordingSink extends SyncLedgerWriter {
  readonly given: string[] = [];
  override append(record: LedgerRecord): boolean {
    this.given.push(`${record.requestId}#${record.attempt}`);
    return super.append(record);
  }
}

const FUNCTIONS = ['checkout', 'thumbnail', 'mailer'];
const ZONES = ['az-a', 'az-b', 'az-c'];

/** Attempt `i`, ending now: a mix of functions, zones, outcomes, cold starts and retries. */
function attempt(i: number, now: number): LedgerRecord {
  const outcome = i % 23 === 0 ? 'throttled' : i % 17 === 0 ? 'function-error' : 'success';
  const ran = outcome !== 'throttled';
  const durationMs = 5 + ((i * 37) % 290) + (i % 7) / 10;
  const cold = ran && i % 13 === 0;
  const initMs = cold ? 120 + (i % 50) : undefined;
  const e2e = (initMs ?? 0) + durationMs + 3;
  const fn = FUNCTIONS[i % 3]!;
  const r: LedgerRecord = {
    v: LEDGER_FORMAT_VERSION,
    requestId: `5e1f0c3a-0000-4000-8000-${String(i).padStart(12, '0')}`,
    attempt: i % 29 === 0 ? 2 : 1,
    functionName: fn,
    version: '$LATEST',
    invocationType: i % 5 === 0 ? 'Event' : 'RequestResponse',
    cold,
    architecture: fn === 'thumbnail' ? 'arm64' : 'x86_64',
    packageType: 'Zip',
    runtime: 'nodejs22.x',
    receivedAt: now - e2e,
    respondedAt: now,
    outcome,
    billedMs: ran ? Math.ceil(durationMs + (initMs ?? 0)) : 0,
    memoryMb: fn === 'thumbnail' ? 1024 : 256,
  };
  if (ran) {
    Object.assign(r, { zone: ZONES[i % 3]!, nodeId: `${ZONES[i % 3]}-node-1`, environmentId: `env-${i % 9}`, dispatchedAt: now - e2e + 1, execStartAt: now - durationMs - 2, execEndAt: now - 2, durationMs });
    if (initMs !== undefined) r.initMs = initMs;
  }
  return r;
}

/** One coordinator run: 1,000 attempts, one every 7 ms of a manual clock; what the live views showed. */
async function runLedger(dir: string, detail: LedgerDetail | undefined, sink?: RecordingSink) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const ledger = new InvocationLedger({ settings: { dir, freeTier: false, ...(detail && { detail }) }, clock, log: silentLogger(), ...(sink && { sink }) });
  let seen = 0;
  ledger.onRecord(() => seen++);
  await ledger.start();
  for (let i = 0; i < 1000; i++) {
    clock.advance(7);
    ledger.record(attempt(i, clock.now()));
  }
  clock.advance(3000);
  const { ledger: _files, ...stats } = ledger.stats();
  const views = { billing: ledger.billing.snapshot(), latency: ledger.latency.snapshot(), points: ledger.timeSeries.points(), stats };
  await ledger.stop();
  return { ledger, views, files: ledger.stats().ledger, seen };
}

async function recordsIn(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of readLedger(dir)) ids.push(`${r.requestId}#${r.attempt}`);
  return ids;
}

t.test('sampled 0.1: the sink gets about a tenth (the same tenth every run); every view is that of a full run', async (t) => {
  const full = await runLedger(await tempDir(t), undefined);
  t.equal(full.ledger.writer.stats.written, 1000);
  t.ok(full.views.billing.run.usd.total > 0 && full.views.points.length > 0 && full.views.latency.length > 0, 'the full run has a bill, seconds and histograms');

  const runs = [];
  for (let i = 0; i < 2; i++) {
    const dir = await tempDir(t);
    const sink = new RecordingSink({ dir });
    const sampled = await runLedger(dir, { level: 'sampled', rate: 0.1 }, sink);
    t.equal(sampled.ledger.writer, sink, 'the ledger writes through the sink it was given');
    t.same(await recordsIn(dir), sink.given, 'the files hold what the sink got');
    runs.push({ ...sampled, given: sink.given, dir });
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
  t.ok(a.given.length > 70 && a.given.length < 130, `the sink got ${a.given.length} of 1000`);
  t.same(b.given, a.given, 'the same records in a second run');
  t.same(a.files, { written: a.given.length, dropped: 0, files: 1, currentFile: undefined, detail: 'sampled:0.1', notWritten: 1000 - a.given.length });
  t.equal(a.seen, 1000, 'listeners (metrics, dashboard) see every attempt');

  t.same(a.views.billing, full.views.billing, 'the bill is that of every attempt');
  t.same(a.views.latency, full.views.latency, 'latency histograms too');
  t.same(a.views.points, full.views.points, 'and the per-second series');
  t.same(a.views.stats, full.views.stats, 'and the counts');

  const saved = JSON.parse(readFileSync(join(a.dir, 'aggregate.json'), 'utf8'));
  t.match(saved, { detail: { level: 'sampled', rate: 0.1 }, records: 1000, written: a.given.length, complete: true });
  t.equal(saved.collector.billing.run.attempts, 1000);
  t.same(JSON.parse(readFileSync(join(a.dir, 'detail.json'), 'utf8')), { formatVersion: 1, detail: { level: 'sampled', rate: 0.1 }, state: 'stopped', aggregate: true });
});

t.test('aggregate: no records reach the sink, and the saved aggregate is the same as a sampled run', async (t) => {
  const sampledDir = await tempDir(t);
  await runLedger(sampledDir, { level: 'sampled', rate: 0.1 }, new RecordingSink({ dir: sampledDir }));
  const dir = await tempDir(t);
  const sink = new RecordingSink({ dir });
  const { files, views, seen } = await runLedger(dir, { level: 'aggregate' }, sink);
  t.same(sink.given, []);
  t.same(await recordsIn(dir), []);
  t.equal(files.notWritten, 1000);
  t.equal(views.stats.records, 1000);
  t.equal(seen, 1000);
  const collector = (d: string) => JSON.parse(readFileSync(join(d, 'aggregate.json'), 'utf8')).collector;
  t.same(collector(dir), collector(sampledDir));
  t.equal(readFileSync(join(dir, 'seconds.ndjson'), 'utf8'), readFileSync(join(sampledDir, 'seconds.ndjson'), 'utf8'));
});

t.test('full by default, through a LedgerWriter; no aggregate kept', async (t) => {
  const dir = await tempDir(t);
  const { ledger, files } = await runLedger(dir, undefined);
  t.ok(ledger.writer instanceof LedgerWriter);
  t.same(ledger.detail, { level: 'full' });
  t.equal(files.detail, 'full');
  t.equal(files.notWritten, 0);
  t.equal((await recordsIn(dir)).length, 1000);
  t.notOk(existsSync(join(dir, 'aggregate.json')));
  t.equal(JSON.parse(readFileSync(join(dir, 'detail.json'), 'utf8')).state, 'stopped');
});

t.test('a bad detail setting is refused at construction, naming the field', async (t) => {
  const make = (detail: unknown) => () => new InvocationLedger({ settings: { dir: '/nonexistent', freeTier: false, detail: detail as LedgerDetail }, clock: new ManualClock(), log: silentLogger() });
  t.throws(make({ level: 'sampled', rate: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(make({ level: 'sampled', rate: 1.01 }), { code: 'LEDGER_INVALID_OPTION', field: 'detail.rate' });
  t.throws(make({ level: 'everything' }), { code: 'LEDGER_INVALID_OPTION', field: 'detail.level' });
});
