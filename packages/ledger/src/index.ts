/**
 * @zonesim/ledger: what every invocation attempt did and what it cost.
 *
 * - {@link LedgerRecord}: one JSON record per attempt (request, function, placement, timestamps,
 *   outcome, billed duration), validated by {@link parseLedgerRecord}.
 * - {@link LedgerSink}: where records go. {@link LedgerWriter} streams them to size-rotated NDJSON
 *   files with a bounded buffer (real processes); {@link SyncLedgerWriter} writes the same files
 *   synchronously and never drops (deterministic virtual-time runs). {@link readLedger} streams
 *   them back.
 * - {@link LedgerDetail}: `full`, `sampled` (a deterministic fraction) or `aggregate` (no records);
 *   {@link RunAggregator} applies it and keeps the run's exact aggregate (`aggregate.json`,
 *   `seconds.ndjson`, a saved {@link RunCollector}) so that reports stay exact at every level.
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
  LedgerStateError,
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
export { LedgerWriterState, type LedgerSink, type LedgerWriterStats } from './ledger-sink.js';
export {
  DEFAULT_LEDGER_FLUSH_INTERVAL_MS,
  DEFAULT_LEDGER_FLUSH_THRESHOLD_BYTES,
  DEFAULT_LEDGER_MAX_BUFFERED_BYTES,
  DEFAULT_LEDGER_MAX_FILE_BYTES,
  LedgerWriter,
  resolveLedgerWriterOptions,
  type LedgerWriterComponents,
  type LedgerWriterOptions,
  type ResolvedLedgerWriterOptions,
} from './ledger-writer.js';
export {
  SyncLedgerWriter,
  resolveSyncLedgerWriterOptions,
  type ResolvedSyncLedgerWriterOptions,
  type SyncLedgerWriterComponents,
  type SyncLedgerWriterOptions,
} from './sync-ledger-writer.js';
export {
  DEFAULT_LEDGER_DETAIL,
  LedgerDetailLevel,
  detailWrites,
  formatLedgerDetail,
  parseLedgerDetail,
  resolveLedgerDetail,
  sampleFraction,
  type LedgerDetail,
} from './ledger-detail.js';
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
  type BillingState,
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
  type HistogramState,
  type LatencyState,
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
export { InFlightCounter, type InFlightState } from './in-flight.js';
export { RunCollector, emptyCounts, type AttemptCounts, type RunCollectorOptions, type RunCollectorState, type SecondRow } from './run-collector.js';
export { decodeSecondRow, encodeSecondRow } from './second-rows.js';
export {
  DEFAULT_RUN_LATE_GRACE_MS,
  DEFAULT_RUN_MAX_IN_FLIGHT_SPAN_SECONDS,
  DEFAULT_RUN_MAX_ZONE_COLUMNS,
  LEDGER_DETAIL_FILE,
  RUN_AGGREGATE_FILE,
  RUN_AGGREGATE_FORMAT_VERSION,
  RUN_SECONDS_FILE,
  parseLedgerDetailFile,
  parseRunAggregateFile,
  readLedgerDetailFile,
  readRunAggregate,
  samePriceTable,
  type AggregateGap,
  type LedgerDetailFile,
  type RunAggregateFile,
} from './run-aggregate.js';
export {
  DEFAULT_RUN_MAX_EARLY_RECORDS,
  DEFAULT_RUN_SECONDS_FLUSH_BYTES,
  RunAggregator,
  type RunAggregatorSettings,
  type RunAggregatorStats,
} from './run-aggregator.js';
