import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BillingAccumulator } from './billing-accumulator.js';
import { InFlightCounter } from './in-flight.js';
import { LatencyPhase, LatencyRecorder } from './latency.js';
import { detailWrites, type LedgerDetail } from './ledger-detail.js';
import { readLedger } from './ledger-reader.js';
import { LedgerWriter } from './ledger-writer.js';
import { defaultPriceTable } from './prices.js';
import type { LedgerRecord } from './record.js';
import { parseRunAggregateFile, type RunAggregateFile } from './run-aggregate.js';
import { RunAggregator } from './run-aggregator.js';
import { RunCollector, type SecondRow } from './run-collector.js';
import { encodeSecondRow } from './second-rows.js';
import { SyncLedgerWriter } from './sync-ledger-writer.js';
import { T0, makeRecord, prng } from './test-util/records.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'run-aggregator-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const FUNCTIONS = ['checkout', 'thumbnail', 'mailer'];
const ZONES = ['az-a', 'az-b', 'az-c'];

/**
 * `n` attempts ending in order over about n/20 seconds from `start`: three functions in three
 * zones, every outcome, cold starts, retries, arm64 and a fault window, so that every part of the
 * aggregate (counts, histograms, tiers of the bill, fault costs, in-flight) has something to hold.
 */
function attempts(n: number, options: { seed?: number; start?: number; prefix?: string } = {}): LedgerRecord[] {
  const rand = prng(options.seed ?? 11);
  const start = options.start ?? T0;
  const out: LedgerRecord[] = [];
  let at = start;
  for (let i = 0; i < n; i++) {
    at += Math.round(rand() * 100);
    const fn = FUNCTIONS[i % 3]!;
    const outcome = i % 23 === 0 ? 'throttled' : i % 17 === 0 ? 'function-error' : i % 41 === 0 ? 'service-error' : 'success';
    const ran = outcome === 'success' || outcome === 'function-error';
    const durationMs = Math.round((5 + rand() * 300) * 100) / 100;
    const cold = ran && rand() < 0.1;
    const initMs = cold ? 100 + Math.round(rand() * 200) : undefined;
    const e2e = (initMs ?? 0) + durationMs + 3;
    out.push(
      makeRecord({
        requestId: `${options.prefix ?? 'req'}-${i}`,
        attempt: i % 29 === 0 ? 2 : 1,
        functionName: fn,
        architecture: fn === 'thumbnail' ? 'arm64' : 'x86_64',
        memoryMb: fn === 'thumbnail' ? 1024 : 128,
        ...(outcome === 'throttled' ? { zone: undefined, nodeId: undefined, environmentId: undefined } : { zone: ZONES[i % 3]! }),
        cold,
        ...(initMs !== undefined && { initMs }),
        receivedAt: at - e2e,
        dispatchedAt: at - e2e + 1,
        execStartAt: at - durationMs - 2,
        execEndAt: at - 2,
        respondedAt: at,
        outcome,
        ...(ran ? { durationMs, billedMs: Math.ceil(durationMs + (initMs ?? 0)) } : { durationMs: undefined, billedMs: 0 }),
        ...(i % 50 < 5 && { faultIds: ['f1'] }),
      }),
    );
  }
  for (const r of out) for (const k of Object.keys(r) as (keyof LedgerRecord)[]) if (r[k] === undefined) delete r[k];
  return out;
}

const COLLECTOR_OPTIONS = { prices: defaultPriceTable(), freeTier: false, lateGraceMs: 5000, maxZoneColumns: 64, maxInFlightSpanSeconds: 31 * 24 * 3600 };

/** What a report would fold from every record: the reference the aggregate must equal. */
function reference(records: LedgerRecord[]): { collector: RunCollector; rows: SecondRow[] } {
  const rows: SecondRow[] = [];
  const collector = new RunCollector(COLLECTOR_OPTIONS, { onSecond: (row) => rows.push(row) });
  for (const r of records) collector.add(r);
  collector.finish();
  return { collector, rows };
}

/** One coordinator run on `dir`: the aggregator decides, the sink writes, both stop. */
async function run(dir: string, detail: LedgerDetail | undefined, records: LedgerRecord[], options: { stop?: boolean } = {}): Promise<RunAggregator> {
  const aggregator = new RunAggregator({ dir, ...(detail && { detail }) });
  await aggregator.start();
  const sink = new SyncLedgerWriter({ dir, flushThresholdBytes: 16 * 1024 });
  await sink.start();
  for (const r of records) if (aggregator.add(r)) sink.append(r);
  await sink.close();
  if (options.stop !== false) aggregator.stop();
  return aggregator;
}

function savedAggregate(dir: string): RunAggregateFile {
  return parseRunAggregateFile(JSON.parse(readFileSync(join(dir, 'aggregate.json'), 'utf8')));
}

async function recordIds(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of readLedger(dir)) ids.push(`${r.requestId}#${r.attempt}`);
  return ids;
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const RECORDS = attempts(1000);

t.test('sampled 0.1: a tenth of the records are written; the saved aggregate is that of every record', async (t) => {
  const dir = await tempDir(t);
  const detail: LedgerDetail = { level: 'sampled', rate: 0.1 };
  const aggregator = await run(dir, detail, RECORDS);
  const expected = RECORDS.filter((r) => detailWrites(detail, r)).map((r) => `${r.requestId}#${r.attempt}`);
  t.ok(expected.length > 70 && expected.length < 130, `${expected.length} of 1000 chosen`);
  t.same(await recordIds(dir), expected, 'the files hold exactly the chosen records');
  t.same(aggregator.stats, { records: 1000, written: expected.length, notWritten: 1000 - expected.length, aggregating: true });

  const saved = savedAggregate(dir);
  t.match(saved, { detail, records: 1000, written: expected.length, complete: true, gaps: [] });
  const ref = reference(RECORDS);
  t.same(saved.collector, json(ref.collector.exportState()), 'the collector state equals a fold of every record');
  t.equal(saved.seconds, ref.rows.length);
  t.equal(readFileSync(join(dir, 'seconds.ndjson'), 'utf8'), ref.rows.map(encodeSecondRow).join(''), 'the per-second rows too');
  t.same(JSON.parse(readFileSync(join(dir, 'detail.json'), 'utf8')), { formatVersion: 1, detail, state: 'stopped', aggregate: true });

  // Restored, it answers as the reference does: the bill, the percentiles, the in-flight counts.
  const restored = RunCollector.fromState(saved.collector, { prices: saved.prices }, { onSecond: () => {} });
  t.same(restored.billing.snapshot(), ref.collector.billing.snapshot());
  t.ok(ref.collector.billing.snapshot().run.usd.total > 0);
  t.same(restored.latency.snapshot(), ref.collector.latency.snapshot());
  t.same(restored.run, ref.collector.run);
  const inFlight = ref.rows.map((row) => ref.collector.inFlight.at(row.t));
  t.same(ref.rows.map((row) => restored.inFlight.at(row.t)), inFlight, 'in-flight counts per second');
  t.ok(inFlight.some((n) => (n ?? 0) > 0), 'some attempts were in flight');
});

t.test('aggregate: no records at all, the same aggregate', async (t) => {
  const dir = await tempDir(t);
  const aggregator = await run(dir, { level: 'aggregate' }, RECORDS);
  t.same(await recordIds(dir), []);
  t.equal(aggregator.stats.notWritten, 1000);
  t.same(savedAggregate(dir).collector, json(reference(RECORDS).collector.exportState()));
  t.equal(savedAggregate(dir).written, 0);
});

t.test('two runs with the same records write the same files (a replay is byte for byte)', async (t) => {
  const contents: Record<string, string>[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = await tempDir(t);
    await run(dir, { level: 'sampled', rate: 0.1 }, RECORDS);
    const files: Record<string, string> = {};
    for (const name of (await readdir(dir)).sort()) files[name] = await readFile(join(dir, name), 'utf8');
    contents.push(files);
  }
  t.same(Object.keys(contents[0]!), ['aggregate.json', 'detail.json', 'ledger-000001.ndjson', 'seconds.ndjson']);
  t.same(contents[1], contents[0]);
});

t.test('full: every record written, no aggregate kept', async (t) => {
  const dir = await tempDir(t);
  const aggregator = await run(dir, undefined, RECORDS);
  t.equal((await recordIds(dir)).length, 1000);
  t.same(aggregator.stats, { records: 1000, written: 1000, notWritten: 0, aggregating: false });
  t.same((await readdir(dir)).sort(), ['detail.json', 'ledger-000001.ndjson']);
  t.same(JSON.parse(readFileSync(join(dir, 'detail.json'), 'utf8')), { formatVersion: 1, detail: { level: 'full' }, state: 'stopped', aggregate: false });
});

t.test('a restart goes on from the saved aggregate', async (t) => {
  const dir = await tempDir(t);
  const first = RECORDS.slice(0, 500);
  // The second run starts 10 s after the first stopped (no record lands in a second already closed).
  const later = attempts(500, { seed: 12, start: first.at(-1)!.respondedAt + 10_000, prefix: 'later' });
  await run(dir, { level: 'sampled', rate: 0.1 }, first);
  await run(dir, { level: 'sampled', rate: 0.1 }, later);
  const saved = savedAggregate(dir);
  const ref = reference([...first, ...later]);
  t.match(saved, { records: 1000, complete: true, gaps: [] });
  t.same(saved.collector, json(ref.collector.exportState()), 'as if one run had seen every record');
  t.equal(readFileSync(join(dir, 'seconds.ndjson'), 'utf8'), ref.rows.map(encodeSecondRow).join(''));
  t.equal((await readdir(dir)).filter((n) => n.startsWith('ledger-')).length, 2, 'each run opened its own file');
});

t.test('a run that did not stop cleanly leaves a gap: the next aggregate says it is not complete', async (t) => {
  const dir = await tempDir(t);
  await run(dir, { level: 'sampled', rate: 0.1 }, RECORDS.slice(0, 300));
  await run(dir, { level: 'sampled', rate: 0.1 }, RECORDS.slice(300, 600), { stop: false }); // killed
  t.equal(JSON.parse(readFileSync(join(dir, 'detail.json'), 'utf8')).state, 'running', 'detail.json says it never stopped');
  await run(dir, { level: 'sampled', rate: 0.1 }, attempts(100, { seed: 3, start: T0 + 3_600_000, prefix: 'after' }));
  const saved = savedAggregate(dir);
  t.equal(saved.complete, false);
  t.equal(saved.records, 400, 'the saved 300 and the last 100: the killed run is lost');
  t.match(saved.gaps, [{ reason: /did not stop cleanly/ }]);

  // Killed before it ever saved one: there is nothing to go on from.
  const dir2 = await tempDir(t);
  await run(dir2, { level: 'aggregate' }, RECORDS.slice(0, 100), { stop: false });
  await run(dir2, { level: 'aggregate' }, attempts(10, { start: T0 + 3_600_000, prefix: 'after' }));
  t.match(savedAggregate(dir2), { complete: false, records: 10, gaps: [{ reason: /saved no aggregate/ }] });
});

t.test('switching a full ledger to sampled folds the earlier records in; full after sampled keeps the aggregate', async (t) => {
  const dir = await tempDir(t);
  const first = RECORDS.slice(0, 400);
  const later = attempts(300, { seed: 5, start: first.at(-1)!.respondedAt + 10_000, prefix: 'later' });
  // A full run written by the real-process writer.
  const writer = new LedgerWriter({ dir });
  await writer.start();
  for (const r of first) writer.append(r);
  await writer.close();
  await run(dir, { level: 'sampled', rate: 0.1 }, later);
  let saved = savedAggregate(dir);
  t.match(saved, { records: 700, complete: true });
  t.same(saved.collector, json(reference([...first, ...later]).collector.exportState()));

  const last = attempts(100, { seed: 6, start: later.at(-1)!.respondedAt + 10_000, prefix: 'last' });
  const aggregator = await run(dir, { level: 'full' }, last);
  t.equal(aggregator.stats.aggregating, true, 'the directory has a sampled past: its totals must come from the aggregate');
  saved = savedAggregate(dir);
  t.match(saved, { records: 800, detail: { level: 'full' }, complete: true });
  t.same(saved.collector, json(reference([...first, ...later, ...last]).collector.exportState()));
});

t.test('a saved aggregate that cannot be read is reported and a new one begins (start does not fail)', async (t) => {
  const dir = await tempDir(t);
  await run(dir, { level: 'aggregate' }, RECORDS.slice(0, 50));
  await writeFile(join(dir, 'aggregate.json'), '{"formatVersion":1,"broken":');
  const errors: object[] = [];
  const aggregator = new RunAggregator({ dir, detail: { level: 'aggregate' } }, { logger: { error: (o) => void errors.push(o), warn() {}, info() {} } });
  await aggregator.start();
  t.ok(errors.length > 0, 'logged');
  aggregator.stop();
  t.match(savedAggregate(dir), { complete: false, records: 0, gaps: [{ reason: /could not be read/ }] });
  t.throws(() => parseRunAggregateFile({ formatVersion: 2 }, 'x.json'), { code: 'LEDGER_INVALID_STATE', field: '/formatVersion', file: 'x.json' });
});

t.test('state round trips: billing, latency and in-flight go on exactly where they were saved', async (t) => {
  const [a, b] = [RECORDS.slice(0, 600), RECORDS.slice(600)];
  const billing = new BillingAccumulator({ freeTier: true });
  const latency = new LatencyRecorder();
  const inFlight = new InFlightCounter({ maxSpanSeconds: 10_000 });
  for (const r of a) {
    billing.add(r);
    latency.record(r);
    inFlight.add(r.receivedAt, r.respondedAt);
  }
  const billing2 = new BillingAccumulator({ freeTier: true });
  billing2.importState(json(billing.exportState()));
  const latency2 = new LatencyRecorder();
  latency2.importState(json(latency.exportState()));
  const inFlight2 = new InFlightCounter({ maxSpanSeconds: 10_000 });
  inFlight2.importState(json(inFlight.exportState()));
  let chargesDiffer = 0;
  for (const r of b) {
    if (JSON.stringify(billing2.add(r)) !== JSON.stringify(billing.add(r))) chargesDiffer++;
    latency.record(r);
    latency2.record(r);
    inFlight.add(r.receivedAt, r.respondedAt);
    inFlight2.add(r.receivedAt, r.respondedAt);
  }
  t.equal(chargesDiffer, 0, 'every later attempt is charged the same');
  t.same(billing2.snapshot(), billing.snapshot());
  t.ok(billing.snapshot().run.freeTier.requests > 0, 'the free tier was in play');
  t.same(latency2.snapshot(), latency.snapshot(), 'min, max and every percentile');
  t.same(latency2.stats, latency.stats);
  for (const phase of Object.values(LatencyPhase)) t.same(latency2.summary({ phase }), latency.summary({ phase }), phase);
  for (let s = Math.floor(T0 / 1000); s < Math.floor(RECORDS.at(-1)!.respondedAt / 1000) + 2; s++) {
    if (inFlight2.at(s * 1000) !== inFlight.at(s * 1000)) t.fail(`in flight at ${s}`);
  }
  t.throws(() => billing2.importState(billing.exportState()), { code: 'LEDGER_INVALID_STATE' }, 'only into a fresh accumulator');
  t.throws(() => new BillingAccumulator().importState({ ...json(billing.exportState()), freeMbMsLeft: 1.5 }), { code: 'LEDGER_INVALID_STATE', field: '/freeMbMsLeft' });
  t.throws(() => new LatencyRecorder().importState({ stats: { recorded: 1, skipped: 0, folded: 0 }, entries: [{ functionName: 'f', zone: 'z', histograms: { endToEnd: { encoded: 'nope', max: 1, minNonZero: 1 } } }] }), {
    code: 'LEDGER_INVALID_STATE',
    field: '/entries/0/histograms/endToEnd/encoded',
  });
});

t.test('attempts recorded before start are folded in after the restore (none are held at full)', async (t) => {
  const dir = await tempDir(t);
  const aggregator = new RunAggregator({ dir, detail: { level: 'aggregate' } });
  for (const r of RECORDS.slice(0, 5)) aggregator.add(r);
  await aggregator.start();
  for (const r of RECORDS.slice(5)) aggregator.add(r);
  aggregator.stop();
  t.match(savedAggregate(dir), { records: 1000, complete: true });
  t.same(savedAggregate(dir).collector, json(reference(RECORDS).collector.exportState()));

  // A full run on that directory must keep the aggregate, but held nothing before start: a gap says so.
  const later = attempts(10, { start: T0 + 3_600_000, prefix: 'later' });
  const full = new RunAggregator({ dir });
  full.add(later[0]!);
  await full.start();
  for (const r of later.slice(1)) full.add(r);
  full.stop();
  t.match(savedAggregate(dir), { records: 1010, complete: false, gaps: [{ reason: /1 attempts recorded before the ledger started/ }] });
});
