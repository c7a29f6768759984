import { SafetySwitch, type BrokenSafety, type Clock, type Logger } from '@zonesim/common';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import { isSqsError } from '../queues/errors.js';
import type { ReceivedMessage } from '../queues/queue-messages.js';
import type { QueueService } from '../queues/queue-service.js';
import type { QueueRecord } from '../queues/queue-store.js';
import type { EventSourceMappingRecord } from './event-source-mapping.js';
import { PollerScaling } from './poller-scaling.js';
import { batchVerdict, sqsEvent } from './sqs-event.js';
import type { TriggerInvocation, TriggerOutcome } from './trigger-invoker.js';

/** Lambda's pollers long-poll SQS for up to 20 s. */
const LONG_POLL_MS = 20_000;
/** Pause of a poller after a throttle or a platform error before it receives again (real ms). */
export const POLLER_BACKOFF_MS = 1_000;

/** Counters of one mapping's pollers. */
export interface PollerStats {
  /** Batches running now, and how many the scaling wants. */
  running: number;
  target: number;
  batches: number;
  messages: number;
  /** Messages deleted after a successful invocation. */
  succeeded: number;
  /** Messages left to reappear after their visibility timeout (failures, throttles, lost batches). */
  returned: number;
  partialBatches: number;
  functionErrors: number;
  throttles: number;
  platformErrors: number;
  /** Batches lost with a zone after it accepted them: their messages may have been processed. */
  lostBatches: number;
  /** Messages delivered again after an earlier receive that may have been processed. */
  duplicateDeliveries: number;
}

/** What a poller needs, apart from its mapping. */
export interface SqsPollerComponents {
  queues: QueueService;
  invoke: (i: TriggerInvocation) => Promise<TriggerOutcome>;
  clock: Clock;
  log: Logger;
  /** The platform's time scale: the scale-up budget refills that much faster. */
  timeScale: number;
  /** Safety switched off (explore's self-test, issue 19); never set by a real coordinator. @default none */
  broken?: BrokenSafety;
}

/**
 * The pollers of one SQS event source mapping, as Lambda runs them (lambda-facts 7.1): a number of
 * concurrent batches set by {@link PollerScaling}; each long-polls the queue, gathers up to
 * `BatchSize` messages within `MaximumBatchingWindowInSeconds` (and under the 6 MB sync payload),
 * invokes the function synchronously through the router with Lambda's SQS event, then deletes what
 * succeeded. Whatever did not succeed is left alone and reappears after the queue's visibility
 * timeout, counting toward `maxReceiveCount` (a function error, a partial batch's failed items, a
 * throttle, a batch lost with its zone). The platform tells the queue which receives definitely
 * did not process their messages, so that only redeliveries after a possible processing count as
 * duplicates.
 */
export class SqsPoller {
  #record: EventSourceMappingRecord;
  #scaling: PollerScaling;
  readonly #c: SqsPollerComponents;
  readonly #loops = new Set<Promise<void>>();
  #abort = new AbortController();
  #running = false;
  #workers = 0;
  readonly #stats: Omit<PollerStats, 'running' | 'target'> = {
    batches: 0, messages: 0, succeeded: 0, returned: 0, partialBatches: 0, functionErrors: 0, throttles: 0, platformErrors: 0, lostBatches: 0, duplicateDeliveries: 0,
  };

  constructor(record: EventSourceMappingRecord, components: SqsPollerComponents) {
    this.#record = record;
    this.#c = components;
    this.#scaling = new PollerScaling(record.maximumConcurrency, components.clock.now(), components.timeScale);
  }

  get stats(): PollerStats {
    return { running: this.#workers, target: this.#scaling.target, ...this.#stats };
  }

  /** Starts polling (again, after a stop: scaling restarts at 5). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#scaling = new PollerScaling(this.#record.maximumConcurrency, this.#c.clock.now(), this.#c.timeScale);
    this.#fill();
  }

  /** New settings (UpdateEventSourceMapping); running batches finish with the old ones. */
  update(record: EventSourceMappingRecord): void {
    const capChanged = record.maximumConcurrency !== this.#record.maximumConcurrency;
    this.#record = record;
    if (capChanged) this.#scaling = this.#scaling.withCap(record.maximumConcurrency, this.#c.clock.now(), this.#c.timeScale);
    if (this.#running) this.#fill();
  }

  /** Stops receiving; batches being invoked finish (their outcome is still applied). Resolves when all ended. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    while (this.#loops.size > 0) await Promise.allSettled([...this.#loops]);
  }

  #fill(): void {
    while (this.#running && this.#workers < this.#scaling.target) {
      this.#workers++;
      const loop = this.#loop().finally(() => this.#loops.delete(loop));
      this.#loops.add(loop);
    }
  }

  async #loop(): Promise<void> {
    try {
      while (this.#running && this.#workers <= this.#scaling.target) {
        try {
          await this.#once();
        } catch (err) {
          this.#c.log.error({ mapping: this.#record.uuid, err: (err as Error).message }, 'event source mapping poller failed; retrying');
          await this.#sleep(POLLER_BACKOFF_MS);
        }
      }
    } finally {
      this.#workers--;
    }
  }

  async #once(): Promise<void> {
    const q = this.#c.queues.byArn(this.#record.eventSourceArn);
    if (!q) {
      // The queue was deleted under the mapping: Lambda keeps polling and failing.
      await this.#sleep(POLLER_BACKOFF_MS);
      return;
    }
    const batch = await this.#collect(q);
    if (batch.length === 0) {
      this.#scaling.onIdle();
      return;
    }
    if (batch.length >= this.#record.batchSize) {
      this.#scaling.onFullBatch(this.#c.clock.now());
      this.#fill();
    }
    if (this.#c.broken?.has(SafetySwitch.DeleteAfterSuccess)) {
      // A deliberately broken build (explore's self-test): deleted on receipt, before the
      // invocation succeeded, so a failed or lost batch is gone.
      for (const m of batch) this.#safe(() => this.#c.queues.delete(q, m.receiptHandle));
    }
    await this.#process(q, batch);
  }

  /** Up to BatchSize messages: a long poll, then more until the batching window closes. */
  async #collect(q: QueueRecord): Promise<ReceivedMessage[]> {
    const r = this.#record;
    const signal = this.#abort.signal;
    const batch = await this.#receive(q, r.batchSize, LONG_POLL_MS, signal);
    if (batch.length === 0 || r.maximumBatchingWindowInSeconds === 0) return this.#fit(q, batch);
    const deadline = this.#c.clock.monotonic() + r.maximumBatchingWindowInSeconds * 1000;
    while (batch.length < r.batchSize && !signal.aborted) {
      const left = deadline - this.#c.clock.monotonic();
      if (left <= 0) break;
      batch.push(...(await this.#receive(q, r.batchSize - batch.length, left, signal)));
    }
    return this.#fit(q, batch);
  }

  async #receive(q: QueueRecord, max: number, waitMs: number, signal: AbortSignal): Promise<ReceivedMessage[]> {
    if (signal.aborted) return [];
    try {
      return await this.#c.queues.receive(q, { max, waitMs, signal });
    } catch (err) {
      // Too many long polls, or the queue went away: try again a little later.
      if (isSqsError(err)) {
        await this.#sleep(POLLER_BACKOFF_MS);
        return [];
      }
      throw err;
    }
  }

  /** Keeps the batch under Lambda's 6 MB synchronous payload; the rest goes back at once. */
  #fit(q: QueueRecord, batch: ReceivedMessage[]): ReceivedMessage[] {
    let size = 200;
    let keep = 0;
    for (const m of batch) {
      size += Buffer.byteLength(m.body) + 1024;
      if (size > MAX_SYNC_PAYLOAD_BYTES && keep > 0) break;
      keep++;
    }
    const back = batch.slice(keep);
    for (const m of back) this.#safe(() => this.#c.queues.changeVisibility(q, m.receiptHandle, 0));
    if (back.length > 0) this.#c.queues.releaseFailed(q, back.map((m) => m.receiptHandle));
    return batch.slice(0, keep);
  }

  async #process(q: QueueRecord, batch: ReceivedMessage[]): Promise<void> {
    const r = this.#record;
    const s = this.#stats;
    s.batches++;
    s.messages += batch.length;
    const duplicates = batch.filter((m) => m.duplicate).length;
    s.duplicateDeliveries += duplicates;
    const outcome = await this.#c.invoke({
      functionName: r.functionName,
      ...(r.qualifier !== undefined ? { qualifier: r.qualifier } : {}),
      payload: Buffer.from(JSON.stringify(sqsEvent(batch, r.eventSourceArn, this.#c.queues.region))),
      invocationType: 'SQS',
      attempt: Math.max(...batch.map((m) => m.receiveCount)),
      duplicate: duplicates > 0,
      queuedAt: Math.min(...batch.map((m) => m.sentAt)),
    });
    switch (outcome.kind) {
      case 'success': {
        const verdict = r.functionResponseTypes.includes('ReportBatchItemFailures')
          ? batchVerdict(outcome.payload, new Set(batch.map((m) => m.messageId)))
          : ({ kind: 'all-succeeded' } as const);
        if (verdict.kind === 'all-failed') {
          this.#returned(q, batch, true);
          this.#c.log.warn({ mapping: r.uuid, requestId: outcome.requestId, reason: verdict.reason }, 'batch response not understood: the whole batch failed');
          return;
        }
        const failed = verdict.kind === 'partial' ? batch.filter((m) => verdict.failed.has(m.messageId)) : [];
        if (failed.length > 0) s.partialBatches++;
        for (const m of batch) {
          if (failed.includes(m)) continue;
          this.#safe(() => this.#c.queues.delete(q, m.receiptHandle, true));
          s.succeeded++;
        }
        this.#returned(q, failed, true);
        return;
      }
      case 'function-error':
        s.functionErrors++;
        this.#returned(q, batch, true);
        return;
      case 'throttled':
        // Lambda's pollers back off; the batch reappears after the visibility timeout.
        s.throttles++;
        this.#returned(q, batch, true);
        this.#scaling.onIdle();
        await this.#sleep(POLLER_BACKOFF_MS);
        return;
      case 'platform-error':
        s.platformErrors++;
        if (outcome.mayHaveRun) {
          // Lost with its zone after a node accepted it: it may have run. The messages come back
          // after their visibility timeout and their next delivery counts as a duplicate.
          s.lostBatches++;
          this.#returned(q, batch, false);
          this.#c.log.warn({ mapping: r.uuid, requestId: outcome.requestId, messages: batch.length }, 'SQS batch lost with its zone; its messages reappear after the visibility timeout');
        } else {
          this.#returned(q, batch, true);
          this.#c.log.warn({ mapping: r.uuid, requestId: outcome.requestId, err: outcome.error.message }, 'SQS batch could not be invoked');
        }
        await this.#sleep(POLLER_BACKOFF_MS);
        return;
    }
  }

  /** Messages left for their visibility timeout; `definitelyFailed`: their next delivery is a retry, not a duplicate. */
  #returned(q: QueueRecord, ms: readonly ReceivedMessage[], definitelyFailed: boolean): void {
    this.#stats.returned += ms.length;
    if (definitelyFailed && ms.length > 0) this.#safe(() => this.#c.queues.releaseFailed(q, ms.map((m) => m.receiptHandle)));
  }

  /** Queue calls after an invocation: the queue may be gone meanwhile, which costs nothing here. */
  #safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!isSqsError(err)) throw err;
    }
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#c.clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.#c.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
