import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  LedgerStateError,
  RUN_AGGREGATE_FILE,
  RUN_SECONDS_FILE,
  RunCollector,
  decodeSecondRow,
  encodeSecondRow,
  listLedgerFiles,
  noopLogger,
  readLedger,
  readLedgerDetailFile,
  readRunAggregate,
  samePriceTable,
  type LedgerLogger,
  type LedgerReadStats,
  type RunAggregateFile,
} from '@zonesim/ledger';
import { Downsampler, type ChartSeries } from './downsample.js';
import { ReportErrorCode, ReportInputError, ReportOptionsError } from './errors.js';
import type { FinalRow } from './final-row.js';
import { loadHtmlAssets, renderHtmlReport } from './html-report.js';
import { resolveRunReportOptions, type ResolvedRunReportOptions, type RunReportComponents, type RunReportOptions } from './options.js';
import { readFaultsFile, readProvisionedFile, type ProvisionedEntry } from './side-files.js';
import { buildRunSummary, provisionedAccruedUsd, type LedgerDetailSummary, type RunSummary } from './summary.js';
import { renderRunTable } from './table.js';
import { timeseriesCsvHeader, timeseriesCsvRow } from './timeseries-csv.js';

/** File names inside the report folder. */
export const REPORT_FILES = { summary: 'summary.json', timeseries: 'timeseries.csv', html: 'report.html' } as const;

/** What {@link buildRunReport} made. */
export interface RunReport {
  summary: RunSummary;
  /** The terminal summary table (plain text, aligned). */
  table: string;
  /** The chart series embedded in the HTML (at most `maxChartPoints` points). */
  series: ChartSeries;
  /** Absolute or as-given paths of the files written. */
  files: { summary: string; timeseries: string; html: string };
}

/**
 * Builds the reports of a run from a coordinator's data directory and writes them to `outDir`:
 * `summary.json`, `timeseries.csv` (one row per second) and `report.html` (self-contained, opens
 * offline). The ledger is streamed once; memory holds the histograms, the bill, the counters and
 * the open seconds, never the records. Each file is written under a temporary name and renamed,
 * so a failed or cancelled build leaves the previous report whole.
 *
 * A ledger written at detail `sampled` or `aggregate` holds a sample of the records, or none; its
 * coordinator saved the run's exact aggregate beside them (`aggregate.json`, `seconds.ndjson`),
 * and the report is built from that instead of the records, so its totals, percentiles, per-second
 * rows and bill are those of every attempt. That bill was computed at run time: `prices` and
 * `freeTier` default to the ones it used, and other ones are refused (re-pricing needs every
 * record). `summary.input.detail` says which source was used and whether the totals are exact.
 *
 * Throws a `ReportInputError` with code `REPORT_NO_LEDGER` when `<dataDir>/ledger` has no ledger
 * file (and no aggregate), `REPORT_INVALID_INPUT` for a bad line in `provisioned.ndjson` or
 * `faults.ndjson`, a `ReportOptionsError` for prices other than an aggregate's, the ledger's
 * `LedgerRecordError` for a bad ledger line and its `LedgerStateError` for a bad aggregate.
 */
export async function buildRunReport(options: RunReportOptions, components: RunReportComponents = {}): Promise<RunReport> {
  const resolved = resolveRunReportOptions(options);
  const logger = components.logger ?? noopLogger;
  const { signal } = resolved;
  const source = await ledgerSource(resolved, options, logger);
  const opts = source.opts;
  if (!source.aggregate) await assertLedger(opts.ledgerDir, signal);
  const [provisioned, faults] = await Promise.all([
    readProvisionedFile(opts.provisionedFile, { maxEntries: opts.maxSideFileEntries, ...(signal && { signal }) }),
    readFaultsFile(opts.faultsFile, { maxEntries: opts.maxSideFileEntries, ...(signal && { signal }) }),
  ]);
  await mkdir(opts.outDir, { recursive: true });
  const files = {
    summary: join(opts.outDir, REPORT_FILES.summary),
    timeseries: join(opts.outDir, REPORT_FILES.timeseries),
    html: join(opts.outDir, REPORT_FILES.html),
  };
  const scratch = join(opts.outDir, `.seconds-${process.pid}-${Date.now()}.ndjson.tmp`);
  const csvTmp = `${files.timeseries}.tmp`;
  try {
    // Pass 1: the ledger, once; or the exact aggregate its coordinator saved in place of the records.
    let collector: RunCollector;
    let readStats: LedgerReadStats;
    let seconds: { file: string; rows: number };
    if (source.aggregate) {
      const agg = source.aggregate;
      collector = restoreCollector(agg, join(opts.ledgerDir, RUN_AGGREGATE_FILE), logger);
      readStats = { files: (await listLedgerFiles(opts.ledgerDir)).length, records: agg.records, truncatedLines: 0 };
      seconds = { file: join(opts.ledgerDir, RUN_SECONDS_FILE), rows: agg.seconds };
    } else {
      const secondsOut = failFast(createWriteStream(scratch));
      collector = new RunCollector(
        { prices: opts.prices, freeTier: opts.freeTier, lateGraceMs: opts.lateGraceMs, maxZoneColumns: opts.maxZoneColumns, maxInFlightSpanSeconds: opts.maxInFlightSpanSeconds },
        { logger, onSecond: (row) => secondsOut.write(encodeSecondRow(row)) },
      );
      const reader = readLedger(opts.ledgerDir, { ...(signal && { signal }) });
      try {
        for await (const record of reader) {
          collector.add(record);
          secondsOut.check();
          // Backpressure: the scratch file is written as seconds close; wait when it falls behind.
          if (secondsOut.writableNeedDrain) await drained(secondsOut, signal);
        }
        collector.finish();
      } finally {
        await endStream(secondsOut);
      }
      readStats = reader.stats;
      seconds = { file: scratch, rows: Infinity };
      if (reader.stats.truncatedLines > 0) logger.warn({ truncatedLines: reader.stats.truncatedLines }, 'report: skipped ledger lines cut short by a crash');
    }
    if (collector.late > 0) logger.warn({ late: collector.late }, 'report: records too far out of order for the per-second rows (still in every total)');
    const detail = source.detail(readStats);
    if (!detail.exact) logger.warn({ detail }, 'report: the totals do not cover every attempt of the run');

    // Pass 2: the per-second rows, now that the zones and the run's end are known.
    const zoneOrder = sortedZoneOrder(collector.zoneColumns);
    const zones = zoneOrder.map((i) => collector.zoneColumns[i]!);
    const downsampler = new Downsampler({ rows: collector.seconds, maxPoints: opts.maxChartPoints, zones });
    const end = Number.isFinite(collector.lastRespondedAt) ? collector.lastRespondedAt : null;
    await writeTimeseries({ seconds, csvFile: csvTmp, collector, zones, zoneOrder, downsampler, provisioned: provisioned.entries, runEnd: end, opts });
    const series = downsampler.finish();

    const summary = buildRunSummary({
      dataDir: opts.dataDir,
      collector,
      readStats,
      detail,
      provisioned,
      faults,
      prices: opts.prices,
      freeTier: opts.freeTier,
      zoneColumns: zones,
      chartBucketSeconds: series.bucketSeconds,
    });
    const assets = await loadHtmlAssets({ ...(signal && { signal }) });
    const html = renderHtmlReport(summary, series, assets, { maxTableRows: opts.maxHtmlTableRows });
    signal?.throwIfAborted();
    await writeAtomic(files.summary, JSON.stringify(summary, null, 2) + '\n', signal);
    await rename(csvTmp, files.timeseries);
    await writeAtomic(files.html, html, signal);
    return { summary, table: renderRunTable(summary), series, files };
  } finally {
    await rm(scratch, { force: true });
    await rm(csvTmp, { force: true });
  }
}

/** Where pass 1 reads from, the options in effect, and how to describe the ledger's detail level. */
interface LedgerSource {
  /** The saved aggregate to report from instead of the records. */
  aggregate: RunAggregateFile | undefined;
  /** The options, with the aggregate's prices and free-tier setting when there is one. */
  opts: ResolvedRunReportOptions;
  detail(readStats: LedgerReadStats): LedgerDetailSummary;
}

/**
 * Reads `detail.json` and `aggregate.json`. With an aggregate, its prices and free tier are the
 * bill's: other ones given explicitly are refused (ReportOptionsError naming the option).
 */
async function ledgerSource(opts: ResolvedRunReportOptions, given: RunReportOptions, logger: LedgerLogger): Promise<LedgerSource> {
  const signal = opts.signal;
  const [detailFile, aggregate] = await Promise.all([
    readLedgerDetailFile(opts.ledgerDir, { ...(signal && { signal }) }).catch(notFoundAsUndefined),
    readRunAggregate(opts.ledgerDir, { ...(signal && { signal }) }).catch(notFoundAsUndefined),
  ]);
  const level = detailFile?.detail ?? aggregate?.detail ?? { level: 'full' as const };
  const base = { level: level.level, rate: level.level === 'sampled' ? level.rate : null };
  if (!aggregate) {
    const exact = level.level === 'full';
    const notes = exact ? [] : [`the records are ${level.level === 'sampled' ? `a ${level.rate} sample` : 'absent'} (detail ${level.level}) and no ${RUN_AGGREGATE_FILE} was saved (the coordinator is running or did not stop cleanly): the totals cover the written records only`];
    return { aggregate, opts, detail: (s) => ({ ...base, source: 'records', exact, recordsWritten: s.records, notes }) };
  }
  const freeTier = aggregate.collector.options.freeTier;
  if (given.prices !== undefined && !samePriceTable(given.prices, aggregate.prices)) {
    throw new ReportOptionsError('prices', `this ledger kept ${level.level === 'sampled' ? 'a sample of its records' : 'no records'} (detail ${level.level}); its bill was computed at run time with the ${aggregate.prices.region} table it saved, and re-pricing needs every record (run at detail full)`);
  }
  if (given.freeTier !== undefined && given.freeTier !== freeTier) {
    throw new ReportOptionsError('freeTier', `this ledger's bill was computed at run time with the free tier ${freeTier ? 'applied' : 'not applied'}; re-pricing needs every record (run at detail full)`);
  }
  for (const k of ['lateGraceMs', 'maxZoneColumns', 'maxInFlightSpanSeconds'] as const) {
    if (given[k] !== undefined && given[k] !== aggregate.collector.options[k]) logger.warn({ option: k, used: aggregate.collector.options[k] }, `report: ${k} of the saved aggregate is used`);
  }
  const notes = aggregate.gaps.map((g) => g.reason);
  if (detailFile?.state === 'running') notes.push(`the ledger is in use or its coordinator did not stop cleanly: the totals are those saved at its last clean stop`);
  return {
    aggregate,
    opts: { ...opts, prices: aggregate.prices, freeTier },
    detail: () => ({ ...base, source: 'aggregate', exact: aggregate.complete && detailFile?.state !== 'running', recordsWritten: aggregate.written, notes }),
  };
}

function notFoundAsUndefined(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
  throw err;
}

function restoreCollector(aggregate: RunAggregateFile, file: string, logger: LedgerLogger): RunCollector {
  try {
    return RunCollector.fromState(aggregate.collector, { prices: aggregate.prices }, { logger, onSecond: () => {} }, '/collector');
  } catch (err) {
    if (err instanceof LedgerStateError && err.file === undefined) throw new LedgerStateError(err.reason, { ...(err.field !== undefined && { field: err.field }), file, cause: err });
    throw err;
  }
}

async function assertLedger(ledgerDir: string, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  let files: string[];
  try {
    files = await listLedgerFiles(ledgerDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    files = [];
  }
  if (files.length === 0) {
    throw new ReportInputError(ReportErrorCode.NoLedger, 'no ledger here: expected ledger-NNNNNN.ndjson files written by a coordinator', { file: ledgerDir });
  }
}

async function writeTimeseries(input: {
  /** The per-second rows: the report's scratch file, or the first `rows` lines of an aggregate's `seconds.ndjson`. */
  seconds: { file: string; rows: number };
  csvFile: string;
  collector: RunCollector;
  /** Zone column names in CSV order, and for each the collector's column index. */
  zones: readonly string[];
  zoneOrder: readonly number[];
  downsampler: Downsampler;
  provisioned: readonly ProvisionedEntry[];
  runEnd: number | null;
  opts: ResolvedRunReportOptions;
}): Promise<void> {
  const { collector, downsampler, opts, zones, zoneOrder } = input;
  const out = failFast(createWriteStream(input.csvFile));
  const signal = opts.signal;
  try {
    out.write(timeseriesCsvHeader(zones));
    let start: number | undefined;
    let read = 0;
    for await (const line of ndjsonLines(input.seconds.file, signal)) {
      if (read++ >= input.seconds.rows) break;
      let row;
      try {
        row = decodeSecondRow(line);
      } catch (err) {
        if (err instanceof LedgerStateError) throw new LedgerStateError(`line ${read}: ${err.reason}`, { file: input.seconds.file, cause: err });
        throw err;
      }
      start ??= row.t;
      const inFlight = collector.inFlight.at(row.t);
      const final: FinalRow = {
        ...row,
        zones: zoneOrder.map((i) => row.zones[i] ?? 0),
        inFlight: inFlight ?? null,
        costUsd: row.invocationCostUsd + provisionedAccruedUsd(input.provisioned, row.t + 1000, input.runEnd, opts.prices),
      };
      downsampler.add(final);
      if (!out.write(timeseriesCsvRow(final, start, zones.length))) await drained(out, signal);
      out.check();
    }
  } finally {
    await endStream(out);
  }
}

/** Column order: zone names alphabetically, then `(none)` and `(other)`. */
function sortedZoneOrder(names: readonly string[]): number[] {
  const special = (n: string) => (n.startsWith('(') ? 1 : 0);
  return names.map((_, i) => i).sort((a, b) => special(names[a]!) - special(names[b]!) || names[a]!.localeCompare(names[b]!));
}

async function* ndjsonLines(file: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024, ...(signal && { signal }) });
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) yield p;
  }
  if (rest.length > 0) yield rest;
}

/** A write stream whose first error is kept and thrown by `check()` (writes from callbacks cannot await). */
function failFast(stream: WriteStream): WriteStream & { check(): void } {
  let error: Error | undefined;
  stream.on('error', (err) => (error ??= err));
  return Object.assign(stream, {
    check(): void {
      if (error) throw error;
    },
  });
}

async function drained(stream: WriteStream, signal: AbortSignal | undefined): Promise<void> {
  await once(stream, 'drain', { ...(signal && { signal }) });
}

async function endStream(stream: WriteStream & { check(): void }): Promise<void> {
  if (!stream.closed && !stream.destroyed) {
    await new Promise<void>((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }
  stream.check();
}

async function writeAtomic(file: string, text: string, signal: AbortSignal | undefined): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    await writeFile(tmp, text, { ...(signal && { signal }) });
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
