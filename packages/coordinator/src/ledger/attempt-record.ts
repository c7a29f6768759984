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
function placementOf(trace: RouteTrace): { placement?: string } {
  const steps = trace.steps;
  const last = steps?.[steps.length - 1];
  return last ? { placement: last.reason.slice(0, 512) } : {};
}

/** True for an alias name (a qualifier that is not `$LATEST` and not a version number). */
function aliasName(qualifier: string | undefined): string | undefined {
  if (qualifier === undefined || qualifier === '' || qualifier === '$LATEST' || /^\d+$/.test(qualifier)) return undefined;
  return qualifier;
}

/**
 * Turns one attempt into its ledger record (one NDJSON line, see packages/ledger/README.md): the
 * node's timings when it ran, otherwise the service error that stopped it. Throttles and service
 * errors never ran, so they bill nothing; an accepted invocation whose link was lost is `lost`.
 */
export function attemptRecord(f: AttemptFacts): LedgerRecord {
  const v = f.view;
  const alias = aliasName(f.qualifier);
  const base: LedgerRecord = {
    v: LEDGER_FORMAT_VERSION,
    requestId: f.requestId,
    attempt: f.attempt,
    functionName: v.name,
    version: v.version,
    ...(alias ? { qualifier: alias } : {}),
    invocationType: f.invocationType,
    architecture: v.architecture,
    packageType: 'Zip',
    runtime: v.runtime,
    receivedAt: f.receivedAt,
    ...(f.queuedAt !== undefined ? { queuedAt: f.queuedAt } : f.trace.queuedAt !== undefined ? { queuedAt: f.trace.queuedAt } : {}),
    ...(f.trace.dispatchedAt !== undefined ? { dispatchedAt: f.trace.dispatchedAt } : {}),
    respondedAt: Math.max(f.respondedAt, f.receivedAt),
    outcome: 'service-error',
    billedMs: 0,
    memoryMb: v.memorySize,
    ...(v.ephemeralStorageMb > 512 ? { ephemeralStorageMb: v.ephemeralStorageMb } : {}),
    ...(f.duplicate ? { duplicate: true } : {}),
    ...placementOf(f.trace),
  };
  const r = f.result;
  if (r) {
    const t = r.timings;
    const initStartAt = t.initMs !== undefined ? Math.max(0, t.startedAt - t.initMs) : undefined;
    return {
      ...base,
      zone: r.placement.zone,
      nodeId: r.placement.nodeId,
      environmentId: r.placement.environmentId,
      cold: r.placement.cold,
      ...(r.placement.provisioned ? { provisioned: true } : {}),
      ...(initStartAt !== undefined ? { initStartAt, initEndAt: t.startedAt, initMs: t.initMs } : {}),
      execStartAt: t.startedAt,
      execEndAt: t.endedAt,
      outcome: r.outcome,
      ...(r.outcome === 'function-error' && r.functionError ? { errorType: r.functionError.errorType.slice(0, 1024) || 'Runtime.Unknown' } : {}),
      durationMs: t.durationMs,
      billedMs: t.billedMs,
      maxMemoryUsedMb: Math.min(t.maxMemoryUsedMb, 10_240),
    };
  }
  const err = f.error;
  if (err instanceof LambdaApiError && err.status === 429) {
    const reason = err.extra['Reason'];
    return { ...base, outcome: 'throttled', errorType: err.type, ...(typeof reason === 'string' ? { throttleReason: reason } : {}) };
  }
  if (err instanceof LambdaApiError && err.cause instanceof InvocationLostError && err.cause.accepted) {
    // It may have run: Lambda would not bill what it cannot see, and zonesim cannot either.
    return { ...base, outcome: 'lost', errorType: err.type };
  }
  const type = err instanceof LambdaApiError ? err.type : 'ServiceException';
  return { ...base, outcome: 'service-error', errorType: type };
}
