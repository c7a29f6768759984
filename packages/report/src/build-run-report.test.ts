import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BillingAccumulator, LedgerWriter, attemptRan, type LedgerRecord } from '@zonesim/ledger';
import t from 'tap';
import { buildRunReport } from './build-run-report.js';
import { REPORT_CHARTS } from './html-report.js';
import type { RunSummary } from './summary.js';
import { RUN_T0, writeRunFixture, type RunFixture } from './test-util/run-fixture.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const countBy = <T>(items: T[], key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of items) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
};

function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = text.trimEnd().split('\n');
  const header = lines[0]!.split(',');
  return { header, rows: lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v]))) };
}

// One fixture run shared by the tests that only read its report.
let fixture: RunFixture;
let summary: RunSummary;
let outDir: string;
t.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-report-'));
  fixture = await writeRunFixture(dir, { maxFileBytes: 16 * 1024 });
  const report = await buildRunReport({ dataDir: dir });
  summary = report.summary;
  outDir = join(dir, 'report');
});
t.teardown(() => rm(fixture.dataDir, { recursive: true, force: true }));

t.test('summary.json counts match the records written', async (t) => {
  const records = fixture.records;
  const onDisk = JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
  t.same(onDisk.counts, summary.counts, 'the file holds the returned summary');
  t.ok(onDisk.input.ledgerFiles > 1, `the ledger rotated over ${onDisk.input.ledgerFiles} files and all were read`);
  t.equal(summary.input.records, records.length);
  t.equal(summary.counts.attempts, records.length);
  t.equal(summary.counts.invocations, records.filter((r) => r.attempt === 1).length);
  const outcomes = countBy(records, (r) => r.outcome);
  for (const o of ['success', 'function-error', 'throttled', 'service-error', 'lost'] as const) t.equal(summary.counts.byOutcome[o], outcomes[o] ?? 0, `outcome ${o}`);
  t.ok(Object.values(outcomes).every((n) => n > 0) && Object.keys(outcomes).length === 5, 'the fixture has every outcome');
  t.same(summary.counts.byInvocationType, countBy(records, (r) => r.invocationType));
  const cold = (r: LedgerRecord) => r.cold === true && attemptRan(r);
  t.equal(summary.counts.coldStarts, records.filter(cold).length);
  t.ok(summary.counts.coldStarts > 0);
  t.equal(summary.counts.retries, records.filter((r) => r.attempt > 1).length);
  t.ok(summary.counts.retries > 0);
  t.equal(summary.counts.duplicates, 1);
  for (const [fn, n] of Object.entries(countBy(records, (r) => r.functionName))) {
    t.equal(summary.byFunction[fn]?.attempts, n, `${fn} attempts`);
    t.equal(summary.byFunction[fn]?.coldStarts, records.filter((r) => r.functionName === fn && cold(r)).length, `${fn} cold starts`);
  }
  t.same(
    Object.fromEntries(Object.entries(summary.byZone).map(([z, c]) => [z, c.attempts])),
    countBy(records, (r) => r.zone ?? '(none)'),
    'attempts per zone, (none) for the throttles',
  );
  t.equal(summary.run.start, Math.min(...records.map((r) => r.receivedAt)));
  t.equal(summary.run.end, Math.max(...records.map((r) => r.respondedAt)));
  t.equal(summary.input.lateForTimeSeries, 0);
});

t.test('latency percentiles per phase, overall and per function x zone', async (t) => {
  const ran = fixture.records.filter((r) => r.outcome === 'success' || r.outcome === 'function-error');
  const e2e = summary.latency.overall.endToEnd!;
  t.equal(e2e.count, ran.length, 'success and function-error attempts');
  const maxMs = Math.max(...ran.map((r) => r.respondedAt - r.receivedAt));
  t.ok(Math.abs(e2e.max - maxMs) <= maxMs * 0.001 + 0.001, `max ${e2e.max} ~ ${maxMs}`);
  t.ok(e2e.p50 <= e2e.p90 && e2e.p90 <= e2e.p99 && e2e.p99 <= e2e.p999, 'percentiles rise');
  t.equal(summary.latency.overall.init?.count, ran.filter((r) => r.initMs !== undefined).length);
  const pairs = countBy(ran, (r) => `${r.functionName}/${r.zone}`);
  t.equal(summary.latency.byFunctionZone.length, Object.keys(pairs).length);
  for (const e of summary.latency.byFunctionZone) t.equal(e.phases.endToEnd?.count, pairs[`${e.functionName}/${e.zone}`], `${e.functionName} x ${e.zone}`);
  t.equal(summary.latency.byFunction.checkout?.endToEnd?.count, ran.filter((r) => r.functionName === 'checkout').length);
});

t.test('billing: the same bill as the accumulator, parts adding up, provisioned concurrency and faults', async (t) => {
  const expected = new BillingAccumulator();
  for (const r of fixture.records) expected.add(r);
  for (const p of fixture.provisioned) expected.addProvisionedConcurrency({ ...p, disabledAt: p.disabledAt ?? summary.run.end! });
  const want = expected.snapshot();
  t.same(summary.billing.run, want.run, 'run totals');
  t.same(summary.billing.byFunction, want.byFunction, 'per function');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum(Object.values(summary.billing.byFunction).map((b) => b.usd.total)) - summary.billing.run.usd.total) < 1e-12, 'functions add up to the run');
  t.ok(Math.abs(sum(Object.values(summary.billing.byZone).map((b) => b.usd.total)) - summary.billing.run.usd.total) < 1e-12, 'zones add up to the run');
  t.ok(summary.billing.run.usd.provisionedDuration > 0, 'some attempts ran on provisioned environments');

  // checkout:live: 2 x 128 MB, 70 s enabled -> 300 s billed: 75 GB-s at $0.0000041667 (x86_64).
  // thumbnail:prod: 1 x 512 MB arm64 from +10 s to the run's end (still enabled) -> 300 s: 150 GB-s at $0.0000033334.
  const [live, prod] = summary.provisionedConcurrency.allocations;
  t.match(live, { functionName: 'checkout', qualifier: 'live', billedSeconds: 300, gbSeconds: 75 });
  t.ok(Math.abs(live!.usd - 75 * 0.0000041667) < 1e-15, `checkout:live ${live!.usd}`);
  t.match(prod, { functionName: 'thumbnail', billedUntil: summary.run.end, billedSeconds: 300, gbSeconds: 150 });
  t.ok(Math.abs(prod!.usd - 150 * 0.0000033334) < 1e-15, `thumbnail:prod ${prod!.usd}`);
  t.ok(Math.abs(summary.provisionedConcurrency.totalUsd - live!.usd - prod!.usd) < 1e-15, 'PC total');

  t.equal(summary.faults.length, 2);
  const [f1, f2] = summary.faults;
  t.match(f1, { id: 'f1', action: 'kill-zone', target: 'az-b', startAt: RUN_T0 + 20_000, endAt: RUN_T0 + 35_000 });
  t.match(f2, { id: 'f2', action: 'partition', target: { zone: 'az-c' }, endAt: null });
  const inF1 = fixture.records.filter((r) => r.faultIds?.includes('f1'));
  t.equal(f1!.cost.attempts, inF1.length, 'attempts received during f1');
  t.equal(f1!.cost.retries.count, inF1.filter((r) => r.attempt > 1).length);
  t.ok(f1!.cost.coldStarts.count > 0, 'the zone kill caused cold starts');
  t.ok(f1!.cost.totalUsd > 0);
  t.same(f1!.cost, want.byFault.f1);
  t.match(summary.prices, { region: 'us-east-1', currency: 'USD', asOf: /^\d{4}-\d{2}/, freeTier: false });
});

t.test('timeseries.csv: one row per second with the right counts', async (t) => {
  const { header, rows } = parseCsv(await readFile(join(outDir, 'timeseries.csv'), 'utf8'));
  t.same(header.slice(0, 13), ['time', 'elapsed_s', 'invocations', 'successes', 'function_errors', 'service_errors', 'errors', 'throttles', 'cold_starts', 'p50_ms', 'p99_ms', 'in_flight', 'cost_usd']);
  t.same(header.slice(13), ['zone:az-a', 'zone:az-b', 'zone:az-c', 'zone:(none)'], 'a throughput column per zone, sorted');
  const records = fixture.records;
  const first = floorSecond(Math.min(...records.map((r) => r.respondedAt)));
  const last = floorSecond(Math.max(...records.map((r) => r.respondedAt)));
  t.equal(rows.length, (last - first) / 1000 + 1, 'one row per second, first to last');
  t.equal(summary.timeSeries.seconds, rows.length);
  rows.forEach((row, i) => {
    const second = first + i * 1000;
    if (row.time !== new Date(second).toISOString()) t.fail(`row ${i} is ${row.time}, not ${new Date(second).toISOString()}`);
    const here = records.filter((r) => floorSecond(r.respondedAt) === second);
    const got = [row.invocations, row.successes, row.throttles, row.cold_starts, row.function_errors, row['zone:az-b'], row['zone:(none)'], row.in_flight].map(Number);
    const want = [
      here.length,
      here.filter((r) => r.outcome === 'success').length,
      here.filter((r) => r.outcome === 'throttled').length,
      here.filter((r) => r.cold === true && attemptRan(r)).length,
      here.filter((r) => r.outcome === 'function-error').length,
      here.filter((r) => r.zone === 'az-b').length,
      here.filter((r) => r.zone === undefined).length,
      records.filter((r) => r.receivedAt <= second && second < r.respondedAt).length,
    ];
    if (JSON.stringify(got) !== JSON.stringify(want)) t.fail(`second ${row.time}: invocations, successes, throttles, cold, errors, az-b, none, in flight = ${got} want ${want}`);
    const zones = header.slice(13).reduce((s, h) => s + Number(row[h]), 0);
    if (zones !== Number(row.invocations)) t.fail(`second ${row.time}: zone columns add to ${zones}, not ${row.invocations}`);
  });
  t.equal(rows.reduce((s, r) => s + Number(r.invocations), 0), records.length, 'every record is in one row');
  const zeroF1 = rows.filter((r) => Date.parse(r.time!) >= RUN_T0 + 21_000 && Date.parse(r.time!) + 1000 <= RUN_T0 + 35_000);
  t.ok(zeroF1.length > 0 && zeroF1.every((r) => r['zone:az-b'] === '0'), 'nothing ran in az-b while it was killed');
  const costs = rows.map((r) => Number(r.cost_usd));
  t.ok(costs.every((c, i) => i === 0 || c >= costs[i - 1]!), 'cost so far never falls');
  t.ok(Math.abs(costs.at(-1)! - summary.billing.run.usd.total) < 1e-9, `last cost ${costs.at(-1)} = run total ${summary.billing.run.usd.total}`);
});

t.test('report.html: one self-contained file, no network references, every chart', async (t) => {
  const html = await readFile(join(outDir, 'report.html'), 'utf8');
  t.notMatch(html, /<script[^>]*\bsrc\s*=/i, 'no external script');
  t.notMatch(html, /<link\b/i, 'no link elements (style sheets, fonts, icons)');
  t.notMatch(html, /<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?\s*(https?:)?\/\//i, 'no http(s) or protocol-relative references');
  t.notMatch(html, /url\(\s*["']?(https?:)?\/\//i, 'no remote CSS url()');
  t.match(html, /Content-Security-Policy" content="default-src 'none'/, 'a CSP that forbids the network');
  t.match(html, /Chart\.js v4/, 'Chart.js is inline');
  for (const c of REPORT_CHARTS) t.match(html, `data-chart="${c.id}"`, `chart ${c.id}`);
  const json = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  t.ok(json, 'the data is embedded');
  const data = JSON.parse(json![1]!) as { series: { t: number[] }; faults: unknown[] };
  t.equal(data.series.t.length, summary.timeSeries.seconds, 'a short run keeps one point per second');
  t.equal(data.faults.length, 2);
  t.ok(html.length < 1_000_000, `${html.length} bytes`);
});

t.test('a long run is downsampled to maxChartPoints', async (t) => {
  const dir = await tempDir(t);
  const fx = await writeRunFixture(dir, { seconds: 95 });
  const report = await buildRunReport({ dataDir: dir, maxChartPoints: 10 });
  const s = report.series;
  const rows = report.summary.timeSeries.seconds;
  t.equal(s.bucketSeconds, Math.ceil(rows / 10));
  t.ok(s.t.length <= 10, `${s.t.length} points`);
  t.equal(s.t.length, Math.ceil(rows / s.bucketSeconds));
  t.equal(s.coldStarts.reduce((a, b) => a + b, 0), report.summary.counts.coldStarts, 'bucket totals keep every cold start');
  t.equal(s.throttles.reduce((a, b) => a + b, 0), report.summary.counts.byOutcome.throttled);
  t.ok(Math.abs(s.costUsd.at(-1)! - report.summary.billing.run.usd.total) < 1e-9, 'the last point is the run total');
  const perSecondMax = Math.max(...fx.records.filter((r) => attemptRan(r)).map((r) => r.respondedAt - r.receivedAt));
  t.ok(Math.max(...s.p99Ms.map((x) => x ?? 0)) <= perSecondMax * 1.01 + 1, 'p99 is never above the real maximum');
  t.equal(report.summary.timeSeries.chartBucketSeconds, s.bucketSeconds);
});

t.test('no ledger: REPORT_NO_LEDGER, and nothing written', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(buildRunReport({ dataDir: dir }), { code: 'REPORT_NO_LEDGER', file: join(dir, 'ledger') });
  await mkdir(join(dir, 'ledger'));
  await writeFile(join(dir, 'ledger', 'notes.txt'), 'x');
  await t.rejects(buildRunReport({ dataDir: dir }), { code: 'REPORT_NO_LEDGER' }, 'a ledger folder without ledger files');
  t.same((await readdir(dir)).sort(), ['ledger']);
});

t.test('an empty ledger makes an empty report', async (t) => {
  const dir = await tempDir(t);
  const writer = new LedgerWriter({ dir: join(dir, 'ledger') });
  await writer.start();
  await writer.close();
  const report = await buildRunReport({ dataDir: dir, outDir: join(dir, 'out') });
  t.equal(report.summary.counts.attempts, 0);
  t.match(report.summary.run, { start: null, end: null, durationSeconds: 0 });
  t.equal(report.summary.faults.length, 0);
  t.equal(report.summary.input.faultsFile, false);
  t.equal((await readFile(join(dir, 'out', 'timeseries.csv'), 'utf8')).trimEnd().split('\n').length, 1, 'only the header');
  t.match(report.table, /TOTAL\s+0\s+0\s+-/);
});

t.test('a bad line in faults.ndjson names the file, line and field', async (t) => {
  const dir = await tempDir(t);
  await writeRunFixture(dir, { seconds: 3 });
  await writeFile(join(dir, 'faults.ndjson'), '{"id":"f1","action":"kill-zone","target":"az-a","startAt":1}\n{"id":"f2","action":"x","startAt":-5}\n');
  await t.rejects(buildRunReport({ dataDir: dir }), { code: 'REPORT_INVALID_INPUT', file: join(dir, 'faults.ndjson'), line: 2, field: 'startAt' });
});

t.test('a bad ledger line is the ledger error, and the previous report stays whole', async (t) => {
  const dir = await tempDir(t);
  await writeRunFixture(dir, { seconds: 3 });
  const first = await buildRunReport({ dataDir: dir });
  const before = await readFile(first.files.summary, 'utf8');
  const ledger = join(dir, 'ledger', 'ledger-000001.ndjson');
  await writeFile(ledger, (await readFile(ledger, 'utf8')) + '{"v":1,"requestId":"x"}\n');
  await t.rejects(buildRunReport({ dataDir: dir }), { code: 'LEDGER_INVALID_RECORD' });
  t.equal(await readFile(first.files.summary, 'utf8'), before, 'summary.json untouched');
  t.same((await readdir(join(dir, 'report'))).sort(), ['report.html', 'summary.json', 'timeseries.csv'], 'no scratch files left');
});

t.test('an aborted build rejects and leaves no scratch files', async (t) => {
  const dir = await tempDir(t);
  await writeRunFixture(dir, { seconds: 3 });
  const ac = new AbortController();
  ac.abort();
  await t.rejects(buildRunReport({ dataDir: dir, signal: ac.signal }), { name: 'AbortError' });
  const left = await readdir(join(dir, 'report')).catch(() => []);
  t.same(left, []);
});

t.test('options are checked, naming the field', async (t) => {
  await t.rejects(buildRunReport({ dataDir: '' }), { code: 'REPORT_INVALID_OPTION', field: 'dataDir' });
  await t.rejects(buildRunReport({ dataDir: '/x', maxChartPoints: 1 }), { code: 'REPORT_INVALID_OPTION', field: 'maxChartPoints' });
});
