import { formatDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import type { ResolvedFunction, ResolvedQueue, ResolvedQueueTrigger } from './types.js';

/** SQS's defaults for what a scenario does not say. */
export const DEFAULT_QUEUE = { visibilityTimeoutSec: 30, delaySec: 0, maxReceiveCount: 5 } as const;
/** Lambda's defaults for an SQS event source mapping. */
export const DEFAULT_QUEUE_TRIGGER = { batchSize: 10, batchingWindowSec: 0 } as const;

/** The queues section: names unique, whole-second times in SQS's ranges, dead-letter queues that exist. */
export function resolveQueues(raw: unknown[], ctx: ResolveContext): ResolvedQueue[] {
  const out: ResolvedQueue[] = [];
  const seen = new Map<string, number>();
  const names = raw.map((q) => (q as Raw)?.['name']).filter((n): n is string => typeof n === 'string');
  for (const [i, item] of raw.entries()) {
    const path = ['queues', i];
    const q = item as Raw;
    const name = typeof q?.['name'] === 'string' ? q['name'] : undefined;
    if (name !== undefined && !ctx.broken([...path, 'name'])) {
      if (seen.has(name)) ctx.error([...path, 'name'], ScenarioErrorCode.Duplicate, `queue "${name}" is already defined at queues[${seen.get(name)}]`);
      else seen.set(name, i);
    }
    if (ctx.broken(path) || name === undefined) continue;
    const queue: ResolvedQueue = {
      name,
      visibilityTimeoutSec: ctx.seconds(q['visibilityTimeout'], [...path, 'visibilityTimeout'], 0, 43_200) ?? DEFAULT_QUEUE.visibilityTimeoutSec,
      delaySec: ctx.seconds(q['delay'], [...path, 'delay'], 0, 900) ?? DEFAULT_QUEUE.delaySec,
    };
    const retention = ctx.seconds(q['retention'], [...path, 'retention'], 60, 1_209_600);
    if (retention !== undefined) queue.retentionSec = retention;
    const dlq = q['deadLetterQueue'];
    if (typeof dlq === 'string') {
      if (dlq === name) ctx.error([...path, 'deadLetterQueue'], ScenarioErrorCode.InvalidValue, 'a queue cannot be its own dead-letter queue');
      else if (ctx.reference([...path, 'deadLetterQueue'], 'queue', dlq, names)) {
        queue.deadLetterQueue = dlq;
        queue.maxReceiveCount = (q['maxReceiveCount'] as number | undefined) ?? DEFAULT_QUEUE.maxReceiveCount;
      }
    } else if (q['maxReceiveCount'] !== undefined) {
      ctx.error([...path, 'maxReceiveCount'], ScenarioErrorCode.InvalidValue, 'only used with deadLetterQueue');
    }
    out.push(queue);
  }
  return out;
}

/**
 * Each function's `triggers`, checked as Lambda's CreateEventSourceMapping would: the queue exists,
 * its visibility timeout is at least the function's timeout, more than 10 messages per batch need a
 * batching window, one mapping per queue and function.
 */
export function resolveTriggers(rawFunctions: unknown[], functions: ResolvedFunction[], queues: ResolvedQueue[], ctx: ResolveContext): void {
  const queueNames = queues.map((q) => q.name);
  for (const fn of functions) {
    const i = rawFunctions.findIndex((r) => (r as Raw)?.['name'] === fn.name);
    const raw = (rawFunctions[i] as Raw | undefined)?.['triggers'];
    if (!Array.isArray(raw) || ctx.broken(['functions', i, 'triggers'])) continue;
    const triggers: ResolvedQueueTrigger[] = [];
    for (const [j, item] of raw.entries()) {
      const path = ['functions', i, 'triggers', j];
      const t = item as Raw;
      const name = t['queue'] as string;
      if (!ctx.reference([...path, 'queue'], 'queue', name, queueNames)) continue;
      if (triggers.some((x) => x.queue === name)) {
        ctx.error([...path, 'queue'], ScenarioErrorCode.Duplicate, `function "${fn.name}" already has a trigger from queue "${name}"`);
        continue;
      }
      const queue = queues.find((q) => q.name === name)!;
      if (queue.visibilityTimeoutSec < fn.timeoutSec) {
        ctx.error([...path, 'queue'], ScenarioErrorCode.InvalidValue, `queue "${name}" has visibilityTimeout ${formatDuration(queue.visibilityTimeoutSec * 1000)}, less than the function's timeout ${formatDuration(fn.timeoutSec * 1000)} (Lambda refuses the mapping)`);
        continue;
      }
      const batchSize = (t['batchSize'] as number | undefined) ?? DEFAULT_QUEUE_TRIGGER.batchSize;
      const windowSec = ctx.seconds(t['batchingWindow'], [...path, 'batchingWindow'], 0, 300) ?? DEFAULT_QUEUE_TRIGGER.batchingWindowSec;
      if (batchSize > 10 && windowSec < 1) {
        ctx.error([...path, 'batchSize'], ScenarioErrorCode.InvalidValue, 'more than 10 messages per batch need a batchingWindow of at least 1s (Lambda)');
        continue;
      }
      triggers.push({
        queue: name,
        batchSize,
        batchingWindowSec: windowSec,
        ...(typeof t['maxConcurrency'] === 'number' ? { maxConcurrency: t['maxConcurrency'] } : {}),
        reportBatchItemFailures: t['reportBatchItemFailures'] === true,
        enabled: t['enabled'] !== false,
      });
    }
    if (triggers.length > 0) fn.triggers = triggers;
  }
}
