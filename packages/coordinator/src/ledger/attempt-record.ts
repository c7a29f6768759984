import { LEDGER_FORMAT_VERSION, type LedgerInvocationType, type LedgerRecord } from '@zonesim/ledger';
import type { InvokeResult } from '@zonesim/protocol';
import { LambdaApiError } from '../errors.js';
import { InvocationLostError } from '../membership/pending-invocations.js';
import type { FunctionVersionView } from '../registry/function-record.js';
import type { RouteTrace } from '../router/router.js';

/** Everything known about one attempt when it ends. */
export interface AttemptFacts {
  requestId: string;
  attempt: number;
  invocationType: LedgerInvocationType;
  /** The version that was routed. */
  view: FunctionVersionView;
  /** The qualifier the caller used (an alias name is recorded; versions and `$LATEST` are not). */
  qualifier: string | undefined;
  receivedAt: number;
  queuedAt?: number;
  trace: RouteTrace;
  respondedAt: number;
  result?: InvokeResult;
  error?: unknown;
  duplicate?: boolean;
}

/** The reason of the last offer (where it ran, or was lost), capped to the ledger field's length. */
function placementOf(trace: RouteTrace): string | undefined {
  const steps = trace.steps;
  const last = steps?.[steps.length - 1];
  return last ? last.reason.slice(0, 512) : undefined;
}

/** True for an alias name (a qualifier that is not `$LATEST` and not a version number). */
function aliasName(qualifier: string | undefined): string | undefined {
  if (qualifier === undefined || qualifier === '' || qualifier === '$LATEST' || /^\d+$/.test(qualifier)) return undefined;
  return qualifier;
}

/** A record being filled in, field by field, in the order of the NDJSON line. */
type Draft = Partial<LedgerRecord>;

/**
 * Turns one attempt into its ledger record (one NDJSON line, see packages/ledger/README.md): the
 * node's timings when it ran, otherwise the service error that stopped it. Throttles and service
 * errors never ran, so they bill nothing; an accepted invocation whose link was lost is `lost`.
 *
 * Built as one object completed with `if`s, not with conditional spreads (`...(c ? { x } : {})`):
 * those take V8's generic copy path, about 19 us per record against well under 1 us this way
 * (bench/profiling-notes.md). Fields are added in the same order as before, so the line is the
 * same byte for byte; an optional field is absent, never `undefined`.
 */
export function attemptRecord(f: AttemptFacts): LedgerRecord {
  const v = f.view;
  const trace = f.trace;
  const d: Draft = { v: LEDGER_FORMAT_VERSION, requestId: f.requestId, attempt: f.attempt, functionName: v.name, version: v.version };
  const alias = aliasName(f.qualifier);
  if (alias) d.qualifier = alias;
  d.invocationType = f.invocationType;
  d.architecture = v.architecture;
  d.packageType = 'Zip';
  d.runtime = v.runtime;
  d.receivedAt = f.receivedAt;
  const queuedAt = f.queuedAt !== undefined ? f.queuedAt : trace.queuedAt;
  if (queuedAt !== undefined) d.queuedAt = queuedAt;
  if (trace.dispatchedAt !== undefined) d.dispatchedAt = trace.dispatchedAt;
  d.respondedAt = Math.max(f.respondedAt, f.receivedAt);
  d.outcome = 'service-error';
  d.billedMs = 0;
  d.memoryMb = v.memorySize;
  if (v.ephemeralStorageMb > 512) d.ephemeralStorageMb = v.ephemeralStorageMb;
  if (f.duplicate) d.duplicate = true;
  const placement = placementOf(trace);
  if (placement !== undefined) d.placement = placement;
  const r = f.result;
  if (r) {
    const t = r.timings;
    d.zone = r.placement.zone;
    d.nodeId = r.placement.nodeId;
    d.environmentId = r.placement.environmentId;
    d.cold = r.placement.cold;
    if (r.placement.provisioned) d.provisioned = true;
    if (t.initMs !== undefined) {
      d.initStartAt = Math.max(0, t.startedAt - t.initMs);
      d.initEndAt = t.startedAt;
      d.initMs = t.initMs;
    }
    d.execStartAt = t.startedAt;
    d.execEndAt = t.endedAt;
    d.outcome = r.outcome;
    if (r.outcome === 'function-error' && r.functionError) d.errorType = r.functionError.errorType.slice(0, 1024) || 'Runtime.Unknown';
    d.durationMs = t.durationMs;
    d.billedMs = t.billedMs;
    d.maxMemoryUsedMb = Math.min(t.maxMemoryUsedMb, 10_240);
    return d as LedgerRecord;
  }
  const err = f.error;
  if (err instanceof LambdaApiError && err.status === 429) {
    const reason = err.extra['Reason'];
    d.outcome = 'throttled';
    d.errorType = err.type;
    if (typeof reason === 'string') d.throttleReason = reason;
    return d as LedgerRecord;
  }
  if (err instanceof LambdaApiError && err.cause instanceof InvocationLostError) {
    // It may have run: Lambda would not bill what it cannot see, and zonesim cannot either.
    d.outcome = 'lost';
    d.errorType = err.type;
    return d as LedgerRecord;
  }
  d.errorType = err instanceof LambdaApiError ? err.type : 'ServiceException';
  return d as LedgerRecord;
}
