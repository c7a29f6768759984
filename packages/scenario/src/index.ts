/**
 * @zonesim/scenario: the pure parts of chaos scenarios. It parses, validates, schedules and
 * judges; it never starts a process or opens a socket (the runner in packages/runner does that).
 *
 * - Format: {@link loadScenario} reads a YAML scenario (cluster, functions, workload, faults,
 *   hypotheses, stop conditions) and returns a {@link ResolvedScenario} or every problem at once,
 *   each naming file, line and field. The format is data ({@link ScenarioFileSchema}, TypeBox),
 *   exported for editors as `scenario.schema.json`.
 * - Schedule: {@link topology} (zones and node ids), {@link faultSchedule} (targets chosen under the
 *   seed), {@link openArrivals} / {@link arrivals} (open-loop arrivals merged in time order, lazily,
 *   traces streamed), {@link scheduleDigest} (SHA-256 of it all: same file + seed = same digest).
 * - Run files: {@link HistoryOp} and friends with NDJSON readers and a writer.
 * - Judging: {@link checkRun} accounts for every operation and accepted event (delivered,
 *   dead-lettered, pending, lost) and every duplicate, Jepsen-style; {@link evaluateHypotheses},
 *   {@link verdict} and {@link formatVerdict}; {@link StopConditionMonitor} for live early stops.
 * - Calibration (`zonesim calibrate`): {@link calibrateRun} turns a run's ledger into synthetic
 *   profiles (empirical INIT, duration and memory, error rate) in bounded memory
 *   ({@link QuantileSketch}); {@link formatProfiles} writes them; {@link calibrateScenarioText}
 *   rewrites a scenario with its code functions replaced by them. See docs/calibrate.md.
 *
 * Every random choice comes from @zonesim/common's SeededRandom, forked per workload entry and per
 * fault, so that entries and faults do not disturb each other's draws. See README.md.
 */
export { ScenarioError, ScenarioErrorCode, ScenarioLoadError, RunFileError, formatScenarioErrors } from './errors.js';
export { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js';
export {
  DEFAULT_SCENARIO,
  DEFAULT_SYNTHETIC_INIT,
  DEFAULT_SYNTHETIC_MEMORY,
  DEFAULT_TRACE_INIT,
  SYNTHETIC_FILE,
  SYNTHETIC_HANDLER,
  SYNTHETIC_RUNTIME,
} from './defaults.js';
export { DistributionSchema, SCENARIO_SCHEMA_ID, ScenarioFileSchema, scenarioJsonSchema } from './schema.js';
export { scenarioJsonSchemaText } from './schema-file.js';
export { validateShape } from './validate-shape.js';
export { formatPath, type FieldPath, type Issue } from './field-path.js';
export { loadScenario, loadScenarioOrThrow, parseScenario, type LoadResult } from './load-scenario.js';
export { OverrideSyntaxError, applyOverrides, formatOverride, parseFieldPath, parseOverride, parseOverrideAxis, type ScenarioOverride } from './overrides.js';
export {
  FaultAction,
  type ArrivalProcess,
  type CodeFunction,
  type FaultParams,
  type FaultTarget,
  type FunctionCommon,
  type HypothesisKind,
  type HypothesisWindow,
  type InvocationKind,
  type LinkDirection,
  type ResolvedArrival,
  type ResolvedClient,
  type ResolvedCluster,
  type ResolvedKeepAlivePolicy,
  type ResolvedFailureProcess,
  type ResolvedFault,
  type ResolvedFunction,
  type ResolvedHypothesis,
  type ResolvedQueue,
  type ResolvedQueueTrigger,
  type ResolvedScenario,
  type ResolvedStopCondition,
  type ResolvedTraceArrival,
  type ResolvedWorkload,
  type RetryableFailure,
  type SyntheticFunction,
  type SyntheticSpec,
  type WindowSettings,
} from './types.js';
export { DETECTABLE_ACTIONS, defaultSettleMs } from './resolve-hypotheses.js';
export { defaultZoneNames, nodeIdFor, topology, type Topology, type TopologyNode } from './topology.js';
export { faultRandom, faultSchedule, percentCount, type FaultTargets, type ScheduledFault } from './fault-schedule.js';
export { arrivals, openArrivals, type Arrival, type ArrivalSchedule } from './arrivals.js';
export { rateShape, type RateShape } from './rate-shapes.js';
export { workloadRandom } from './arrival-streams.js';
export { SCHEDULE_FORMAT, canonicalJson, scheduleDigest, serializeArrival, serializeFault, serializeSchedule } from './schedule-digest.js';
export { SYNTHETIC_FORMAT_VERSION, parseSyntheticPackage, syntheticPackageJson, type SyntheticPackage } from './synthetic.js';
export { MAX_TRACE_FUNCTIONS, syntheticFunctionsFromTrace, type TraceFunctions, type TraceSyntheticSettings } from './trace-functions.js';
export { invocationRows, invocationsHeaderProblem, minuteCount, readLines, type InvocationRow } from './trace-csv.js';
export {
  AsyncFinalSchema,
  EnvironmentTotalsSchema,
  FaultRecordSchema,
  HistoryOpSchema,
  OpResult,
  QueueMessageRecordSchema,
  RunFile,
  RunInfoSchema,
  ZoneTransitionSchema,
  type AsyncFinal,
  type EnvironmentTotals,
  type FaultRecord,
  type HistoryOp,
  type QueueMessageRecord,
  type RunInfo,
  type ZoneTransition,
} from './run-files.js';
export {
  DEFAULT_NDJSON_MAX_LINE_BYTES,
  NdjsonWriter,
  readAsyncFinal,
  readEnvironmentTotals,
  readFaultRecords,
  readHistory,
  readNdjson,
  readQueueMessages,
  readRunInfo,
  readZoneTransitions,
  type HistoryWriter,
  type NdjsonReadOptions,
  type NdjsonReadStats,
} from './ndjson.js';
export { LatencyHistogram } from './latency-histogram.js';
export { hypothesisWindowKey, scenarioWindows, standardWindows, type WindowSpec, type WindowStats } from './window-stats.js';
export { MAX_LISTED_IDS, checkRun, type CheckResult, type CheckRunOptions, type Detection, type EventAccount, type MessageAccount, type OpCounts } from './check-run.js';
export { DEFAULT_QUEUE, DEFAULT_QUEUE_TRIGGER } from './resolve-queues.js';
export { evaluateHypotheses, verdict, type HypothesisResult, type Verdict } from './hypotheses.js';
export { formatVerdict, type FormatVerdictOptions } from './format-verdict.js';
export { StopConditionMonitor, type StopConditionMonitorComponents, type StopOp, type StopTrip } from './stop-conditions.js';
export { QUICK_TIME_FACTOR, scaleScenarioTime } from './scale-time.js';
export { CalibrationError, CalibrationErrorCode } from './calibration-errors.js';
export { DEFAULT_EXACT_VALUES, DEFAULT_RELATIVE_ACCURACY, ExactValueBudget, QuantileSketch, type QuantileSketchOptions } from './quantile-sketch.js';
export {
  CALIBRATION_PERCENTILES,
  DEFAULT_CALIBRATION_MAX_FUNCTIONS,
  calibrateRun,
  empirical,
  resolveCalibrateOptions,
  type CalibrateOptions,
  type CalibrationResult,
  type CalibrationSamples,
  type FunctionProfile,
  type ResolvedCalibrateOptions,
} from './calibrate.js';
export { PROFILES_FORMAT_VERSION, distributionNode, formatProfiles, profilesFile, type ProfileEntry, type ProfilesFile } from './profiles-file.js';
export { CALIBRATED_NAME_SUFFIX, calibrateScenarioText, type CalibrateScenarioOptions, type CalibratedScenario, type KeptFunction } from './calibrated-scenario.js';
export { FAILURE_PRESETS, type FailurePreset } from './failure-presets.js';
export { MAX_STOCHASTIC_FAILURES, failureFaults } from './failure-schedule.js';
export { AvailabilityAccumulator, DEFAULT_SLO, RECOVERY_CONFIRM_MS, type Availability, type AvailabilityStats, type Incident } from './availability.js';
