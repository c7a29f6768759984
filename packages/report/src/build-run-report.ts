import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { listLedgerFiles, readLedger, noopLogger } from '@zonesim/ledger';
import { Downsampler, type ChartSeries } from './downsample.js';
import { ReportErrorCode, ReportInputError } from './errors.js';
import { loadHtmlAssets, renderHtmlReport } from './html-report.js';
import { resolveRunReportOptions, type ResolvedRunReportOptions, type RunReportComponents, type RunReportOptions } from './options.js';
import { RunCollector } from './run-collector.js';
import { decodeSecondRow, encodeSecondRow, type FinalRow } from './second-rows.js';
import { readFaultsFile, readProvisionedFile, type ProvisionedEntry } from './side-files.js';
import { buildRunSummary, provisionedAccruedUsd, type RunSummary } from './summary.js';
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
 * Throws a `ReportInputError` with code `REPORT_NO_LEDGER` when `<dataDir>/ledger` has no ledger
 * file, `REPORT_INVALID_INPUT` for a bad line in `provisioned.ndjson` or `faults.ndjson`, and the
 * ledger's `LedgerRecordError` for a bad ledger line.
 */
export async function buildRunReport(options: RunReportOptions, components: RunReportComponents = {}): Promise<RunReport> {
  const opts = resolveRunReportOptions(options);
  const logger = components.logger ?? noopLogger;
  const { signal } = opts;
  await assertLedger(opts.ledgerDir, signal);
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
    // Pass 1: the ledger, once.
    const secondsOut = failFast(createWriteStream(scratch));
    const collector = new RunCollector(
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
    if (reader.stats.truncatedLines > 0) logger.warn({ truncatedLines: reader.stats.truncatedLines }, 'report: skipped ledger lines cut short by a crash');
    if (collector.timeSeries.stats.late > 0) logger.warn({ late: collector.timeSeries.stats.late }, 'report: records too far out of order for the per-second rows (still in every total)');

    // Pass 2: the per-second rows, now that the zones and the run's end are known.
    const zoneOrder = sortedZoneOrder(collector.zoneColumns);
    const zones = zoneOrder.map((i) => collector.zoneColumns[i]!);
    const downsampler = new Downsampler({ rows: collector.seconds, maxPoints: opts.maxChartPoints, zones });
    const end = Number.isFinite(collector.lastRespondedAt) ? collector.lastRespondedAt : null;
    await writeTimeseries({ scratch, csvFile: csvTmp, collector, zones, zoneOrder, downsampler, provisioned: provisioned.entries, runEnd: end, opts });
    const series = downsampler.finish();

    const summary = buildRunSummary({
      dataDir: opts.dataDir,
      collector,
      readStats: reader.stats,
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
  scratch: string;
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
    for await (const line of ndjsonLines(input.scratch, signal)) {
      const row = decodeSecondRow(line);
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
