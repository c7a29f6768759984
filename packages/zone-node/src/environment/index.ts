/**
 * Execution environments of a zone node.
 *
 * An environment runs one function version, one invocation at a time, with the observable
 * behaviour of an AWS Lambda Node.js sandbox: INIT on the first invoke (cold start, capped at
 * 10 s), the handler contract and error shapes of Lambda's Node.js runtime client, console lines
 * in Lambda's text format, START / END / REPORT framing, timeouts, out-of-memory kills and crashes
 * that reset the environment. Two isolation modes share one contract ({@link EnvironmentFactory}):
 * `process` (a child Node process per environment, the faithful one) and `worker` (a worker thread
 * per environment, cheaper and weaker). User code runs the plain-JavaScript runtime in
 * `packages/zone-node/runtime/`, never TypeScript or the zone node's loader. Synthetic functions
 * (`zonesim.synthetic`) run in a {@link SyntheticEnvironment}: timers drawn from distributions, no
 * process, same contract. Custom runtimes (`provided.al2023`, `provided.al2`) and container images run
 * in a {@link CustomRuntimeEnvironment}: any executable, pulling events from its own Runtime API.
 *
 * The {@link EnvironmentPool} keeps warm environments per `specKey` within the node's slots and
 * memory, evicts idle ones when its {@link KeepAlivePolicy} says (`fixed`, or the ATC'20
 * `hybrid-histogram`, which may also unload one at once and pre-warm another later), reports
 * evictions and measures idle memory x time.
 */
export type {
  EnvironmentConfig,
  EnvironmentFactory,
  EnvironmentInvokeInput,
  EnvironmentInvokeResult,
  EnvironmentSettings,
  EnvironmentState,
  ExecutionEnvironment,
  InitializationType,
  IsolationMode,
} from './types.js';
export { createEnvironmentFactory } from './factory.js';
export { StreamedResponse, type ResponseStreamTarget } from './response-stream.js';
export {
  DEFAULT_INIT_TIMEOUT_MS,
  DEFAULT_KILL_WAIT_MS,
  DEFAULT_MAX_LOG_BYTES_PER_INVOCATION,
  DEFAULT_MEMORY_POLL_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  resolveEnvironmentSettings,
  type EnvironmentOptions,
  type ResolvedEnvironmentSettings,
} from './settings.js';
export { RuntimeEnvironment, type EnvironmentComponents } from './runtime-environment.js';
export { ProcessEnvironment } from './process-environment.js';
export { SpareRuntimes, canBind, spareEnvironment, type SpareRuntimeCounts } from './spare-runtimes.js';
export { WorkerEnvironment } from './worker-environment.js';
export { CustomRuntimeEnvironment } from './custom-runtime-environment.js';
export { CUSTOM_RUNTIMES, isCustomRuntime, resolveCustomRuntimeLaunch, runtimeApiEnv, type CustomRuntimeLaunch } from './custom-runtime-launch.js';
export { resolveRuntimeApiLaunch, runsOnRuntimeApi } from './runtime-api-launch.js';
export { PYTHON_RUNTIMES, machinePython, probePython, type PythonInstallation } from './python-runtime.js';
export { JAVA_OPTIONS, JAVA_RUNTIMES, machineJava, machineJavaClient, probeJava, type JavaInstallation } from './java-runtime.js';
export { SYNTHETIC_ECHO_MAX_BYTES, SyntheticEnvironment, SyntheticErrorType, type SyntheticEnvironmentComponents } from './synthetic-environment.js';
export { SyntheticModel, readSyntheticDefinition, type SyntheticDefinitionSource, type SyntheticInvocationDraw } from './synthetic-model.js';
export { createSyntheticEnvironmentFactory, type SyntheticEnvironmentFactoryOptions } from './synthetic-factory.js';
export {
  DEFAULT_KEEP_ALIVE_MS,
  EnvironmentPool,
  MAX_PENDING_PREWARMS,
  logStreamName,
  EvictionReason,
  type AcquireRequest,
  type EnvironmentEvictedEvent,
  type EnvironmentLease,
  type EnvironmentPoolComponents,
  type EnvironmentPoolOptions,
  type PoolCounts,
  type PoolStats,
  type PrewarmDueEvent,
} from './pool.js';
export * from './keep-alive-policy.js';
export * from './hybrid-histogram.js';

export {
  computeBilledMs,
  formatEndLine,
  formatFunctionLogLine,
  formatInitReportLine,
  formatInitStartLine,
  formatReportLine,
  formatStartLine,
  formatTimeoutLine,
  formatTimeoutSeconds,
  type InitReportLineFields,
  type ReportLineFields,
} from './report-lines.js';
export {
  PlatformErrorType,
  abortedError,
  describeRuntimeExit,
  responseTooLargeError,
  runtimeExitError,
  timedOutError,
  type RuntimeExit,
} from './platform-errors.js';
export { LAMBDA_DEFAULT_PATH, RESERVED_ENV_NAMES, buildLambdaEnvironment } from './lambda-env.js';
export {
  EnvironmentErrorCode,
  EnvironmentSettingsError,
  EnvironmentSpawnError,
  EnvironmentStateError,
  NodeCapacityError,
} from './errors.js';
export { BOOTSTRAP_PATH, RUNTIME_DIR } from './runtime-host.js';
