import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The files of a run directory: what the runner writes while it runs and what the checker reads
 * after. Timestamps are epoch milliseconds (may carry a fraction). Optional fields are absent when
 * unknown; readers accept extra fields, so adding an optional field keeps version 1.
 *
 * | file | written | content |
 * |---|---|---|
 * | `run.json` | at start, rewritten at the end | {@link RunInfo} |
 * | `history.ndjson` | one line per finished operation | {@link HistoryOp} |
 * | `faults.ndjson` | a line when a fault is applied, another when healed (same id) | {@link FaultRecord} |
 * | `zones.ndjson` | a line per zone (or node) health change the runner observed | {@link ZoneTransition} |
 * | `async-final.json` | at the end, from the coordinator | {@link AsyncFinal} |
 * | `queue-messages.ndjson` | at the end, from the coordinator's queue service | {@link QueueMessageRecord} |
 * | `environments.json` | at the end, from the zone nodes' pools (virtual runs) | {@link EnvironmentTotals} |
 * | `ledger/` | by the coordinator | @zonesim/ledger records |
 */
export const RunFile = {
  Run: 'run.json',
  History: 'history.ndjson',
  Faults: 'faults.ndjson',
  Zones: 'zones.ndjson',
  AsyncFinal: 'async-final.json',
  QueueMessages: 'queue-messages.ndjson',
  Environments: 'environments.json',
  LedgerDir: 'ledger',
} as const;

const EpochMs = Type.Number({ minimum: 0 });
const Text = Type.String({ minLength: 1, maxLength: 1024 });

/** How an operation ended, Jepsen-style. */
export const OpResult = {
  /** 200 (sync, also with X-Amz-Function-Error: see `functionError`) or 202 (async accepted). */
  Ok: 'ok',
  /** A definite refusal: 4xx or 5xx (429 throttle, 500, 502...). It did not happen. */
  Fail: 'fail',
  /** No answer: connection error or client timeout. It may or may not have happened. */
  Unknown: 'unknown',
} as const;
/** One of {@link OpResult}. */
export type OpResult = (typeof OpResult)[keyof typeof OpResult];

/** One operation (one invocation the runner sent), one line of `history.ndjson`. */
export const HistoryOpSchema = Type.Object({
  /** The arrival's `seq` in the schedule. */
  seq: Type.Integer({ minimum: 0 }),
  /** Index of the workload entry. */
  workload: Type.Integer({ minimum: 0 }),
  /** The function, or for a `queue` operation the queue. */
  function: Text,
  /** `queue`: a SendMessage (`requestId` is the MessageId). */
  invocation: Type.Union([Type.Literal('sync'), Type.Literal('async'), Type.Literal('queue')]),
  /** When the schedule said to send it: latency is measured from here (open loop, stalls are not hidden). */
  intendedAt: EpochMs,
  /** When it was actually sent. */
  sentAt: EpochMs,
  /** When the answer (or the error) came. */
  endedAt: EpochMs,
  /** HTTP status; null when none came. */
  status: Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()]),
  result: Type.Union([Type.Literal('ok'), Type.Literal('fail'), Type.Literal('unknown')]),
  /** X-Amzn-RequestId: for async, the event id the coordinator's ledger and dead letters use. */
  requestId: Type.Optional(Text),
  /** The zone that ran it, when the answer said. */
  zone: Type.Optional(Text),
  /** X-Amz-Function-Error (`Unhandled`), on a 200. */
  functionError: Type.Optional(Text),
  /** The error type (`X-Amzn-ErrorType`, the function's `errorType`, or the client error code such as `ECONNRESET`, `TIMEOUT`). */
  errorType: Type.Optional(Text),
  /** The Reason of a 429. */
  throttleReason: Type.Optional(Text),
  /** Calls the client made for it, retries included (`client.retries`); absent: one. The answer and times are of the whole operation. */
  attempts: Type.Optional(Type.Integer({ minimum: 2 })),
  /** A failure the client would have retried, but its retry budget was spent. */
  budgetExhausted: Type.Optional(Type.Literal(true)),
});
/** See {@link HistoryOpSchema}. */
export type HistoryOp = Static<typeof HistoryOpSchema>;

/** Targets as applied (the same shape as the schedule's). */
const TargetsSchema = Type.Object({
  zones: Type.Optional(Type.Array(Text)),
  nodeIds: Type.Optional(Type.Array(Text)),
  coordinator: Type.Optional(Type.Literal(true)),
});

/** A fault as the runner applied it, one line of `faults.ndjson`. */
export const FaultRecordSchema = Type.Object({
  id: Text,
  action: Text,
  target: TargetsSchema,
  /** When it was applied. */
  startAt: EpochMs,
  /** When it was healed; absent on the line written at apply time, or when the run died first. */
  endAt: Type.Optional(EpochMs),
  /** Why it could not be applied or healed, if so. */
  error: Type.Optional(Text),
});
/** See {@link FaultRecordSchema}. */
export type FaultRecord = Static<typeof FaultRecordSchema>;

/** Health of a zone (or node) as the coordinator reports it. */
export const HealthSchema = Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('suspect'), Type.Literal('down')]);

/** A health change the runner observed, one line of `zones.ndjson`. */
export const ZoneTransitionSchema = Type.Object({
  t: EpochMs,
  zone: Text,
  /** Set when the change is a node's, not the zone's. */
  nodeId: Type.Optional(Text),
  health: HealthSchema,
});
/** See {@link ZoneTransitionSchema}. */
export type ZoneTransition = Static<typeof ZoneTransitionSchema>;

/** `async-final.json`: what the coordinator's async queue held at the end. */
export const AsyncFinalSchema = Type.Object({
  deadLetters: Type.Array(
    Type.Object({
      eventId: Text,
      functionName: Text,
      /** `RetriesExhausted`, `EventAgeExceeded`, or `Success` (an on-success destination failed). */
      condition: Text,
      reason: Text,
    }),
  ),
  /** Events still queued or in flight. */
  pending: Type.Array(Text),
});
/** See {@link AsyncFinalSchema}. */
export type AsyncFinal = Static<typeof AsyncFinalSchema>;

/** Where a message ended up, one line of `queue-messages.ndjson` (from `GET /zonesim/v1/queue-messages`). */
export const QueueMessageRecordSchema = Type.Object({
  messageId: Text,
  /** The queue it is in now (a dead-lettered message is in its dead-letter queue). */
  queue: Text,
  /** `deleted` (processed: a consumer deleted it), `queued`, `dead-lettered`, `expired`, `purged`. */
  state: Type.Union([Type.Literal('queued'), Type.Literal('dead-lettered'), Type.Literal('deleted'), Type.Literal('expired'), Type.Literal('purged')]),
  receiveCount: Type.Integer({ minimum: 0 }),
  /** Receives whose event source mapping invocation succeeded for it. */
  successes: Type.Integer({ minimum: 0 }),
  /** Receives after an earlier receive that may have been processed (duplicate deliveries). */
  duplicates: Type.Integer({ minimum: 0 }),
  deadLetterFrom: Type.Optional(Text),
});
/** See {@link QueueMessageRecordSchema}. */
export type QueueMessageRecord = Static<typeof QueueMessageRecordSchema>;

/**
 * `environments.json` (issue 18): what the zone nodes' environment pools measured over the run,
 * summed over every node and every process of a node (a killed node's totals up to its kill).
 * Written by virtual runs, where the runner holds the nodes; a real run has none.
 */
export const EnvironmentTotalsSchema = Type.Object({
  v: Type.Literal(1),
  /** The keep-alive policy the nodes ran: `fixed` or `hybrid-histogram`. */
  keepAlivePolicy: Text,
  /** Memory x time of environments loaded and idle (kept, pre-warmed or provisioned), MB x s. */
  idleMemoryMbSeconds: Type.Number({ minimum: 0 }),
  /** Environments pre-warmed by the keep-alive policy. */
  prewarms: Type.Integer({ minimum: 0 }),
  /** Pre-warms given up (no room, stopping, INIT failed). */
  prewarmsFailed: Type.Integer({ minimum: 0 }),
});
/** See {@link EnvironmentTotalsSchema}. */
export type EnvironmentTotals = Static<typeof EnvironmentTotalsSchema>;

/** `run.json`: the run's identity and its clock. */
export const RunInfoSchema = Type.Object({
  v: Type.Literal(1),
  /** Scenario name. */
  scenario: Text,
  /** Scenario file, absolute. */
  file: Type.Optional(Text),
  seed: Type.Union([Type.Integer(), Type.String()]),
  /** Fields set over the file's values (`--set path=value`), in order: `zonesim check` applies them again. */
  overrides: Type.Optional(Type.Array(Text)),
  /** {@link scheduleDigest} of the schedule the run used. */
  digest: Type.Optional(Text),
  /** Epoch ms of the start of the load phase (t = 0 of the schedule). */
  t0: EpochMs,
  /** When the load phase ended (early, if stopped). */
  loadEndAt: Type.Optional(EpochMs),
  /** When the run ended (after cooldown and healing). */
  endAt: Type.Optional(EpochMs),
  /** Set when a stop condition (or the user) ended the run early. */
  stopped: Type.Optional(Type.Object({ by: Text, at: EpochMs, reason: Text })),
  /** `virtual`: the run's times are virtual (issue 16). Absent: a real run. */
  mode: Type.Optional(Type.Union([Type.Literal('real'), Type.Literal('virtual')])),
  /** A virtual run's cost in wall time (outside the run's digest: it differs from run to run). */
  wall: Type.Optional(Type.Object({ ms: Type.Number({ minimum: 0 }), virtualMs: Type.Number({ minimum: 0 }), speedup: Type.Number({ minimum: 0 }), events: Type.Integer({ minimum: 0 }) })),
});
/** See {@link RunInfoSchema}. */
export type RunInfo = Static<typeof RunInfoSchema>;

/** A compiled validator: returns undefined, or the first bad field (a JSON pointer) with why. */
export type Validator = (value: unknown) => { field: string; message: string } | undefined;

function compile(schema: TSchema): Validator {
  const check = TypeCompiler.Compile(schema);
  return (value) => {
    if (check.Check(value)) return undefined;
    const first = check.Errors(value).First();
    return { field: first?.path || '/', message: first?.message ?? 'invalid' };
  };
}

/** Validators of each file's records, compiled once. */
export const validators = {
  historyOp: compile(HistoryOpSchema),
  faultRecord: compile(FaultRecordSchema),
  zoneTransition: compile(ZoneTransitionSchema),
  asyncFinal: compile(AsyncFinalSchema),
  queueMessage: compile(QueueMessageRecordSchema),
  runInfo: compile(RunInfoSchema),
  environmentTotals: compile(EnvironmentTotalsSchema),
};
