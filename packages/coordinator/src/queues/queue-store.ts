import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite, { type Database, type Statement } from 'better-sqlite3';
import type { Clock, Entropy } from '@zonesim/common';
import { GroupCommit, type GroupCommitStats } from '../async/group-commit.js';
import { SqsError } from './errors.js';
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './queue-attributes.js';
import {
  decodeAttributes,
  decodeReceipt,
  encodeAttributes,
  encodeReceipt,
  newReceiptToken,
  type MessageRecord,
  type MessageRow,
  type NewMessage,
  type ReceivedMessage,
} from './queue-messages.js';
import type { ResolvedQueueServiceOptions } from './queue-options.js';
import { migrateQueues } from './queue-schema.js';
import { reusableTransaction, type RunInTransaction } from '../sqlite-transaction.js';

/** A queue as the store holds it. */
export interface QueueRecord {
  id: number;
  name: string;
  settings: QueueSettings;
  tags: Record<string, string>;
  createdAt: number;
  lastModified: number;
  purgedAt: number | undefined;
}

/** Counts GetQueueAttributes reports. */
export interface QueueCounts {
  visible: number;
  notVisible: number;
  delayed: number;
}

/** How a receive should treat messages past their queue's `maxReceiveCount`. */
export interface RedriveTarget {
  maxReceiveCount: number;
  deadLetterQueue: QueueRecord;
}

/** What a delete by receipt handle did. */
export type DeleteOutcome = 'deleted' | 'stale' | 'gone';

interface QueueRow {
  id: number;
  name: string;
  settings: string;
  tags: string;
  created_at: number;
  last_modified: number;
  purged_at: number | null;
}

/**
 * The queue service's durable state in SQLite (`<dataDir>/queues.db`, WAL, `synchronous=NORMAL`:
 * a commit has reached the OS before SendMessage answers, so an acknowledged message survives
 * `kill -9` of the coordinator). Sends of one event-loop turn share one transaction (the async
 * store's {@link GroupCommit}); receives, deletes and visibility changes are one synchronous
 * transaction each. Bounded per queue (messages, bytes) and in total (bytes).
 */
export class QueueStore {
  readonly file: string;
  readonly #db: Database;
  readonly #inTransaction: RunInTransaction;
  readonly #o: ResolvedQueueServiceOptions;
  readonly #group: GroupCommit<NewMessage>;
  readonly #sql: Record<string, Statement>;
  /** Queued messages and bytes per queue id (committed), for the bounds. */
  readonly #active = new Map<number, { count: number; bytes: number }>();
  /** Sends waiting for their commit, per queue id. */
  readonly #pending = new Map<number, { count: number; bytes: number }>();
  #totalBytes = 0;
  #closed = false;

  readonly #entropy: Entropy;

  constructor(options: ResolvedQueueServiceOptions, clock: Clock, entropy: Entropy) {
    this.#entropy = entropy;
    this.#o = options;
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, options.fileName);
    const db = new Sqlite(this.file, { timeout: 5_000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrateQueues(db, this.file);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.#inTransaction = reusableTransaction(db);
    this.#sql = prepare(db);
    for (const r of db.prepare(`SELECT queue_id, COUNT(*) AS n, SUM(size_bytes) AS b FROM messages WHERE status = 'queued' GROUP BY queue_id`).all() as Array<{ queue_id: number; n: number; b: number }>) {
      this.#active.set(r.queue_id, { count: r.n, bytes: r.b });
      this.#totalBytes += r.b;
    }
    this.#group = new GroupCommit<NewMessage>((batch) => this.#insert(batch), { maxPending: options.maxPendingSends, maxBatch: options.maxBatchSize, clock });
  }

  get commits(): GroupCommitStats {
    return this.#group.stats;
  }

  // ---- queues ----

  listQueues(): QueueRecord[] {
    return (this.#sql['listQueues']!.all() as QueueRow[]).map(queueFromRow);
  }

  createQueue(name: string, settings: QueueSettings, tags: Record<string, string>, now: number): QueueRecord {
    const row = this.#sql['insertQueue']!.get({ name, settings: JSON.stringify(settings), tags: JSON.stringify(tags), now }) as QueueRow;
    return queueFromRow(row);
  }

  updateQueue(q: QueueRecord): void {
    this.#sql['updateQueue']!.run({ id: q.id, settings: JSON.stringify(q.settings), tags: JSON.stringify(q.tags), lastModified: q.lastModified, purgedAt: q.purgedAt ?? null });
  }

  /** Deletes a queue; its messages end as `purged`. */
  deleteQueue(q: QueueRecord, now: number): void {
    this.#inTransaction(() => {
      this.#sql['endQueued']!.run({ q: q.id, status: 'purged', now });
      this.#sql['deleteQueue']!.run({ id: q.id });
    });
    this.#forget(q.id);
  }

  /** Ends every queued message of the queue as `purged`; returns how many. */
  purge(q: QueueRecord, now: number): number {
    const n = this.#sql['endQueued']!.run({ q: q.id, status: 'purged', now }).changes;
    this.#forget(q.id);
    return n;
  }

  // ---- messages ----

  /**
   * Stores messages; resolves once committed. Refused with `OverLimit` when a queue's (or the
   * service's) bound would be passed, `RequestThrottled` when too many sends wait for a commit.
   */
  send(messages: readonly NewMessage[]): Promise<void[]> {
    if (this.#closed) return Promise.reject(new SqsError('InternalError', 'The queue service is stopping.'));
    const add = new Map<number, { count: number; bytes: number }>();
    for (const m of messages) {
      const a = add.get(m.queueId) ?? { count: 0, bytes: 0 };
      a.count++;
      a.bytes += m.sizeBytes;
      add.set(m.queueId, a);
    }
    let totalAdd = 0;
    for (const [queueId, a] of add) {
      const active = this.#active.get(queueId) ?? { count: 0, bytes: 0 };
      const pending = this.#pending.get(queueId) ?? { count: 0, bytes: 0 };
      if (active.count + pending.count + a.count > this.#o.maxMessagesPerQueue) {
        return Promise.reject(new SqsError('OverLimit', `The queue holds ${active.count + pending.count} messages; zonesim bounds a queue at ${this.#o.maxMessagesPerQueue} (maxMessagesPerQueue).`));
      }
      if (active.bytes + pending.bytes + a.bytes > this.#o.maxQueueBytes) {
        return Promise.reject(new SqsError('OverLimit', `The queue holds ${active.bytes + pending.bytes} bytes; zonesim bounds a queue at ${this.#o.maxQueueBytes} bytes (maxQueueBytes).`));
      }
      totalAdd += a.bytes;
    }
    if (this.#totalBytes + this.#pendingBytes() + totalAdd > this.#o.maxTotalBytes) {
      return Promise.reject(new SqsError('OverLimit', `The queue service holds ${this.#totalBytes} bytes; its bound is ${this.#o.maxTotalBytes} (maxTotalBytes).`));
    }
    for (const [queueId, a] of add) bump(this.#pending, queueId, a.count, a.bytes);
    return Promise.all(
      messages.map((m) =>
        this.#group.submit(m, m.sizeBytes).catch((err: unknown) => {
          bump(this.#pending, m.queueId, -1, -m.sizeBytes);
          if ((err as { code?: unknown }).code === 'QUEUE_FULL') {
            throw new SqsError('RequestThrottled', `${this.#o.maxPendingSends} sends are already waiting for their commit (maxPendingSends).`, { cause: err });
          }
          throw new SqsError('InternalError', `The message could not be stored: ${(err as Error).message}`, { cause: err });
        }),
      ),
    );
  }

  /**
   * Receives up to `max` visible messages, oldest visibility first, making each invisible for
   * `visibilityMs`. A message already received `maxReceiveCount` times is moved to the dead-letter
   * queue instead (SQS moves it when it would be received once more). Every receive marks the
   * message as possibly processed; a later receive of it then counts as a duplicate, unless the
   * platform learnt that the earlier one definitely failed ({@link releaseFailed}).
   */
  receive(q: QueueRecord, max: number, visibilityMs: number, now: number, redrive?: RedriveTarget): { messages: ReceivedMessage[]; moved: number } {
    const out: ReceivedMessage[] = [];
    let moved = 0;
    this.#inTransaction(() => {
      // Rows already handed out by this call are skipped: with a visibility of 0 they are visible
      // again at once, and a message is received at most once per call.
      const seen = new Set<number>();
      for (let round = 0; out.length < max && round < 64; round++) {
        const rows = (this.#sql['ready']!.all({ q: q.id, now, limit: max - out.length + seen.size }) as MessageRow[]).filter((r) => !seen.has(r.seq));
        if (rows.length === 0) break;
        for (const row of rows) {
          if (out.length >= max) break;
          seen.add(row.seq);
          if (redrive && row.receive_count >= redrive.maxReceiveCount) {
            this.#sql['move']!.run({ seq: row.seq, to: redrive.deadLetterQueue.id, from: q.name, now });
            this.#bumpActive(q.id, -1, -row.size_bytes);
            this.#bumpActive(redrive.deadLetterQueue.id, 1, row.size_bytes);
            moved++;
            continue;
          }
          const token = newReceiptToken(this.#entropy);
          const duplicate = row.maybe_processed !== 0 || row.successes > 0;
          this.#sql['markReceived']!.run({ seq: row.seq, now, visibleAt: now + visibilityMs, token, dup: duplicate ? 1 : 0 });
          out.push({
            messageId: row.message_id,
            receiptHandle: encodeReceipt({ queueId: q.id, seq: row.seq, token }),
            body: row.body,
            attributes: decodeAttributes(row.attributes),
            md5Body: row.md5_body,
            senderId: row.sender_id,
            traceHeader: row.trace_header ?? undefined,
            sentAt: row.sent_at,
            receiveCount: row.receive_count + 1,
            firstReceiveAt: row.first_receive_at ?? now,
            duplicate,
            deadLetterFrom: row.dead_letter_from ?? undefined,
          });
        }
      }
    });
    return { messages: out, moved };
  }

  /**
   * Deletes the message a receipt handle names, if the handle is its latest: `processed` adds one
   * success (an event source mapping's invocation succeeded). A stale handle (the message was
   * received again since) deletes nothing and succeeds, as SQS documents; a message already gone
   * succeeds too. Throws `ReceiptHandleIsInvalid` for a handle that is not this queue's.
   */
  deleteByReceipt(q: QueueRecord, handle: string, now: number, processed = false): DeleteOutcome {
    const r = decodeReceipt(handle);
    if (!r || r.queueId !== q.id) throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${String(handle).slice(0, 200)}" is not a valid receipt handle.`, { queue: q.name });
    const row = this.#sql['bySeq']!.get({ seq: r.seq }) as MessageRow | undefined;
    if (!row || row.status !== 'queued' || row.queue_id !== q.id) return 'gone';
    if (row.receipt_token !== r.token) return 'stale';
    this.#sql['end']!.run({ seq: row.seq, status: 'deleted', now, success: processed ? 1 : 0 });
    this.#bumpActive(q.id, -1, -row.size_bytes);
    return 'deleted';
  }

  /**
   * Counts a success for a message whose delete found a stale handle (it was received again while
   * its first receive was being processed): the message was processed, whatever happens next.
   */
  recordSuccess(q: QueueRecord, handle: string): void {
    const r = decodeReceipt(handle);
    if (r && r.queueId === q.id) this.#sql['success']!.run({ seq: r.seq });
  }

  /**
   * The platform knows these receives definitely did not process their messages (a function error,
   * a throttle, an invocation that never reached a zone): their next receive is a retry, not a
   * duplicate. Only the latest receive of each message counts.
   */
  releaseFailed(q: QueueRecord, handles: readonly string[]): void {
    this.#inTransaction(() => {
      for (const h of handles) {
        const r = decodeReceipt(h);
        if (r && r.queueId === q.id) this.#sql['clearMaybe']!.run({ seq: r.seq, token: r.token });
      }
    });
  }

  /** Sets a received message's visibility; throws `MessageNotInflight` unless it is in flight under this handle. */
  changeVisibility(q: QueueRecord, handle: string, visibilityMs: number, now: number): void {
    const r = decodeReceipt(handle);
    if (!r || r.queueId !== q.id) throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${String(handle).slice(0, 200)}" is not a valid receipt handle.`, { queue: q.name });
    const row = this.#sql['bySeq']!.get({ seq: r.seq }) as MessageRow | undefined;
    if (!row || row.status !== 'queued' || row.queue_id !== q.id || row.receipt_token !== r.token || row.visible_at <= now) {
      throw new SqsError('MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.', { queue: q.name });
    }
    this.#sql['setVisible']!.run({ seq: row.seq, visibleAt: now + visibilityMs });
  }

  counts(q: QueueRecord, now: number): QueueCounts {
    const r = this.#sql['counts']!.get({ q: q.id, now }) as { visible: number | null; notVisible: number | null; delayed: number | null };
    return { visible: r.visible ?? 0, notVisible: r.notVisible ?? 0, delayed: r.delayed ?? 0 };
  }

  /** The earliest time a queued but invisible message of the queue becomes visible. */
  nextVisibleAt(q: QueueRecord, now: number): number | undefined {
    const r = this.#sql['nextVisible']!.get({ q: q.id, now }) as { at: number | null };
    return r.at ?? undefined;
  }

  /** Ends messages past their queue's retention period; prunes old tombstones. Returns expired count. */
  sweep(queues: readonly QueueRecord[], now: number): number {
    let expired = 0;
    this.#inTransaction(() => {
      for (const q of queues) {
        const rows = this.#sql['expiredOf']!.all({ q: q.id, before: now - q.settings.MessageRetentionPeriod * 1000 }) as Array<{ seq: number; size_bytes: number }>;
        for (const row of rows) {
          this.#sql['end']!.run({ seq: row.seq, status: 'expired', now, success: 0 });
          this.#bumpActive(q.id, -1, -row.size_bytes);
        }
        expired += rows.length;
      }
      this.#sql['pruneOld']!.run({ before: now - this.#o.tombstoneRetentionMs });
      const ended = (this.#sql['countEnded']!.get() as { n: number }).n;
      if (ended > this.#o.maxTombstones) this.#sql['pruneOldest']!.run({ n: ended - this.#o.maxTombstones });
    });
    return expired;
  }

  /** Messages after `afterSeq` in send order, queued or ended (tombstones), without bodies. */
  records(afterSeq: number, limit: number, names: ReadonlyMap<number, string>): MessageRecord[] {
    const rows = this.#sql['records']!.all({ after: afterSeq, limit }) as MessageRow[];
    return rows.map((row) => ({
      seq: row.seq,
      messageId: row.message_id,
      queue: names.get(row.queue_id) ?? `#${row.queue_id}`,
      state: row.status === 'queued' ? (row.dead_letter_from !== null ? 'dead-lettered' : 'queued') : row.status,
      sentAt: row.sent_at,
      receiveCount: row.receive_count,
      successes: row.successes,
      duplicates: row.duplicates,
      ...(row.dead_letter_from !== null ? { deadLetterFrom: row.dead_letter_from } : {}),
      ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
    }));
  }

  /** Queued messages and bytes of a queue (committed). */
  active(queueId: number): { count: number; bytes: number } {
    return { ...(this.#active.get(queueId) ?? { count: 0, bytes: 0 }) };
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Commits what waits, then closes the database. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#group.close();
    this.#db.close();
  }

  /** A crash: sends waiting for their group commit are dropped unwritten, then the database is closed. */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#group.abandon();
    this.#db.close();
  }

  #insert(batch: readonly NewMessage[]): ReadonlyArray<Error | undefined> {
    const insert = this.#sql['insert']!;
    this.#inTransaction(() => {
      for (const m of batch) {
        const inserted = insert.run({
          messageId: m.messageId,
          queueId: m.queueId,
          body: m.body,
          size: m.sizeBytes,
          attributes: encodeAttributes(m.attributes),
          md5Body: m.md5Body,
          md5Attributes: m.md5Attributes ?? null,
          senderId: m.senderId,
          trace: m.traceHeader ?? null,
          sentAt: m.sentAt,
          visibleAt: m.visibleAt,
        }).changes;
        // A message id sent twice (an idempotent destination delivery re-run after a crash) is stored once.
        if (inserted > 0) this.#bumpActive(m.queueId, 1, m.sizeBytes);
      }
    });
    for (const m of batch) bump(this.#pending, m.queueId, -1, -m.sizeBytes);
    return batch.map(() => undefined);
  }

  #pendingBytes(): number {
    let n = 0;
    for (const p of this.#pending.values()) n += p.bytes;
    return n;
  }

  #forget(queueId: number): void {
    const a = this.#active.get(queueId);
    if (a) this.#totalBytes -= a.bytes;
    this.#active.delete(queueId);
  }

  /** Changes a queue's committed counts and the service-wide byte total together. */
  #bumpActive(queueId: number, count: number, bytes: number): void {
    bump(this.#active, queueId, count, bytes);
    this.#totalBytes += bytes;
  }
}

function bump(map: Map<number, { count: number; bytes: number }>, id: number, count: number, bytes: number): void {
  const v = map.get(id) ?? { count: 0, bytes: 0 };
  v.count += count;
  v.bytes += bytes;
  if (v.count <= 0 && v.bytes <= 0) map.delete(id);
  else map.set(id, v);
}

function queueFromRow(row: QueueRow): QueueRecord {
  const settings = { ...DEFAULT_QUEUE_SETTINGS, passthrough: {}, ...(JSON.parse(row.settings) as Partial<QueueSettings>) } as QueueSettings;
  return {
    id: row.id,
    name: row.name,
    settings,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: row.created_at,
    lastModified: row.last_modified,
    purgedAt: row.purged_at ?? undefined,
  };
}

function prepare(db: Database): Record<string, Statement> {
  const ended = `status <> 'queued'`;
  return {
    listQueues: db.prepare(`SELECT * FROM queues ORDER BY name`),
    insertQueue: db.prepare(`INSERT INTO queues (name, settings, tags, created_at, last_modified) VALUES (@name, @settings, @tags, @now, @now) RETURNING *`),
    updateQueue: db.prepare(`UPDATE queues SET settings = @settings, tags = @tags, last_modified = @lastModified, purged_at = @purgedAt WHERE id = @id`),
    deleteQueue: db.prepare(`DELETE FROM queues WHERE id = @id`),
    insert: db.prepare(`
      INSERT INTO messages (message_id, queue_id, body, size_bytes, attributes, md5_body, md5_attributes, sender_id, trace_header, sent_at, visible_at, status)
      VALUES (@messageId, @queueId, @body, @size, @attributes, @md5Body, @md5Attributes, @senderId, @trace, @sentAt, @visibleAt, 'queued')
      ON CONFLICT (message_id) DO NOTHING`),
    ready: db.prepare(`SELECT * FROM messages WHERE queue_id = @q AND status = 'queued' AND visible_at <= @now ORDER BY visible_at, seq LIMIT @limit`),
    markReceived: db.prepare(`
      UPDATE messages SET receive_count = receive_count + 1, first_receive_at = COALESCE(first_receive_at, @now),
        visible_at = @visibleAt, receipt_token = @token, maybe_processed = 1, duplicates = duplicates + @dup
      WHERE seq = @seq`),
    move: db.prepare(`UPDATE messages SET queue_id = @to, dead_letter_from = @from, visible_at = @now, receipt_token = NULL WHERE seq = @seq`),
    bySeq: db.prepare(`SELECT * FROM messages WHERE seq = @seq`),
    end: db.prepare(`UPDATE messages SET status = @status, ended_at = @now, body = '', receipt_token = NULL, successes = successes + @success WHERE seq = @seq`),
    success: db.prepare(`UPDATE messages SET successes = successes + 1 WHERE seq = @seq`),
    clearMaybe: db.prepare(`UPDATE messages SET maybe_processed = 0 WHERE seq = @seq AND receipt_token = @token`),
    setVisible: db.prepare(`UPDATE messages SET visible_at = @visibleAt WHERE seq = @seq`),
    endQueued: db.prepare(`UPDATE messages SET status = @status, ended_at = @now, body = '', receipt_token = NULL WHERE queue_id = @q AND status = 'queued'`),
    counts: db.prepare(`
      SELECT SUM(visible_at <= @now) AS visible,
             SUM(visible_at > @now AND receive_count > 0) AS notVisible,
             SUM(visible_at > @now AND receive_count = 0) AS delayed
      FROM messages WHERE queue_id = @q AND status = 'queued'`),
    nextVisible: db.prepare(`SELECT MIN(visible_at) AS at FROM messages WHERE queue_id = @q AND status = 'queued' AND visible_at > @now`),
    expiredOf: db.prepare(`SELECT seq, size_bytes FROM messages WHERE queue_id = @q AND status = 'queued' AND sent_at < @before`),
    pruneOld: db.prepare(`DELETE FROM messages WHERE ${ended} AND ended_at < @before`),
    countEnded: db.prepare(`SELECT COUNT(*) AS n FROM messages WHERE ${ended}`),
    pruneOldest: db.prepare(`DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE ${ended} ORDER BY ended_at LIMIT @n)`),
    records: db.prepare(`SELECT seq, message_id, queue_id, status, sent_at, receive_count, successes, duplicates, dead_letter_from, ended_at FROM messages WHERE seq > @after ORDER BY seq LIMIT @limit`),
  };
}
