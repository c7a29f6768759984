// Issue 16: a ledger written at detail `sampled` or `aggregate` keeps a sample of its records (or
// none), and `zonesim report` over it gives the totals of every attempt, from the exact aggregate
// its coordinator saved. Here the same run is written at each level and the reports compared.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPriceTable, readLedger, type LedgerDetail, type PriceTable } from '@zonesim/ledger';
import t from 'tap';
import { buildRunReport, type RunReport } from './build-run-report.js';
import type { RunSummary } from './summary.js';
import { writeRunFixture } from './test-util/run-fixture.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-report-detail-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The same 90-second run (same seed), its ledger written at `detail`. */
async function runAt(t: { teardown(fn: () => unknown): void }, detail: LedgerDetail | undefined, options: { stop?: boolean } = {}) {
  const dir = await tempDir(t);
  const fixture = await writeRunFixture(dir, { seconds: 90, maxFileBytes: 16 * 1024, ...(detail && { detail }), ...options });
  let onDisk = 0;
  for await (const _ of readLedger(join(dir, 'ledger'))) onDisk++;
  return { dir, fixture, onDisk };
}

/** Everything a reader of the report relies on: the summary but for when and from what it was made. */
function totals(summary: RunSummary): Omit<RunSummary, 'generatedAt' | 'dataDir' | 'input'> & { input: Partial<RunSummary['input']> } {
  const { generatedAt: _g, dataDir: _d, input, ...rest } = summary;
  const { ledgerFiles: _f, detail: _detail, ...inputRest } = input;
  return { ...rest, input: inputRest };
}

let full: { dir: string; report: RunReport; csv: string };
t.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-report-detail-'));
  await writeRunFixture(dir, { seconds: 90, maxFileBytes: 16 * 1024 });
  const report = await buildRunReport({ dataDir: dir });
  full = { dir, report, csv: await readFile(report.files.timeseries, 'utf8') };
});
t.teardown(() => rm(full.dir, { recursive: true, force: true }));

t.test('a sampled ledger reports the exact totals of the full one', async (t) => {
  const run = await runAt(t, { level: 'sampled', rate: 0.1 });
  const all = run.fixture.records.length;
  t.ok(run.onDisk > all * 0.05 && run.onDisk < all * 0.15, `${run.onDisk} of ${all} records on disk`);
  const report = await buildRunReport({ dataDir: run.dir });
  t.same(report.summary.input.detail, { level: 'sampled', rate: 0.1, source: 'aggregate', exact: true, recordsWritten: run.onDisk, notes: [] });
  t.equal(report.summary.input.records, all, 'the totals cover every attempt');
  t.equal(report.summary.counts.attempts, all);
  t.ok(full.report.summary.billing.run.usd.total > 0);
  t.same(totals(report.summary), totals(full.report.summary), 'counts, latency, the bill, faults, provisioned concurrency: all equal');
  t.equal(await readFile(report.files.timeseries, 'utf8'), full.csv, 'timeseries.csv is the same file');
  t.same(report.series, full.report.series, 'and the charts');
  t.match(report.table, new RegExp(`Ledger: ${run.onDisk} of ${all} records written \\(sampled at 0\\.1\\); totals from the saved aggregate, exact`));
  t.same(full.report.summary.input.detail, { level: 'full', rate: null, source: 'records', exact: true, recordsWritten: all, notes: [] });
  t.notMatch(full.report.table, /Ledger:/, 'a full ledger needs no note');
});

t.test('an aggregate ledger (no records at all) reports the same totals', async (t) => {
  const run = await runAt(t, { level: 'aggregate' });
  t.equal(run.onDisk, 0);
  const report = await buildRunReport({ dataDir: run.dir });
  t.match(report.summary.input.detail, { level: 'aggregate', rate: null, source: 'aggregate', exact: true, recordsWritten: 0 });
  t.same(totals(report.summary), totals(full.report.summary));
  t.equal(await readFile(report.files.timeseries, 'utf8'), full.csv);
});

t.test('the saved bill cannot be re-priced: other prices or free tier are refused, naming the option', async (t) => {
  const run = await runAt(t, { level: 'sampled', rate: 0.5 });
  const other: PriceTable = structuredClone(defaultPriceTable());
  other.requests.usdPerRequest = 0.0000004;
  await t.rejects(buildRunReport({ dataDir: run.dir, prices: other }), { code: 'REPORT_INVALID_OPTION', field: 'prices' });
  await t.rejects(buildRunReport({ dataDir: run.dir, freeTier: true }), { code: 'REPORT_INVALID_OPTION', field: 'freeTier' });
  const same = await buildRunReport({ dataDir: run.dir, prices: defaultPriceTable(), freeTier: false });
  t.equal(same.summary.billing.run.usd.total, full.report.summary.billing.run.usd.total, 'the same prices given explicitly are fine');
});

t.test('a sampled ledger whose coordinator died saved no aggregate: the report says its totals are not exact', async (t) => {
  const run = await runAt(t, { level: 'sampled', rate: 0.1 }, { stop: false });
  const warnings: object[] = [];
  const report = await buildRunReport({ dataDir: run.dir }, { logger: { warn: (o) => void warnings.push(o), error() {}, info() {} } });
  t.match(report.summary.input.detail, { level: 'sampled', rate: 0.1, source: 'records', exact: false, recordsWritten: run.onDisk, notes: [/no aggregate\.json was saved/] });
  t.equal(report.summary.counts.attempts, run.onDisk, 'only what was written');
  t.match(report.table, /NOT exact/);
  t.ok(warnings.length > 0, 'and it is logged');
});
