import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { LedgerErrorCode, LedgerRecordError, type RecordLocation } from './errors.js';

/** The ledger format version written in every record's `v`. Bump it on an incompatible change. */
export const LEDGER_FORMAT_VERSION = 1;

/** How the attempt was invoked (the coordinator's entry point, not Lambda's `X-Amz-Invocation-Type` alone). */
export const LedgerInvocationType = {
  RequestResponse: 'RequestResponse',
  Event: 'Event',
  SQS: 'SQS',
  Schedule: 'Schedule',
  FunctionUrl: 'FunctionUrl',
} as const;
/** One of {@link LedgerInvocationType}. */
export type LedgerInvocationType = (typeof LedgerInvocationType)[keyof typeof LedgerInvocationType];

/** How one attempt ended. */
export const LedgerOutcome = {
  /** The handler returned a value. */
  Success: 'success',
  /** The handler, its INIT or its environment failed, or it timed out: billed like a success. */
  FunctionError: 'function-error',
  /** Refused for concurrency before it ran (`TooManyRequestsException`): never billed. */
  Throttled: 'throttled',
  /** The platform failed before the function ran (no zone, bad link, ...): never billed. */
  ServiceError: 'service-error',
  /** A zone accepted the invoke, then the link was lost before a result came back. */
  Lost: 'lost',
} as const;
/** One of {@link LedgerOutcome}. */
export type LedgerOutcome = (typeof LedgerOutcome)[keyof typeof LedgerOutcome];

/** Outcomes of attempts that never ran code, so they carry `billedMs: 0` and cost nothing (lambda-facts 8). */
export const UNBILLED_OUTCOMES: ReadonlySet<LedgerOutcome> = new Set([LedgerOutcome.Throttled, LedgerOutcome.ServiceError]);

function literals<T extends Record<string, string>>(values: T) {
  return Type.Union(Object.values(values).map((v) => Type.Literal(v as T[keyof T])));
}

const EpochMs = Type.Number({ minimum: 0 });
const DurationMs = Type.Number({ minimum: 0 });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/**
 * One attempt of one invocation, as one NDJSON line. Timestamps are epoch milliseconds (may carry
 * a fraction); optional fields are absent when unknown (e.g. `zone` on a throttle decided before
 * placement). Readers accept unknown extra fields so that adding an optional field stays version 1.
 */
export const LedgerRecordSchema = Type.Object({
  v: Type.Literal(LEDGER_FORMAT_VERSION),
  requestId: Text(128),
  /**
   * 1-based: 1 for the first delivery, 2 and 3 for Lambda's async retries, n for SQS redeliveries.
   * Any attempt past 1 is a retry (there is no separate retry flag).
   */
  attempt: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  functionName: Text(140),
  /** The version that ran: `$LATEST` or a published version number. */
  version: Type.String({ pattern: '^(\\$LATEST|[0-9]{1,10})$' }),
  /** The alias name, when invoked through one. */
  qualifier: Type.Optional(Text(128)),
  invocationType: literals(LedgerInvocationType),
  zone: Type.Optional(Text(64)),
  nodeId: Type.Optional(Text(128)),
  environmentId: Type.Optional(Text(128)),
  /** True when this attempt created its environment (ran INIT). */
  cold: Type.Optional(Type.Boolean()),
  /** True when it ran on a provisioned-concurrency environment (billed at the PC duration rate). */
  provisioned: Type.Optional(Type.Boolean()),
  architecture: Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')]),
  packageType: Type.Union([Type.Literal('Zip'), Type.Literal('Image')]),
  runtime: Text(64),
  /** The coordinator received the request (for a retry: when the retry was taken up). */
  receivedAt: EpochMs,
  /** Put on an async or event-source queue. */
  queuedAt: Type.Optional(EpochMs),
  /** Sent to a zone node. */
  dispatchedAt: Type.Optional(EpochMs),
  initStartAt: Type.Optional(EpochMs),
  initEndAt: Type.Optional(EpochMs),
  execStartAt: Type.Optional(EpochMs),
  execEndAt: Type.Optional(EpochMs),
  /** The coordinator answered the caller, or (async) finished with the attempt. */
  respondedAt: EpochMs,
  outcome: literals(LedgerOutcome),
  /** e.g. `Runtime.ExitError`, `Sandbox.Timedout`, `TooManyRequestsException`. */
  errorType: Type.Optional(Text(1024)),
  /** Why a throttle happened, e.g. `ReservedFunctionConcurrentInvocationLimitExceeded`. */
  throttleReason: Type.Optional(Text(256)),
  /** Handler duration (Lambda's REPORT `Duration`). */
  durationMs: Type.Optional(DurationMs),
  /** INIT duration, on cold starts only (REPORT `Init Duration`). */
  initMs: Type.Optional(DurationMs),
  /** REPORT `Billed Duration`: 0 when the attempt never ran. See `billedDurationMs`. */
  billedMs: Type.Integer({ minimum: 0 }),
  memoryMb: Type.Integer({ minimum: 128, maximum: 10_240 }),
  maxMemoryUsedMb: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_240 })),
  /** `/tmp` size; absent means Lambda's default 512 MB (not billed). */
  ephemeralStorageMb: Type.Optional(Type.Integer({ minimum: 512, maximum: 10_240 })),
  /** True when the same event was delivered again although an earlier delivery succeeded (SQS, lost link). */
  duplicate: Type.Optional(Type.Boolean()),
  /** Ids of the fault windows active when the attempt was received (filled by the scenario runner). */
  faultIds: Type.Optional(Type.Array(Text(128), { maxItems: 64 })),
  /**
   * Why the coordinator placed the attempt where it ran (issue 9's "explain"), e.g. `warm
   * environment on az-a-node-1` or `re-dispatched after az-b-node-1 (az-b) was lost before accepting it; ...`.
   */
  placement: Type.Optional(Text(512)),
});

/** One ledger record: see {@link LedgerRecordSchema} and the package README for each field. */
export type LedgerRecord = Static<typeof LedgerRecordSchema>;

// Compiled once at load: a record costs one compiled check (the protocol package does the same).
const CHECK = TypeCompiler.Compile(LedgerRecordSchema as TSchema);

/**
 * Validates an already-parsed value as a ledger record; throws a {@link LedgerRecordError} naming
 * the first bad field. Besides the schema it checks the one cross-field rule billing relies on:
 * throttled and service-error attempts never ran, so their `billedMs` is 0.
 */
export function validateLedgerRecord(value: unknown, location: RecordLocation = {}): LedgerRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LedgerRecordError(LedgerErrorCode.InvalidRecord, 'ledger record is not a JSON object', location);
  }
  if (!CHECK.Check(value)) {
    const first = CHECK.Errors(value).First();
    const field = first?.path || '/';
    throw new LedgerRecordError(
      LedgerErrorCode.InvalidRecord,
      `invalid ledger record: ${field}: ${first?.message ?? 'invalid'}`,
      { ...location, field },
    );
  }
  const record = value as LedgerRecord;
  if (UNBILLED_OUTCOMES.has(record.outcome) && record.billedMs !== 0) {
    throw new LedgerRecordError(
      LedgerErrorCode.InvalidRecord,
      `invalid ledger record: /billedMs: must be 0 for outcome ${record.outcome}`,
      { ...location, field: '/billedMs' },
    );
  }
  return record;
}

/** Parses one NDJSON line (without its newline) into a record; throws a {@link LedgerRecordError}. */
export function parseLedgerRecord(line: string, location: RecordLocation = {}): LedgerRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new LedgerRecordError(LedgerErrorCode.MalformedRecord, `ledger line is not JSON: ${(err as Error).message}`, {
      ...location,
      cause: err,
    });
  }
  return validateLedgerRecord(value, location);
}

/** True when the attempt ran function code (it is billed). `lost` counts when a duration was reported. */
export function attemptRan(record: Pick<LedgerRecord, 'outcome' | 'billedMs'>): boolean {
  if (record.outcome === LedgerOutcome.Success || record.outcome === LedgerOutcome.FunctionError) return true;
  return record.outcome === LedgerOutcome.Lost && record.billedMs > 0;
}
