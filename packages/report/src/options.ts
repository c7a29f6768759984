import { join } from 'node:path';
import { DEFAULT_RUN_LATE_GRACE_MS, DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS, DEFAULT_RUN_MAX_ZONE_COLUMNS, defaultPriceTable, type LedgerLogger, type PriceTable } from '@zonesim/ledger';
import { ReportOptionsError } from './errors.js';

/** The report's folder inside the data directory when `outDir` is not given. @default 'report' */
export const DEFAULT_REPORT_DIR_NAME = 'report';
/** Points per chart series in the HTML report; longer runs are averaged into buckets. @default 3600 */
export const DEFAULT_MAX_CHART_POINTS = 3600;
/**
 * How long after a second ends it stays open for records that arrive out of order. Records are
 * appended when an attempt ends, so they are nearly in `respondedAt` order; a few seconds of slack
 * absorb a busy writer. @default 5000
 */
export const DEFAULT_REPORT_LATE_GRACE_MS = DEFAULT_RUN_LATE_GRACE_MS;
/** Zones given a throughput column of their own; the rest share `(other)`. @default 64 */
export const DEFAULT_MAX_ZONE_COLUMNS = DEFAULT_RUN_MAX_ZONE_COLUMNS;
/** Longest span (seconds) over which in-flight attempts are counted (4 bytes a second); past it the column is left empty. @default 31 days */
export const DEFAULT_MAX_IN_FLIGHT_SPAN_SECONDS = DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS;
/** Rows of the per-function x zone tables shown in the HTML (all of them are in summary.json). @default 200 */
export const DEFAULT_MAX_HTML_TABLE_ROWS = 200;
/** Lines read from `provisioned.ndjson` or `faults.ndjson` before the file is refused. @default 100_000 */
export const DEFAULT_MAX_SIDE_FILE_ENTRIES = 100_000;

/** Settings of {@link buildRunReport}. */
export interface RunReportOptions {
  /** A coordinator's data directory (holds `ledger/`, maybe `faults.ndjson`). Required. */
  dataDir: string;
  /** Where the files go (created if missing). @default `<dataDir>/report` */
  outDir?: string;
  /** Cancels the read and the writes. */
  signal?: AbortSignal;
  /** Prices to apply. @default defaultPriceTable() (us-east-1); for a ledger with a saved aggregate, the table it was priced with */
  prices?: PriceTable;
  /** Apply the monthly free tier. @default false; for a ledger with a saved aggregate, its setting */
  freeTier?: boolean;
  /** @default 3600 */
  maxChartPoints?: number;
  /** @default 5000 (a ledger's saved aggregate uses its own) */
  lateGraceMs?: number;
  /** @default 64 (a ledger's saved aggregate uses its own) */
  maxZoneColumns?: number;
  /** @default 31 days (a ledger's saved aggregate uses its own) */
  maxInFlightSpanSeconds?: number;
  /** @default 200 */
  maxHtmlTableRows?: number;
  /** @default 100_000 */
  maxSideFileEntries?: number;
}

/** Components of a report build, apart from its settings. */
export interface RunReportComponents {
  /** Warnings (folded keys, late records). @default a logger that drops everything */
  logger?: LedgerLogger;
}

/** {@link RunReportOptions} with every default filled in. */
export interface ResolvedRunReportOptions {
  dataDir: string;
  ledgerDir: string;
  provisionedFile: string;
  faultsFile: string;
  outDir: string;
  signal: AbortSignal | undefined;
  prices: PriceTable;
  freeTier: boolean;
  maxChartPoints: number;
  lateGraceMs: number;
  maxZoneColumns: number;
  maxInFlightSpanSeconds: number;
  maxHtmlTableRows: number;
  maxSideFileEntries: number;
}

function integer(value: number, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ReportOptionsError(field, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** Fills defaults and validates once; throws a {@link ReportOptionsError} naming the field. */
export function resolveRunReportOptions(options: RunReportOptions): ResolvedRunReportOptions {
  if (typeof options?.dataDir !== 'string' || options.dataDir.length === 0) throw new ReportOptionsError('dataDir', 'must be a non-empty path');
  if (options.outDir !== undefined && (typeof options.outDir !== 'string' || options.outDir.length === 0)) throw new ReportOptionsError('outDir', 'must be a non-empty path');
  const ledgerDir = join(options.dataDir, 'ledger');
  return {
    dataDir: options.dataDir,
    ledgerDir,
    provisionedFile: join(ledgerDir, 'provisioned.ndjson'),
    faultsFile: join(options.dataDir, 'faults.ndjson'),
    outDir: options.outDir ?? join(options.dataDir, DEFAULT_REPORT_DIR_NAME),
    signal: options.signal,
    prices: options.prices ?? defaultPriceTable(),
    freeTier: options.freeTier ?? false,
    maxChartPoints: integer(options.maxChartPoints ?? DEFAULT_MAX_CHART_POINTS, 'maxChartPoints', 2),
    lateGraceMs: integer(options.lateGraceMs ?? DEFAULT_REPORT_LATE_GRACE_MS, 'lateGraceMs', 0),
    maxZoneColumns: integer(options.maxZoneColumns ?? DEFAULT_MAX_ZONE_COLUMNS, 'maxZoneColumns', 1),
    maxInFlightSpanSeconds: integer(options.maxInFlightSpanSeconds ?? DEFAULT_MAX_IN_FLIGHT_SPAN_SECONDS, 'maxInFlightSpanSeconds', 1),
    maxHtmlTableRows: integer(options.maxHtmlTableRows ?? DEFAULT_MAX_HTML_TABLE_ROWS, 'maxHtmlTableRows', 1),
    maxSideFileEntries: integer(options.maxSideFileEntries ?? DEFAULT_MAX_SIDE_FILE_ENTRIES, 'maxSideFileEntries', 1),
  };
}
