/**
 * @zonesim/report: the reports of a run, rebuilt from a coordinator's data directory.
 *
 * {@link buildRunReport} streams `<dataDir>/ledger/ledger-NNNNNN.ndjson` once through the ledger
 * package's `RunCollector` (`BillingAccumulator`, `LatencyRecorder` and `TimeSeries`, plus counts by
 * outcome, invocation type, function and zone) or, for a ledger written at detail `sampled` or
 * `aggregate`, restores the exact collector its coordinator saved (`ledger/aggregate.json`); reads
 * `ledger/provisioned.ndjson` and `faults.ndjson` when present, and writes to `<dataDir>/report/`:
 *
 * - `summary.json` ({@link RunSummary}): run window, counts, latency percentiles per phase overall
 *   and per function x zone, the bill (run, function, zone, fault), provisioned-concurrency cost,
 *   fault windows with what each cost, the price table's region and date.
 * - `timeseries.csv`: one row per second, with a throughput column per zone.
 * - `report.html`: one self-contained page (Chart.js and the data inline, no network) with the
 *   charts and tables, the series downsampled to at most 3,600 points.
 *
 * It also returns the terminal summary table ({@link renderRunTable}). `zonesim report DATA_DIR`
 * is the command-line front end. See README.md and docs/reports.md.
 */
// The price table is an option of buildRunReport: re-exported so that callers need no second import.
export { defaultPriceTable, loadPriceTable, type PriceTable } from '@zonesim/ledger';
export { ReportErrorCode, ReportInputError, ReportOptionsError, isReportError } from './errors.js';
export {
  DEFAULT_MAX_CHART_POINTS,
  DEFAULT_MAX_HTML_TABLE_ROWS,
  DEFAULT_MAX_IN_FLIGHT_SPAN_SECONDS,
  DEFAULT_MAX_SIDE_FILE_ENTRIES,
  DEFAULT_MAX_ZONE_COLUMNS,
  DEFAULT_REPORT_DIR_NAME,
  DEFAULT_REPORT_LATE_GRACE_MS,
  resolveRunReportOptions,
  type ResolvedRunReportOptions,
  type RunReportComponents,
  type RunReportOptions,
} from './options.js';
export { REPORT_FILES, buildRunReport, type RunReport } from './build-run-report.js';
export { readFaultsFile, readProvisionedFile, type FaultWindow, type ProvisionedEntry, type SideFile } from './side-files.js';
// The collector moved to @zonesim/ledger (a ledger at detail sampled/aggregate keeps one live); re-exported here.
export { InFlightCounter, RunCollector, emptyCounts, type AttemptCounts, type RunCollectorOptions, type SecondRow } from '@zonesim/ledger';
export { Downsampler, type ChartSeries } from './downsample.js';
export { TIMESERIES_CSV_COLUMNS, csvField, timeseriesCsvHeader, timeseriesCsvRow } from './timeseries-csv.js';
export type { FinalRow } from './final-row.js';
export {
  RUN_SUMMARY_FORMAT_VERSION,
  buildRunSummary,
  provisionedAccruedUsd,
  provisionedBilledUntil,
  type FaultSummary,
  type LedgerDetailSummary,
  type PhaseLatency,
  type ProvisionedCost,
  type RunSummary,
} from './summary.js';
export { REPORT_CHARTS, loadHtmlAssets, renderHtmlReport, reportPageData, type HtmlAssets, type ReportPageData } from './html-report.js';
export { formatDuration, formatMs, formatPercent, formatTime, formatUsd, renderRunTable, renderTextTable } from './table.js';
export { OFFLINE_PAGE_CSP, escapeHtml, offlinePageHead, readChartJs, scriptJson, scriptText } from './offline-page.js';
