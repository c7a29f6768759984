import { attemptRan, invocationCost, type LedgerRecord, type PriceTable } from '@zonesim/ledger';
import type { InvocationStory, StoryAttempt, StoryStep } from '@zonesim/dashboard';
import type { IndexedAttempt } from './request-index.js';
import { attemptZone } from './request-index.js';

/** What the async store knows about an event (a subset of `AsyncEvent`). */
export interface StoryAsyncEvent {
  status: string;
  attempt: number;
  nextAttemptAt: number;
}

/** What the dead-letter store knows about an event (a subset of `DeadLetter`). */
export interface StoryDeadLetter {
  condition: string;
  reason: string;
  attempts: number;
  deadAt: number;
}

/** Everything a story is built from; gathered by the route, so this stays a pure function. */
export interface StoryInputs {
  requestId: string;
  attempts: IndexedAttempt[];
  source: InvocationStory['source'];
  asyncEvent?: StoryAsyncEvent;
  deadLetter?: StoryDeadLetter;
  /** Log lines that name the request id, oldest first. */
  logLines: Array<{ t: number; line: string }>;
  prices?: PriceTable;
}

/** Log lines kept in a story. */
const MAX_LOG_LINES = 200;

const THROTTLE_WHY: Record<string, string> = {
  ReservedFunctionConcurrentInvocationLimitExceeded: 'the function\'s reserved concurrency was all in use',
  ConcurrentInvocationLimitExceeded: 'the account\'s concurrency, or every zone node\'s room, was used up',
  FunctionInvocationRateLimitExceeded: 'the function was scaling faster than its scaling rate allows new environments',
};

const ms = (v: number | undefined): string => (v === undefined ? '?' : `${v < 10 ? v.toFixed(2) : Math.round(v)} ms`);
const usd = (v: number): string => (v === 0 ? '$0' : `$${v < 0.01 ? v.toPrecision(2) : v.toFixed(4)}`);

/** The REPORT line Lambda writes, rebuilt from a record (report-lines.ts on the zone node writes the same). */
export function reportLineOf(r: LedgerRecord): string {
  const init = r.initMs !== undefined ? `\tInit Duration: ${r.initMs.toFixed(2)} ms` : '';
  return `REPORT RequestId: ${r.requestId}\tDuration: ${(r.durationMs ?? 0).toFixed(2)} ms\tBilled Duration: ${r.billedMs} ms\tMemory Size: ${r.memoryMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb ?? 0} MB${init}\t`;
}

/**
 * "Explain this invocation" (issue 9): turns the ledger records of one request id (all attempts),
 * the router's offers, the async store's view of the event and its log lines into steps a class
 * can follow: where it was placed and why, cold or warm and why, throttled, retried, failed over,
 * duplicated or dead-lettered, each with its timestamp, plus its REPORT line and its cost.
 */
export function buildInvocationStory(input: StoryInputs): InvocationStory {
  const attempts = [...input.attempts].sort((a, b) => a.record.attempt - b.record.attempt || a.record.receivedAt - b.record.receivedAt);
  const first = attempts[0]?.record;
  if (!first) throw new Error('a story needs at least one attempt');
  const isAsync = first.invocationType !== 'RequestResponse';
  const steps: StoryStep[] = [];
  const tags = new Set<string>();
  const storyAttempts: StoryAttempt[] = [];
  let failedOver = false;
  let total = { totalUsd: 0, requestsUsd: 0, durationUsd: 0 };

  attempts.forEach((a, i) => {
    const r = a.record;
    const zone = attemptZone(r, a.steps);
    const previous = attempts[i - 1]?.record;
    const previousZone = previous ? attemptZone(previous, attempts[i - 1]?.steps) : undefined;
    const faults = r.faultIds?.length ? ` During fault window${r.faultIds.length > 1 ? 's' : ''} ${r.faultIds.join(', ')}.` : '';
    if (i === 0) {
      steps.push({
        at: r.queuedAt !== undefined && isAsync ? Math.min(r.queuedAt, r.receivedAt) : r.receivedAt,
        kind: 'received',
        attempt: r.attempt,
        title: isAsync ? `Accepted as an asynchronous event (${r.invocationType})` : 'Received by the front door (synchronous invoke)',
        detail: (isAsync ? 'Answered 202 once stored durably; the async queue runs it, with Lambda\'s retries.' : 'The caller waits for the result.') + faults,
      });
    } else {
      const cause = previous?.outcome === 'lost' ? `its attempt ${previous.attempt} was lost with ${previousZone ?? 'its zone'}`
        : previous?.outcome === 'function-error' ? `attempt ${previous.attempt} ended in a function error (Lambda retries those twice, about 1 and 2 minutes apart)`
        : previous?.outcome === 'throttled' ? `attempt ${previous.attempt} was throttled (backoff, without using a retry)`
        : `attempt ${previous?.attempt ?? i} failed in the platform (backoff, without using a retry)`;
      steps.push({ at: r.receivedAt, kind: 'retry', attempt: r.attempt, title: `Attempt ${r.attempt}: retried because ${cause}`, detail: faults.trim() || undefined });
    }
    if (r.duplicate) {
      tags.add('duplicate');
      steps.push({ at: r.receivedAt, kind: 'duplicate', attempt: r.attempt, title: 'A duplicate delivery', detail: 'An earlier attempt may have run (its outcome never came back): delivery is at-least-once, and zonesim counts it.' });
    }
    if (r.queuedAt !== undefined && !isAsync && r.queuedAt > r.receivedAt - 1) {
      steps.push({ at: r.queuedAt, kind: 'waited', attempt: r.attempt, title: 'No zone node had room: waited for capacity' });
    }
    if (r.attempt > 1 && r.zone !== undefined && previousZone !== undefined && r.zone !== previousZone && (previous?.outcome === 'lost' || previous?.outcome === 'service-error')) {
      failedOver = true;
      steps.push({
        at: r.receivedAt,
        kind: 'failover',
        attempt: r.attempt,
        zone: r.zone,
        title: `Failed over: attempt ${r.attempt} runs in ${r.zone}, away from ${previousZone} where attempt ${previous.attempt} was ${previous.outcome === 'lost' ? 'lost' : 'refused'}`,
        detail: 'Placement only uses healthy zones: the failed zone gets nothing until it is back.',
      });
    }
    for (const s of a.steps ?? []) {
      steps.push({ at: s.at, kind: 'placed', attempt: r.attempt, zone: s.zone, nodeId: s.nodeId, title: `Sent to ${s.nodeId} in ${s.zone}`, detail: `Why: ${s.reason}.` });
      if (s.outcome === 'refused') {
        steps.push({ at: s.endedAt ?? s.at, kind: 'refused', attempt: r.attempt, zone: s.zone, nodeId: s.nodeId, title: `${s.nodeId} refused it (${s.code ?? 'refused'})`, detail: `Nothing ran; the router tried another node.${s.note ? ` ${s.note}.` : ''}` });
      }
    }
    if (!a.steps?.length && r.placement && zone) {
      steps.push({ at: r.dispatchedAt ?? r.receivedAt, kind: 'placed', attempt: r.attempt, zone, ...(r.nodeId ? { nodeId: r.nodeId } : {}), title: `Sent to ${r.nodeId ?? zone} in ${zone}`, detail: `Why: ${r.placement}.` });
    }

    if (r.outcome === 'throttled') {
      tags.add('throttled');
      const reason = r.throttleReason ?? 'ConcurrentInvocationLimitExceeded';
      steps.push({
        at: r.respondedAt,
        kind: 'throttled',
        attempt: r.attempt,
        title: `Throttled: 429 TooManyRequestsException (${reason})`,
        detail: `Nothing ran: ${THROTTLE_WHY[reason] ?? 'a concurrency limit was reached'}. ${isAsync ? 'The async queue backs off and tries again.' : 'The caller may retry.'}`,
      });
    }
    if (attemptRan(r) || r.cold) {
      const where = `${r.environmentId ?? 'an environment'} on ${r.nodeId ?? '?'} (${r.zone ?? '?'})`;
      if (r.cold && r.initStartAt !== undefined) {
        const warmExpected = r.placement?.includes('warm environment on') === true && !r.placement.includes('no warm');
        steps.push({
          at: r.initStartAt,
          kind: 'init',
          attempt: r.attempt,
          zone: r.zone,
          nodeId: r.nodeId,
          title: `Cold start: INIT of a new environment took ${ms(r.initMs)}`,
          detail: warmExpected
            ? `The coordinator counted an idle environment on that node, but it was gone (evicted or taken) when the invocation arrived, so ${where} was created.`
            : `No idle environment of this version was free where it was placed, so ${where} was created and ran the handler module's top-level code once.`,
        });
      }
      steps.push({
        at: r.execStartAt ?? r.receivedAt,
        kind: 'run',
        attempt: r.attempt,
        zone: r.zone,
        nodeId: r.nodeId,
        title: `${r.cold ? 'Ran' : r.provisioned ? 'Ran warm on provisioned concurrency' : 'Ran warm'}: handler ${ms(r.durationMs)}, billed ${r.billedMs} ms`,
        detail: r.cold
          ? `In ${where}, just after its INIT.`
          : r.provisioned
            ? `In ${where}: provisioned concurrency ran INIT ahead of time, so no cold start.`
            : `Reused ${where}: its INIT had already run for an earlier invocation.`,
      });
    }
    if (r.outcome === 'success') {
      steps.push({ at: r.respondedAt, kind: 'answered', attempt: r.attempt, title: isAsync ? 'The attempt succeeded' : 'Answered 200 with the function\'s result', detail: `End to end ${ms(r.respondedAt - r.receivedAt)}.` });
    } else if (r.outcome === 'function-error') {
      steps.push({ at: r.execEndAt ?? r.respondedAt, kind: 'error', attempt: r.attempt, title: `The handler failed: ${r.errorType ?? 'error'}`, detail: isAsync ? 'A function error: the async queue retries it (up to its maximum retry attempts).' : 'Answered 200 with X-Amz-Function-Error: Unhandled; Lambda does not retry a synchronous invoke.' });
    } else if (r.outcome === 'service-error') {
      steps.push({ at: r.respondedAt, kind: 'error', attempt: r.attempt, zone, title: `The platform failed before running it: ${r.errorType ?? 'ServiceException'}`, detail: isAsync ? 'Nothing ran; the async queue backs off and tries again.' : 'The caller got a 5xx; nothing ran.' });
    } else if (r.outcome === 'lost') {
      steps.push({
        at: r.respondedAt,
        kind: 'lost',
        attempt: r.attempt,
        zone,
        title: `Lost: ${zone ?? 'its zone'} accepted it, then the link to its node was lost`,
        detail: isAsync
          ? 'It may have run; the async queue delivers it again elsewhere (at-least-once), counting a possible duplicate.'
          : 'It may have run; Lambda never retries a synchronous invoke, so the caller got 500 ServiceException and decides.',
      });
    }
    const cost = invocationCost(r, input.prices);
    total = { totalUsd: total.totalUsd + cost.totalUsd, requestsUsd: total.requestsUsd + cost.requestsUsd, durationUsd: total.durationUsd + cost.durationUsd };
    storyAttempts.push({
      attempt: r.attempt,
      outcome: r.outcome,
      receivedAt: r.receivedAt,
      respondedAt: r.respondedAt,
      billedMs: r.billedMs,
      costUsd: cost.totalUsd,
      ...(zone ? { zone } : {}),
      ...(r.nodeId ? { nodeId: r.nodeId } : a.steps?.length ? { nodeId: a.steps[a.steps.length - 1]!.nodeId } : {}),
      ...(r.environmentId ? { environmentId: r.environmentId } : {}),
      ...(r.cold !== undefined ? { cold: r.cold } : {}),
      ...(r.provisioned ? { provisioned: true } : {}),
      ...(r.placement ? { placement: r.placement } : {}),
      ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
      ...(r.initMs !== undefined ? { initMs: r.initMs } : {}),
      ...(r.errorType ? { errorType: r.errorType } : {}),
      ...(r.duplicate ? { duplicate: true } : {}),
      ...(r.faultIds?.length ? { faultIds: r.faultIds } : {}),
    });
  });

  const last = attempts[attempts.length - 1]!.record;
  let verdict: InvocationStory['verdict'] =
    last.outcome === 'success' ? 'succeeded' : last.outcome === 'function-error' ? 'function-error' : last.outcome === 'throttled' ? 'throttled' : last.outcome === 'lost' ? 'lost' : 'failed';
  const dl = input.deadLetter;
  if (dl) {
    verdict = 'dead-lettered';
    tags.add('dead-lettered');
    steps.push({ at: dl.deadAt, kind: 'dead-lettered', title: `Dead-lettered: ${dl.reason}`, detail: `Condition ${dl.condition} after ${dl.attempts} attempt${dl.attempts === 1 ? '' : 's'}. It waits in the dead-letter store (zonesim dlq list / redrive); nothing is dropped silently.` });
  } else if (input.asyncEvent && (input.asyncEvent.status === 'queued' || input.asyncEvent.status === 'in-flight')) {
    verdict = 'pending';
    steps.push({ at: input.asyncEvent.nextAttemptAt, kind: 'pending', title: input.asyncEvent.status === 'queued' ? 'Waiting in the async queue for its next attempt' : 'An attempt is running now' });
  } else if (input.asyncEvent?.status === 'done' && last.outcome === 'success') {
    steps.push({ at: last.respondedAt, kind: 'delivered', title: 'Delivered: the event is done' });
  }
  const ran = [...attempts].reverse().find((a) => attemptRan(a.record))?.record;
  if (ran) tags.add(ran.cold ? 'cold' : 'warm');
  if (attempts.some((a) => a.record.provisioned)) tags.add('provisioned');
  if (attempts.length > 1 || first.attempt > 1) tags.add('retried');
  if (failedOver) tags.add('failed-over');

  const logLines = input.logLines.slice(-MAX_LOG_LINES);
  const reportFromLog = [...logLines].reverse().find((l) => l.line.startsWith(`REPORT RequestId: ${input.requestId}`));
  const report = reportFromLog ? { line: reportFromLog.line, source: 'log' as const } : ran ? { line: reportLineOf(ran), source: 'ledger' as const } : null;

  steps.sort((a, b) => a.at - b.at);
  return {
    requestId: input.requestId,
    functionName: first.functionName,
    version: last.version,
    invocationType: first.invocationType,
    summary: summaryOf({ verdict, attempts: attempts.map((a) => a.record), ran, failedOver, isAsync, deadLetter: dl, costUsd: total.totalUsd }),
    verdict,
    tags: [...tags],
    steps,
    attempts: storyAttempts,
    report,
    logLines,
    cost: total,
    source: input.source,
  };
}

function summaryOf(s: {
  verdict: InvocationStory['verdict'];
  attempts: LedgerRecord[];
  ran: LedgerRecord | undefined;
  failedOver: boolean;
  isAsync: boolean;
  deadLetter: StoryDeadLetter | undefined;
  costUsd: number;
}): string {
  const n = s.attempts.length;
  const parts: string[] = [];
  const where = s.ran ? `${s.ran.cold ? 'cold' : 'warm'} in ${s.ran.zone ?? '?'}` : undefined;
  switch (s.verdict) {
    case 'succeeded':
      parts.push(`Succeeded${n > 1 ? ` on attempt ${s.attempts[n - 1]!.attempt}` : ''}, ${where ?? 'somewhere'}, handler ${ms(s.ran?.durationMs)}`);
      break;
    case 'function-error':
      parts.push(`The handler failed (${s.attempts[n - 1]!.errorType ?? 'error'}), ${where ?? ''}`.trim());
      break;
    case 'throttled':
      parts.push(`Throttled (${s.attempts[n - 1]!.throttleReason ?? '429'}); nothing ran`);
      break;
    case 'lost':
      parts.push('Lost with its zone after it was accepted; it may have run');
      break;
    case 'dead-lettered':
      parts.push(`Dead-lettered (${s.deadLetter?.reason ?? '?'}) after ${s.deadLetter?.attempts ?? n} attempt(s)`);
      break;
    case 'pending':
      parts.push(`Still in the async queue after ${n} attempt(s)`);
      break;
    default:
      parts.push(`Failed in the platform (${s.attempts[n - 1]!.errorType ?? 'ServiceException'})`);
  }
  if (s.failedOver) parts.push('it failed over from a lost zone node');
  parts.push(`cost ${usd(s.costUsd)}`);
  return `${parts.join('; ')}.`;
}
