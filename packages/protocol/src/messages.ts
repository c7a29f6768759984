import { Type, type Static } from '@sinclair/typebox';
import { FunctionSpecSchema } from './function-spec.js';
import { MAX_LOG_LINE_CHARS } from './limits.js';
import {
  FunctionErrorSchema,
  InvocationTimingsSchema,
  PlacementSchema,
} from './invocation.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

/** An error carried as data (see errors.ts for the converter). */
export const WireErrorSchema = Type.Object({
  code: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 64 * 1024 }),
});

// ---------------------------------------------------------------- zone node -> coordinator

/**
 * What contains each execution environment on a zone node (issue 15, docs/runtimes.md "Isolation"):
 * `bwrap+cgroup` (bubblewrap namespaces and cgroup limits), `bwrap`, `cgroup`, or `none` (a plain
 * process group and the RSS watchdog). `reason` says what is missing and why, e.g. `bwrap not
 * found`, `worker threads cannot be sandboxed`, `--sandbox off`.
 */
export const SandboxReportSchema = Type.Object({
  kind: Type.Union([Type.Literal('bwrap+cgroup'), Type.Literal('bwrap'), Type.Literal('cgroup'), Type.Literal('none')]),
  reason: Type.Optional(Type.String({ maxLength: 200 })),
  /** `lambda`: CPU in proportion to memory (1,769 MB = one vCPU, cgroup CPU quota); `host`: no CPU limit. */
  cpuModel: Type.Union([Type.Literal('host'), Type.Literal('lambda')]),
});

/** First frame of every session: who the node is and what it can run. */
export const HelloSchema = Type.Object({
  type: Type.Literal('hello'),
  protocolVersion: Type.Integer({ minimum: 0 }),
  clusterToken: Type.String({ maxLength: 1024 }),
  zone: Name,
  nodeId: Id,
  capacity: Type.Object({
    memoryMb: Type.Integer({ minimum: 128 }),
    maxEnvironments: Type.Integer({ minimum: 1 }),
  }),
  /** How environments are isolated on this node (`process` or `worker`). */
  isolation: Type.String({ maxLength: 32 }),
  /** What contains each environment on this node (issue 15); absent from older nodes. */
  sandbox: Type.Optional(SandboxReportSchema),
  runtimes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
  /**
   * Warm environments the node kept from an earlier session (after a lost link), per configuration:
   * the coordinator counts them for warm placement and says which ones to drop.
   */
  warm: Type.Optional(
    Type.Array(Type.Object({ specKey: Type.String({ maxLength: 512 }), idle: Type.Integer({ minimum: 0 }) }), { maxItems: 10_000 }),
  ),
  /**
   * Environments still busy with invocations of an earlier session (after a lost link): the
   * coordinator counts them against the node's room until its heartbeats show them done.
   */
  busy: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * Provisioned environments the node holds from an earlier session, per configuration: they hold
   * their slots, so the coordinator counts them before it has sent this session any target.
   */
  provisioned: Type.Optional(
    Type.Array(Type.Object({ specKey: Type.String({ maxLength: 512 }), count: Type.Integer({ minimum: 0 }) }), { maxItems: 10_000 }),
  ),
});

/** Most environments listed in one heartbeat's {@link EnvironmentReportSchema} (the counts stay exact). */
export const MAX_REPORTED_ENVIRONMENTS = 256;

/** States of an environment as a node reports them (the dashboard adds `frozen` and `evicted`). */
export const ReportedEnvironmentStateSchema = Type.Union([Type.Literal('initializing'), Type.Literal('busy'), Type.Literal('idle')]);

/**
 * The node's environments for the dashboard (issue 9): exact counts per state, and a bounded list
 * (at most {@link MAX_REPORTED_ENVIRONMENTS}, busy and initializing first). Sent at most every
 * 500 ms, in some heartbeats only; absent means "unchanged" (an older node never sends it).
 */
export const EnvironmentReportSchema = Type.Object({
  initializing: Type.Integer({ minimum: 0 }),
  busy: Type.Integer({ minimum: 0 }),
  idle: Type.Integer({ minimum: 0 }),
  list: Type.Array(
    Type.Object({
      id: Id,
      functionName: Type.String({ maxLength: 64 }),
      state: ReportedEnvironmentStateSchema,
      provisioned: Type.Optional(Type.Boolean()),
    }),
    { maxItems: MAX_REPORTED_ENVIRONMENTS },
  ),
});

/** Periodic liveness and load report. */
export const ZoneHeartbeatSchema = Type.Object({
  type: Type.Literal('heartbeat'),
  seq: Type.Integer({ minimum: 0 }),
  sentAt: Type.Number(),
  busyEnvironments: Type.Integer({ minimum: 0 }),
  idleEnvironments: Type.Integer({ minimum: 0 }),
  /** Optional (issue 9): the environments by state, for the dashboard. */
  environments: Type.Optional(EnvironmentReportSchema),
});

/** Reply to the coordinator's `ping`. */
export const PongSchema = Type.Object({
  type: Type.Literal('pong'),
  seq: Type.Integer({ minimum: 0 }),
  sentAt: Type.Number(),
});

/** The end of one invocation: a result, a function error, or a refusal before it started. */
export const InvokeResultSchema = Type.Object({
  type: Type.Literal('invoke-result'),
  invocationId: Id,
  outcome: Type.Union([Type.Literal('success'), Type.Literal('function-error')]),
  /** The handler's JSON result as UTF-8 bytes (success only). */
  payload: Type.Optional(Type.Uint8Array()),
  functionError: Type.Optional(FunctionErrorSchema),
  placement: PlacementSchema,
  timings: InvocationTimingsSchema,
  /** Lambda's log lines of this invocation (START ... REPORT), only when the caller asked for Tail. */
  logTail: Type.Optional(Type.String({ maxLength: 64 * 1024 })),
  /** False when the environment was discarded after this invocation (crash, timeout, OOM). */
  environmentKept: Type.Boolean(),
  /**
   * The response went out as `invoke-chunk` frames (the invoke asked for `stream` and the handler
   * streamed): `payload` is then absent, and an error ended the stream where it was.
   */
  streamed: Type.Optional(Type.Boolean()),
  /** The response's content type when the runtime set one (a streaming handler's `setContentType`). */
  contentType: Type.Optional(Type.String({ maxLength: 256 })),
});

/** Largest `data` of one {@link InvokeChunkSchema} frame: a node cuts bigger writes. */
export const MAX_STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * Bytes of a streamed response (issue 17, response streaming), in order, while the invocation
 * runs: sent only for an `invoke` that asked for `stream`, after `invoke-accepted` and before its
 * `invoke-result`. The first frame names the content type the function set.
 */
export const InvokeChunkSchema = Type.Object({
  type: Type.Literal('invoke-chunk'),
  invocationId: Id,
  data: Type.Uint8Array({ maxByteLength: MAX_STREAM_CHUNK_BYTES }),
  contentType: Type.Optional(Type.String({ maxLength: 256 })),
});

/**
 * The zone node received an invocation in time and will run it. Until this arrives the coordinator
 * knows nothing ran, so if the node is lost the invocation can be re-dispatched transparently.
 */
export const InvokeAcceptedSchema = Type.Object({
  type: Type.Literal('invoke-accepted'),
  invocationId: Id,
});

/** The zone node could not take an invocation; nothing ran. The router may place it elsewhere. */
export const InvokeRejectedSchema = Type.Object({
  type: Type.Literal('invoke-rejected'),
  invocationId: Id,
  error: WireErrorSchema,
});

/** An idle environment went away (keep-alive expiry, capacity, shutdown). */
export const EnvironmentEvictedSchema = Type.Object({
  type: Type.Literal('environment-evicted'),
  environmentId: Id,
  specKey: Type.String({ maxLength: 512 }),
  reason: Type.String({ maxLength: 64 }),
});

/**
 * A new idle environment of a configuration is initialised and waits on the node: the keep-alive
 * policy pre-warmed it ahead of an expected invocation (issue 18, hybrid-histogram). The
 * coordinator counts it as warm, as it counts one kept by an invocation.
 */
export const EnvironmentReadySchema = Type.Object({
  type: Type.Literal('environment-ready'),
  environmentId: Id,
  specKey: Type.String({ maxLength: 512 }),
});

/**
 * The node's provisioned environments of one configuration (answer to `provision`, and sent again
 * whenever the numbers change): `ready` are initialised and kept, `initializing` are running INIT,
 * `failed` counts INITs that failed since the last `provision`.
 */
export const ProvisionedStatusSchema = Type.Object({
  type: Type.Literal('provisioned-status'),
  specKey: Type.String({ maxLength: 512 }),
  ready: Type.Integer({ minimum: 0 }),
  initializing: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  /** The last INIT failure (`errorType: errorMessage`), if any. */
  lastError: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** One log line of an environment, with the epoch ms it was written at. */
export const LogEventSchema = Type.Object({
  t: Type.Number(),
  line: Type.String({ maxLength: MAX_LOG_LINE_CHARS }),
});

/**
 * Log lines of environments, batched (one frame per flush, not per invocation): what Lambda
 * writes to CloudWatch Logs, one log stream per environment.
 */
export const LogEventsSchema = Type.Object({
  type: Type.Literal('log-events'),
  streams: Type.Array(
    Type.Object({
      functionName: Type.String({ maxLength: 64 }),
      logStream: Type.String({ maxLength: 512 }),
      events: Type.Array(LogEventSchema, { maxItems: 100_000 }),
    }),
    { maxItems: 10_000 },
  ),
  /** Lines the node dropped since its last batch because its log buffer was full. */
  dropped: Type.Integer({ minimum: 0 }),
});

/** Zone node -> coordinator messages. */
export const ZoneMessageSchema = Type.Union([
  HelloSchema,
  ZoneHeartbeatSchema,
  PongSchema,
  InvokeAcceptedSchema,
  InvokeResultSchema,
  InvokeChunkSchema,
  InvokeRejectedSchema,
  EnvironmentEvictedSchema,
  EnvironmentReadySchema,
  ProvisionedStatusSchema,
  LogEventsSchema,
]);

// ---------------------------------------------------------------- coordinator -> zone node

/** Accepts a `hello`; tells the node how to behave on this session. */
export const WelcomeSchema = Type.Object({
  type: Type.Literal('welcome'),
  protocolVersion: Type.Integer({ minimum: 0 }),
  sessionId: Id,
  heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
  /** Base URL the node fetches code from: `${codeBaseUrl}/${sha256hex}` with the cluster token. */
  codeBaseUrl: Type.String({ maxLength: 2048 }),
  /** The Lambda API's base URL, given to environments as `AWS_ENDPOINT_URL_LAMBDA`. */
  apiUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  /**
   * Credentials environments get for calling the Lambda API (`AWS_ACCESS_KEY_ID` and
   * `AWS_SECRET_ACCESS_KEY`), as Lambda gives them the execution role's: present when the API
   * requires SigV4 signatures, absent otherwise (environments then get dummy ones).
   */
  credentials: Type.Optional(
    Type.Object({
      accessKeyId: Type.String({ minLength: 1, maxLength: 128 }),
      secretAccessKey: Type.String({ minLength: 1, maxLength: 256 }),
    }),
  ),
});

/** Coordinator heartbeat; the node answers with `pong`. */
export const PingSchema = Type.Object({
  type: Type.Literal('ping'),
  seq: Type.Integer({ minimum: 0 }),
  sentAt: Type.Number(),
});

/** Run one invocation. */
export const InvokeSchema = Type.Object({
  type: Type.Literal('invoke'),
  invocationId: Id,
  /** Lambda's request id (`context.awsRequestId`). */
  requestId: Id,
  fn: FunctionSpecSchema,
  /** The event: raw JSON bytes as the caller sent them. */
  payload: Type.Uint8Array(),
  /** The ARN the caller used, qualifier included (`context.invokedFunctionArn`). */
  invokedFunctionArn: Type.String({ maxLength: 512 }),
  /** Decoded `X-Amz-Client-Context` JSON, if any. */
  clientContext: Type.Optional(Type.String({ maxLength: 8192 })),
  /** True when the caller asked for `X-Amz-Log-Type: Tail`. */
  logTail: Type.Boolean(),
  /**
   * Epoch ms (coordinator clock) after which the node must not start this invocation but refuse it
   * with `DISPATCH_EXPIRED`: by then the coordinator may have declared the node down and placed the
   * invocation elsewhere (a frozen node thawing must not run it a second time).
   */
  acceptBy: Type.Number(),
  /**
   * The caller reads the response as a stream (InvokeWithResponseStream, a `RESPONSE_STREAM`
   * function URL): a streaming handler's bytes go out as `invoke-chunk` frames as they are
   * written, up to `maxBytes` (past it the invocation fails with `Function.ResponseSizeTooLarge`).
   */
  stream: Type.Optional(Type.Object({ maxBytes: Type.Integer({ minimum: 1, maximum: 2 ** 40 }) })),
});

/**
 * Drop the idle environments of these configurations: their function was deleted or changed while
 * the node was away, so they can never be used again.
 */
export const DropEnvironmentsSchema = Type.Object({
  type: Type.Literal('drop-environments'),
  specKeys: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 10_000 }),
  reason: Type.String({ maxLength: 256 }),
});

/**
 * Keep `count` provisioned-concurrency environments of this configuration initialised on this node
 * (an absolute target, so it is safe to resend after a reconnect; 0 releases them). They run INIT
 * ahead of any invocation and are exempt from idle eviction.
 */
export const ProvisionSchema = Type.Object({
  type: Type.Literal('provision'),
  fn: FunctionSpecSchema,
  count: Type.Integer({ minimum: 0, maximum: 100_000 }),
});

/**
 * A gray failure of this node (chaos): it keeps answering heartbeats, but its invocations' answers
 * are delayed by `slowFactor` (x their own duration) and a `failRate` fraction fail with a platform
 * error before running. `slowFactor: 1, failRate: 0` heals it.
 */
export const DegradeSchema = Type.Object({
  type: Type.Literal('degrade'),
  slowFactor: Type.Number({ minimum: 1, maximum: 1000 }),
  failRate: Type.Number({ minimum: 0, maximum: 1 }),
});

/** A protocol-level error report, usually followed by a close. */
export const ErrorMessageSchema = Type.Object({
  type: Type.Literal('error'),
  error: WireErrorSchema,
});

/**
 * Static-stability headroom (issue 18): keep at least `count` environments of this configuration
 * on this node, busy or idle (an absolute floor; 0 lifts it). Missing ones are loaded ahead as
 * ordinary on-demand environments and announced with `environment-ready`; they age out by the
 * node's keep-alive like any other, and the floor loads them again.
 */
export const KeepWarmSchema = Type.Object({
  type: Type.Literal('keep-warm'),
  fn: FunctionSpecSchema,
  count: Type.Integer({ minimum: 0, maximum: 100_000 }),
});

/** Coordinator -> zone node messages. */
export const CoordinatorMessageSchema = Type.Union([
  WelcomeSchema,
  PingSchema,
  InvokeSchema,
  DropEnvironmentsSchema,
  ProvisionSchema,
  KeepWarmSchema,
  DegradeSchema,
  ErrorMessageSchema,
]);

export type Hello = Static<typeof HelloSchema>;
/** See {@link SandboxReportSchema}. */
export type SandboxReport = Static<typeof SandboxReportSchema>;
export type ZoneHeartbeat = Static<typeof ZoneHeartbeatSchema>;
export type EnvironmentReport = Static<typeof EnvironmentReportSchema>;
export type Pong = Static<typeof PongSchema>;
export type InvokeAccepted = Static<typeof InvokeAcceptedSchema>;
export type InvokeResult = Static<typeof InvokeResultSchema>;
export type InvokeChunk = Static<typeof InvokeChunkSchema>;
export type InvokeRejected = Static<typeof InvokeRejectedSchema>;
export type EnvironmentEvicted = Static<typeof EnvironmentEvictedSchema>;
export type EnvironmentReady = Static<typeof EnvironmentReadySchema>;
export type ProvisionedStatus = Static<typeof ProvisionedStatusSchema>;
export type LogEvents = Static<typeof LogEventsSchema>;
export type LogEvent = Static<typeof LogEventSchema>;
/** Zone node -> coordinator messages, tagged by `type`. */
export type ZoneMessage = Static<typeof ZoneMessageSchema>;

export type Welcome = Static<typeof WelcomeSchema>;
export type Ping = Static<typeof PingSchema>;
export type Invoke = Static<typeof InvokeSchema>;
export type ErrorMessage = Static<typeof ErrorMessageSchema>;
export type DropEnvironments = Static<typeof DropEnvironmentsSchema>;
export type Provision = Static<typeof ProvisionSchema>;
export type KeepWarm = Static<typeof KeepWarmSchema>;
export type Degrade = Static<typeof DegradeSchema>;
/** Coordinator -> zone node messages, tagged by `type`. */
export type CoordinatorMessage = Static<typeof CoordinatorMessageSchema>;
export type WireErrorData = Static<typeof WireErrorSchema>;
