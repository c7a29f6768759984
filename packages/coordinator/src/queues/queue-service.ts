import { silentLogger, type Clock, type Logger, type TimerHandle, systemEntropy, type Entropy } from '@zonesim/common';
import { SqsError, queueDoesNotExist } from './errors.js';
import { md5OfBody, md5OfMessageAttributes } from './md5.js';
import { checkMessage, type SendInput } from './message-input.js';
import { applyQueueAttributes, DEFAULT_QUEUE_SETTINGS, READ_ONLY_ATTRIBUTES, queueNameOfArn, sameSettings, settingsToWire, type QueueSettings } from './queue-attributes.js';
import type { MessageRecord, NewMessage, ReceivedMessage } from './queue-messages.js';
import { resolveQueueServiceOptions, type QueueServiceOptions, type ResolvedQueueServiceOptions } from './queue-options.js';
import { QueueStore, type QueueRecord, type RedriveTarget } from './queue-store.js';

/** Where the queue service lives: region and account of its ARNs, the base of its URLs. */
export interface QueueServiceSettings {
  region: string;
  accountId: string;
  /** The coordinator's base URL (`http://127.0.0.1:PORT`), known once it listens. */
  baseUrl: () => string;
}

/** A message once stored. */
export interface SentMessage {
  messageId: string;
  md5Body: string;
  md5Attributes: string | undefined;
}

/** Options of a receive. */
export interface ReceiveOptions {
  /** 1-10 for the API; an event source mapping may ask for its batch size. @default 1 */
  max?: number;
  /** Overrides the queue's VisibilityTimeout, seconds. */
  visibilityTimeout?: number;
  /** Long polling, seconds (0-20); @default the queue's ReceiveMessageWaitTimeSeconds */
  waitTimeSeconds?: number;
  /** Long polling in ms (event source mappings' batching windows); overrides `waitTimeSeconds`. */
  waitMs?: number;
  signal?: AbortSignal;
}

/** Live numbers of the service. */
export interface QueueServiceStats {
  queues: number;
  queuedBytes: number;
  longPolls: number;
  sent: number;
  received: number;
  deleted: number;
  deadLettered: number;
  expired: number;
  duplicateDeliveries: number;
  commits: { batches: number; items: number; largestBatch: number };
}

interface Waiter {
  wake(): void;
}

/** Characters and length of a queue name (standard queues). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * zonesim's built-in queue service with SQS's semantics for standard queues: durable sends (answered
 * only once committed), visibility timeouts, receive counts, long polling with a bound on waiting
 * receives, redrive to a dead-letter queue after `maxReceiveCount`, purge, retention, message
 * attributes with SQS's MD5s. Queues are addressed by URL (`<baseUrl>/<account>/<name>`) or ARN
 * (`arn:aws:sqs:<region>:<account>:<name>`). The SQS JSON protocol sits in front of it
 * (`http/sqs-routes.ts`); event source mappings and destinations use it in process.
 *
 * Time: queue timers (visibility, delay, retention, long polls) are real seconds, not scaled by the
 * platform's `timeScale`: like a function's timeout, they bound real work (docs/limits.md).
 */
export class QueueService {
  readonly options: ResolvedQueueServiceOptions;
  readonly #settings: QueueServiceSettings;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  readonly #byName = new Map<string, QueueRecord>();
  readonly #waiters = new Map<number, Set<Waiter>>();
  #longPolls = 0;
  #store: QueueStore | undefined;
  #sweepTimer: TimerHandle | undefined;
  readonly #counters = { sent: 0, received: 0, deleted: 0, deadLettered: 0, expired: 0, duplicateDeliveries: 0 };

  constructor(options: QueueServiceOptions, settings: QueueServiceSettings, components: { clock: Clock; entropy?: Entropy; logger?: Logger }) {
    this.#entropy = components.entropy ?? systemEntropy;
    this.options = resolveQueueServiceOptions(options);
    this.#settings = settings;
    this.#clock = components.clock;
    this.#log = components.logger ?? silentLogger();
  }

  /** Opens `queues.db` and starts the retention sweep. */
  start(): void {
    if (this.#store) return;
    this.#store = new QueueStore(this.options, this.#clock, this.#entropy);
    for (const q of this.#store.listQueues()) this.#byName.set(q.name, q);
    this.#sweepTimer = this.#clock.setInterval(() => this.#sweep(), this.options.sweepIntervalMs);
    if (this.#byName.size > 0) this.#log.info({ queues: this.#byName.size }, 'queues restored from the data directory');
  }

  /** Ends long polls (empty answers), commits what waits and closes the database. Safe twice. */
  stop(): void {
    if (this.#sweepTimer !== undefined) this.#clock.clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const set of this.#waiters.values()) for (const w of [...set]) w.wake();
    this.#store?.close();
    this.#store = undefined;
  }

  /** A crash: timers gone, long polls dropped unanswered, the store closed without its pending commits. */
  abandon(): void {
    if (this.#sweepTimer !== undefined) this.#clock.clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#store?.abandon();
    this.#store = undefined;
  }

  get region(): string {
    return this.#settings.region;
  }

  get accountId(): string {
    return this.#settings.accountId;
  }

  queueUrl(name: string): string {
    return `${this.#settings.baseUrl()}/${this.#settings.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.#settings.region}:${this.#settings.accountId}:${name}`;
  }

  /** The queue a URL names (any host: clients may reach the coordinator by another name). */
  byUrl(url: unknown): QueueRecord {
    if (typeof url !== 'string' || url.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    const parts = path.split('/').filter(Boolean);
    const name = parts.at(-1);
    const account = parts.at(-2);
    if (name === undefined || (account !== undefined && account !== this.#settings.accountId)) throw queueDoesNotExist();
    return this.byName(decodeURIComponent(name));
  }

  byName(name: string): QueueRecord {
    const q = this.#byName.get(name);
    if (!q) throw queueDoesNotExist(name);
    return q;
  }

  /** The queue an ARN names, if it is this region's and account's and exists. */
  byArn(arn: string): QueueRecord | undefined {
    const name = queueNameOfArn(arn);
    if (name === undefined || arn !== this.queueArn(name)) return undefined;
    return this.#byName.get(name);
  }

  list(prefix = ''): QueueRecord[] {
    return [...this.#byName.values()].filter((q) => q.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** CreateQueue: idempotent for the same attributes, `QueueNameExists` for different ones. */
  createQueue(name: unknown, attributes: Record<string, unknown> = {}, tags: Record<string, string> = {}): QueueRecord {
    if (typeof name !== 'string' || name.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter QueueName.');
    if (name.endsWith('.fifo')) throw new SqsError('UnsupportedOperation', 'FIFO queues are not built in zonesim; create a standard queue.');
    if (!QUEUE_NAME.test(name)) {
      throw new SqsError('InvalidParameterValue', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const settings = applyQueueAttributes({ ...DEFAULT_QUEUE_SETTINGS, passthrough: {} }, attributes);
    this.#checkRedrive(name, settings);
    const existing = this.#byName.get(name);
    if (existing) {
      if (!sameSettings(existing.settings, settings)) throw new SqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute(s).`, { queue: name });
      return existing;
    }
    if (this.#byName.size >= this.options.maxQueues) throw new SqsError('OverLimit', `zonesim holds at most ${this.options.maxQueues} queues (maxQueues).`);
    const q = this.#opened().createQueue(name, settings, tags, this.#clock.now());
    this.#byName.set(name, q);
    this.#log.info({ queue: name }, 'queue created');
    return q;
  }

  deleteQueue(q: QueueRecord): void {
    this.#opened().deleteQueue(q, this.#clock.now());
    this.#byName.delete(q.name);
    this.#wake(q.id);
    this.#log.info({ queue: q.name }, 'queue deleted');
  }

  setAttributes(q: QueueRecord, attributes: Record<string, unknown>): void {
    const settings = applyQueueAttributes(q.settings, attributes);
    this.#checkRedrive(q.name, settings);
    q.settings = settings;
    q.lastModified = this.#clock.now();
    this.#opened().updateQueue(q);
  }

  /** TagQueue / UntagQueue: replaces the queue's tags (at most 50, as SQS). */
  setTags(q: QueueRecord, tags: Record<string, string>): void {
    if (Object.keys(tags).length > 50) throw new SqsError('InvalidParameterValue', 'A queue can have at most 50 tags.');
    q.tags = tags;
    this.#opened().updateQueue(q);
  }

  /** GetQueueAttributes: `All` or the named ones (unknown names are `InvalidAttributeName`). */
  getAttributes(q: QueueRecord, names: readonly string[]): Record<string, string> {
    const now = this.#clock.now();
    const counts = this.#opened().counts(q, now);
    const all: Record<string, string> = {
      QueueArn: this.queueArn(q.name),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.lastModified / 1000)),
      ...settingsToWire(q.settings),
    };
    if (names.length === 0) return {};
    if (names.includes('All')) return all;
    const out: Record<string, string> = {};
    for (const n of names) {
      if (n in all) out[n] = all[n]!;
      else if (!(READ_ONLY_ATTRIBUTES as readonly string[]).includes(n) && !['RedrivePolicy', 'Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'RedriveAllowPolicy'].includes(n)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
      }
    }
    return out;
  }

  /** PurgeQueue: at most once per `purgeCooldownMs` per queue. */
  purge(q: QueueRecord): number {
    const now = this.#clock.now();
    if (q.purgedAt !== undefined && now - q.purgedAt < this.options.purgeCooldownMs) {
      throw new SqsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`, { queue: q.name });
    }
    const n = this.#opened().purge(q, now);
    q.purgedAt = now;
    this.#opened().updateQueue(q);
    return n;
  }

  /**
   * Checks one message for `q` (SQS's errors) and prepares it; {@link commit} stores prepared
   * messages. Split so that SendMessageBatch can refuse single entries and store the rest.
   */
  prepare(q: QueueRecord, input: SendInput, messageId: string = this.#entropy.uuid()): NewMessage {
    const m = checkMessage(input, q.settings.MaximumMessageSize);
    const now = this.#clock.now();
    const md5Attributes = md5OfMessageAttributes(m.attributes);
    return {
      messageId,
      queueId: q.id,
      body: m.body,
      sizeBytes: m.sizeBytes,
      ...(m.attributes ? { attributes: m.attributes } : {}),
      md5Body: md5OfBody(m.body),
      ...(md5Attributes ? { md5Attributes } : {}),
      senderId: this.#settings.accountId,
      ...(input.traceHeader ? { traceHeader: input.traceHeader } : {}),
      sentAt: now,
      visibleAt: now + (m.delaySeconds ?? q.settings.DelaySeconds) * 1000,
    };
  }

  /** Stores prepared messages; resolves once they are committed (and wakes long polls). */
  async commit(messages: readonly NewMessage[]): Promise<SentMessage[]> {
    if (messages.length === 0) return [];
    await this.#opened().send(messages);
    this.#counters.sent += messages.length;
    for (const id of new Set(messages.map((m) => m.queueId))) this.#wake(id);
    return messages.map((m) => ({ messageId: m.messageId, md5Body: m.md5Body, md5Attributes: m.md5Attributes }));
  }

  /** SendMessage in one call: prepare and commit. */
  async send(q: QueueRecord, input: SendInput, messageId?: string): Promise<SentMessage> {
    return (await this.commit([this.prepare(q, input, messageId)]))[0]!;
  }

  /**
   * ReceiveMessage: visible messages at once, else (long polling) the first that become visible
   * within the wait. A queue whose redrive policy names an existing dead-letter queue moves
   * messages received `maxReceiveCount` times there instead of handing them out.
   */
  async receive(q: QueueRecord, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const max = options.max ?? 1;
    const visibilityMs = (options.visibilityTimeout ?? q.settings.VisibilityTimeout) * 1000;
    const waitMs = options.waitMs ?? (options.waitTimeSeconds ?? q.settings.ReceiveMessageWaitTimeSeconds) * 1000;
    const deadline = this.#clock.monotonic() + waitMs;
    let registered = false;
    try {
      for (;;) {
        const got = this.#receiveNow(q, max, visibilityMs);
        if (got.length > 0 || options.signal?.aborted) return got;
        const left = deadline - this.#clock.monotonic();
        if (left <= 0 || !this.#byName.has(q.name) || !this.#store) return [];
        if (!registered) {
          if (this.#longPolls >= this.options.maxLongPolls) {
            throw new SqsError('RequestThrottled', `${this.options.maxLongPolls} receives are already long-polling (maxLongPolls); retry later.`, { queue: q.name });
          }
          this.#longPolls++;
          registered = true;
        }
        const next = this.#store.nextVisibleAt(q, this.#clock.now());
        await this.#wait(q.id, Math.min(left, next === undefined ? left : Math.max(1, next - this.#clock.now())), options.signal);
      }
    } finally {
      if (registered) this.#longPolls--;
    }
  }

  /** DeleteMessage; `processed`: an event source mapping's invocation succeeded for it. */
  delete(q: QueueRecord, receiptHandle: unknown, processed = false): void {
    if (typeof receiptHandle !== 'string' || receiptHandle.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
    const outcome = this.#opened().deleteByReceipt(q, receiptHandle, this.#clock.now(), processed);
    if (outcome === 'deleted') this.#counters.deleted++;
    else if (outcome === 'stale' && processed) this.#opened().recordSuccess(q, receiptHandle);
  }

  /** ChangeMessageVisibility (0-43200 s); 0 makes it visible at once and wakes long polls. */
  changeVisibility(q: QueueRecord, receiptHandle: unknown, seconds: unknown): void {
    if (typeof receiptHandle !== 'string' || receiptHandle.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
      throw new SqsError('InvalidParameterValue', `Value ${String(seconds)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    }
    this.#opened().changeVisibility(q, receiptHandle, seconds * 1000, this.#clock.now());
    if (seconds === 0) this.#wake(q.id);
  }

  /** The receives behind these handles definitely failed: their next delivery is a retry, not a duplicate. */
  releaseFailed(q: QueueRecord, receiptHandles: readonly string[]): void {
    if (receiptHandles.length > 0 && this.#store) this.#store.releaseFailed(q, receiptHandles);
  }

  /** Visible, in-flight and delayed counts of a queue. */
  counts(q: QueueRecord): { visible: number; notVisible: number; delayed: number } {
    return this.#opened().counts(q, this.#clock.now());
  }

  /** Message histories (no bodies) after `afterSeq`, in send order: for the admin API and run checks. */
  records(afterSeq: number, limit: number): MessageRecord[] {
    const names = new Map([...this.#byName.values()].map((q) => [q.id, q.name]));
    return this.#opened().records(afterSeq, limit, names);
  }

  stats(): QueueServiceStats {
    const commits = this.#store?.commits ?? { batches: 0, items: 0, largestBatch: 0 };
    return { queues: this.#byName.size, queuedBytes: this.#store?.totalBytes ?? 0, longPolls: this.#longPolls, ...this.#counters, commits };
  }

  #receiveNow(q: QueueRecord, max: number, visibilityMs: number): ReceivedMessage[] {
    const store = this.#opened();
    const redrive = this.#redriveOf(q);
    const { messages, moved } = store.receive(q, max, visibilityMs, this.#clock.now(), redrive);
    if (moved > 0) {
      this.#counters.deadLettered += moved;
      this.#log.warn({ queue: q.name, deadLetterQueue: redrive?.deadLetterQueue.name, messages: moved }, 'messages moved to the dead-letter queue (maxReceiveCount)');
      if (redrive) this.#wake(redrive.deadLetterQueue.id);
    }
    this.#counters.received += messages.length;
    for (const m of messages) if (m.duplicate) this.#counters.duplicateDeliveries++;
    return messages;
  }

  #redriveOf(q: QueueRecord): RedriveTarget | undefined {
    const p = q.settings.RedrivePolicy;
    if (!p) return undefined;
    const dlq = this.byArn(p.deadLetterTargetArn);
    // A dead-letter queue deleted after the policy was set: messages stay where they are, as in SQS.
    return dlq && dlq.id !== q.id ? { maxReceiveCount: p.maxReceiveCount, deadLetterQueue: dlq } : undefined;
  }

  #checkRedrive(name: string, settings: QueueSettings): void {
    const p = settings.RedrivePolicy;
    if (!p) return;
    const dlq = this.byArn(p.deadLetterTargetArn);
    if (!dlq) throw new SqsError('InvalidParameterValue', `Value ${JSON.stringify(p)} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.`);
    if (dlq.name === name) throw new SqsError('InvalidParameterValue', 'Value for parameter RedrivePolicy is invalid. Reason: a queue cannot be its own dead-letter queue.');
  }

  #wait(queueId: number, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(queueId);
      if (!set) this.#waiters.set(queueId, (set = new Set()));
      const waiters = set;
      const onAbort = (): void => waiter.wake();
      const waiter: Waiter = {
        wake: () => {
          this.#clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(waiter);
          if (waiters.size === 0) this.#waiters.delete(queueId);
          resolve();
        },
      };
      const timer = this.#clock.setTimeout(() => waiter.wake(), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }

  #wake(queueId: number): void {
    const set = this.#waiters.get(queueId);
    if (set) for (const w of [...set]) w.wake();
  }

  #sweep(): void {
    if (!this.#store) return;
    try {
      const n = this.#store.sweep([...this.#byName.values()], this.#clock.now());
      if (n > 0) {
        this.#counters.expired += n;
        this.#log.warn({ messages: n }, 'messages past their queue\'s retention period deleted');
      }
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'queue retention sweep failed');
    }
  }

  #opened(): QueueStore {
    if (!this.#store) throw new SqsError('InternalError', 'The queue service is not running.');
    return this.#store;
  }
}
