import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NdjsonWriter, RunFile, type QueueMessageRecord, type ResolvedScenario, type RunInfo } from '@zonesim/scenario';
import type { AdminClient } from '../client/admin-client.js';
import { isRunnerError, RunnerErrorCode } from '../errors.js';

/**
 * The results files the runner fills from the platform's admin API at the end of a run (the
 * checker reads them with the history), and the two questions the cooldown asks it. The file
 * names are `RunFile`'s (@zonesim/scenario).
 */

/** Client timeout of the cooldown's questions (a slow answer counts as "not drained"). */
const DRAINED_TIMEOUT_MS = 2_000;
/** Client timeout of one page of dead letters or pending events. */
const ASYNC_PAGE_TIMEOUT_MS = 10_000;
/** Client timeout of one page of queue messages. */
const QUEUE_PAGE_TIMEOUT_MS = 30_000;
const DEAD_LETTER_PAGE = 1000;
const PENDING_PAGE = 10_000;
const QUEUE_MESSAGE_PAGE = 10_000;

/** Writes `run.json`. */
export async function writeRunInfo(outDir: string, info: RunInfo): Promise<void> {
  await writeFile(join(outDir, RunFile.Run), `${JSON.stringify(info, null, 2)}\n`);
}

/** True when the async queue holds nothing queued or in flight. */
export async function asyncDrained(admin: AdminClient): Promise<boolean> {
  try {
    const { queue } = await admin.asyncStatus({ timeoutMs: DRAINED_TIMEOUT_MS });
    return queue.queued === 0 && queue.inFlight === 0;
  } catch {
    return false;
  }
}

/** True when every queue a mapping reads from holds nothing (visible, in flight or delayed). */
export async function queuesDrained(admin: AdminClient, scenario: ResolvedScenario): Promise<boolean> {
  const fed = new Set(scenario.functions.flatMap((f) => (f.triggers ?? []).filter((t) => t.enabled).map((t) => t.queue)));
  if (fed.size === 0) return true;
  try {
    const { queues } = await admin.queues({ timeoutMs: DRAINED_TIMEOUT_MS });
    return queues.filter((q) => fed.has(q.name)).every((q) => q.visible + q.notVisible + q.delayed === 0);
  } catch {
    return false;
  }
}

/** Where every message ended up (processed, dead-lettered, queued ...), from the queue service, for the checker. */
/** `io` wraps the file I/O (see `RunWorld.io`). */
export async function dumpQueueMessages(admin: AdminClient, outDir: string, io: <T>(work: Promise<T>) => Promise<T> = (w) => w): Promise<void> {
  const out = new NdjsonWriter<QueueMessageRecord>(join(outDir, RunFile.QueueMessages));
  try {
    for (let after = 0; ;) {
      const page = await admin.queueMessages({ after, limit: QUEUE_MESSAGE_PAGE }, { timeoutMs: QUEUE_PAGE_TIMEOUT_MS });
      for (const m of page.messages) {
        out.write({
          messageId: m.messageId,
          queue: m.queue,
          state: m.state,
          receiveCount: m.receiveCount,
          successes: m.successes,
          duplicates: m.duplicates,
          ...(m.deadLetterFrom ? { deadLetterFrom: m.deadLetterFrom } : {}),
        });
      }
      if (page.next === undefined) break;
      after = page.next;
    }
  } finally {
    await io(out.close());
  }
}

/**
 * Dead letters and events still pending, from the coordinator, for the checker. A refusal ends a
 * listing where it is (what was read is written); no answer at all writes nothing.
 */
export async function dumpAsyncFinal(admin: AdminClient, outDir: string, io: <T>(work: Promise<T>) => Promise<T> = (w) => w): Promise<void> {
  const deadLetters: Array<{ eventId: string; functionName: string; condition: string; reason: string }> = [];
  for (let offset = 0; ; offset += DEAD_LETTER_PAGE) {
    const page = await refusalEnds(admin.deadLetters({ limit: DEAD_LETTER_PAGE, offset }, { timeoutMs: ASYNC_PAGE_TIMEOUT_MS }));
    if (!page) break;
    for (const d of page) {
      deadLetters.push({
        eventId: String(d.eventId),
        functionName: String(d.functionName),
        condition: String(d.condition ?? 'unknown'),
        reason: String(d.reason ?? 'unknown').slice(0, 1024) || 'unknown',
      });
    }
    if (page.length < DEAD_LETTER_PAGE) break;
  }
  const pending: string[] = [];
  for (let offset = 0; ; offset += PENDING_PAGE) {
    const page = await refusalEnds(admin.pendingEvents({ limit: PENDING_PAGE, offset }, { timeoutMs: ASYNC_PAGE_TIMEOUT_MS }));
    if (!page) break;
    pending.push(...page.map((p) => p.eventId));
    if (page.length < PENDING_PAGE) break;
  }
  await io(writeFile(join(outDir, RunFile.AsyncFinal), `${JSON.stringify({ deadLetters, pending })}\n`));
}

/** The page, or undefined when the API refused it (an error status); no answer rejects. */
async function refusalEnds<T>(page: Promise<T>): Promise<T | undefined> {
  try {
    return await page;
  } catch (err) {
    if (isRunnerError(err, RunnerErrorCode.AdminApi)) return undefined;
    throw err;
  }
}
