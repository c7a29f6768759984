/**
 * @zonesim/ledger: what every invocation attempt did and what it cost.
 *
 * - {@link LedgerRecord}: one JSON record per attempt (request, function, placement, timestamps,
 *   outcome, billed duration), validated by {@link parseLedgerRecord}.
 * - {@link LedgerWriter} streams records to size-rotated NDJSON files with a bounded buffer;
 *   {@link readLedger} streams them back.
 * - {@link BillingAccumulator} prices records Lambda's way (1 ms rounding, INIT billing, tiers,
 *   arm64, provisioned concurrency, optional free tier) from a swappable {@link PriceTable}, with
 *   totals per run, function, zone and fault.
 * - {@link LatencyRecorder}: HDR histograms per function x zone x phase.
 * - {@link TimeSeries}: per-second counters in a bounded ring, streamed through `onSecond`.
 *
 * Nothing here opens a socket or knows the coordinator: the coordinator builds records and feeds
 * them in. See README.md for the record format and the billing rules with their sources.
 */
export {
  LedgerErrorCode,
  LedgerOptionsError,
  LedgerRecordError,
  PriceTableError,
  isLedgerError,
  type RecordLocation,
} from './errors.js';
export { noopLogger, type LedgerLogger } from './logger.js';
export {
  LEDGER_FORMAT_VERSION,
  LedgerInvocationType,
  LedgerOutcome,
  LedgerRecordSchema,
  UNBILLED_OUTCOMES,
  attemptRan,
  parseLedgerRecord,
  validateLedgerRecord,
  type LedgerRecord,
} from './record.js';
export { ledgerFileName, ledgerFileIndex, listLedgerFiles } from './ledger-files.js';
export {
  DEFAULT_LEDGER_FLUSH_INTERVAL_MS,
  DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES,
  DEFAULT_LEDGER_MAX_BUFFERED_BYTES,
  DEFAULT_LEDGER_MAX_FILE_BYTES,
  LedgerWriter,
  LedgerWriterState,
  resolveLedgerWriterOptions,
  type LedgerWriterComponents,
  type LedgerWriterOptions,
  type LedgerWriterStats,
  type ResolvedLedgerWriterOptions,
} from './ledger-writer.js';
export {
  DEFAULT_LEDGER_MAX_LINE_BYTES,
  LedgerReader,
  readLedger,
  type LedgerReadStats,
  type ReadLedgerOptions,
  type TruncatedLine,
} from './ledger-reader.js';
export {
  DEFAULT_PRICE_FILE,
  PRICE_TABLE_FORMAT_VERSION,
  PriceTableSchema,
  defaultPriceTable,
  loadPriceTable,
  parsePriceTable,
  type Architecture,
  type PriceTable,
} from './prices.js';
export {
  MB_MS_PER_GB_SECOND,
  billedDurationMs,
  invocationCost,
  isInitBilled,
  provisionedConcurrencyCost,
  type InvocationCost,
  type ProvisionedConcurrencyAllocation,
  type ProvisionedConcurrencyCost,
} from './billing.js';
export {
  BillingAccumulator,
  DEFAULT_BILLING_MAX_KEYS,
  NO_ZONE_KEY,
  OTHER_KEY,
  faultCost,
  resolveBillingOptions,
  type BillingOptions,
  type BillingSnapshot,
  type BillingTotals,
  type CostBreakdown,
  type FaultCost,
  type PriorUsage,
  type RecordCharge,
  type ResolvedBillingOptions,
} from './billing-accumulator.js';
export {
  DEFAULT_LATENCY_MAX_KEYS,
  LATENCY_NO_ZONE,
  LATENCY_OTHER_KEY,
  LatencyPhase,
  LatencyRecorder,
  latencyPhases,
  resolveLatencyRecorderOptions,
  type LatencyRecorderOptions,
  type LatencyRecorderStats,
  type LatencySummary,
  type ResolvedLatencyRecorderOptions,
} from './latency.js';
export {
  DEFAULT_TIME_SERIES_CAPACITY_SECONDS,
  DEFAULT_TIME_SERIES_LATE_GRACE_MS,
  DEFAULT_TIME_SERIES_MAX_OPEN_SECONDS,
  TimeSeries,
  resolveTimeSeriesOptions,
  type ResolvedTimeSeriesOptions,
  type SecondPoint,
  type TimeSeriesComponents,
  type TimeSeriesOptions,
  type TimeSeriesStats,
  type TimeSource,
} from './time-series.js';
