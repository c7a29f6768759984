import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import { SafetySwitch, silentLogger, type BrokenSafety, type Clock, type Logger } from '@zonesim/common';
import { EventStatus, type AsyncEvent, type DestinationCondition, type LastAttemptError, type NewAsyncEvent } from './async-event.js';
import { MAX_ERROR_MESSAGE_BYTES } from './async-limits.js';
import type { DeadLetter, DeadLetterInput, ListDeadLettersOptions } from './dead-letter.js';
import { AsyncQueueError, AsyncQueueErrorCode } from './errors.js';
import { resolveEventStoreOptions, type EventStoreOptions, type ResolvedEventStoreOptions } from './event-store-options.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import { deadLetterFromRow, eventFromRow, type DeadLetterRow, type EventRow } from './rows.js';
import { migrate } from './schema.js';
import { prepareStatements, type Statements } from './event-store-sql.js';
import { reusableTransaction, type RunInTransaction } from '../sqlite-transaction.js';
import { validateNewEvent, type ValidEvent } from './validate-event.js';

/** Components of an {@link EventStore}, apart from its settings. */
export interface EventStoreComponents {
  /**
   * Source of `receivedAt` when an event has none. Required: the store is core code and reads no
   * wall clock of its own (issue 16).
   */
  clock: Clock;
  /** @default a silent logger */
  logger?: Logger;
  /** Safety switched off (explore's self-test, issue 19); never set by a real coordinator. @default none */
  broken?: BrokenSafety;
}

/** How late a write-behind build commits an acknowledged event (explore's self-test only). */
const WRITE_BEHIND_MS = 1_000;

/** What a started attempt looks like to the store. */
export interface StartedAttempt {
  /** The attempt's number, from 1. */
  attempt: number;
  /** True when an earlier attempt's outcome was never recorded: it may have run, so this is a duplicate. */
  duplicate: boolean;
}

/** Fields of {@link EventStore.reschedule}. */
export interface RescheduleFields {
  /** Fencing token of the claim; a stale claim is refused (returns false). */
  claimToken?: number;
  retriesOnError?: number;
  backoffs?: number;
  lastError?: LastAttemptError;
  /**
   * The attempt may have run even though no answer came back (a zone lost mid-execution). The next
   * delivery is then counted as a duplicate. @default false
   */
  attemptMayHaveRun?: boolean;
}

/** Fields of {@link EventStore.complete}. */
export interface CompleteFields {
  condition: DestinationCondition;
  /** Epoch ms. */
  at: number;
  /** Fencing token of the claim; a stale claim is refused (returns false). */
  claimToken?: number;
  lastError?: LastAttemptError;
}

/** Counts of {@link EventStore.stats}. */
export interface EventStoreStats {
  queued: number;
  inFlight: number;
  /** Finished event rows still kept (`pruneFinished` removes them). */
  done: number;
  /** Events waiting in the dead-letter store. */
  dead: number;
  /** Payload bytes of queued and in-flight events. */
  activeBytes: number;
  /** Totals since the database was created. */
  enqueued: number;
  deliveries: number;
  duplicates: number;
  completed: number;
  deadLettered: number;
  redriven: number;
  /** Group commits of this store instance. */
  commits: GroupCommitStats;
}

/**
 * The durable queue of accepted async events, in SQLite (better-sqlite3, WAL). An `Event` invoke is
 * answered 202 only after {@link enqueue} resolved, i.e. after the row is committed (lambda-facts 6:
 * "event persisted ... then 202").
 *
 * Delivery is at-least-once: {@link claimDue} leases events to a dispatcher; a claim whose owner
 * died is re-queued ({@link recoverInFlight} on start, {@link recoverExpiredLeases} on a timer). An
 * attempt started while an earlier one of the same event never reported back is counted as a
 * duplicate, per event and in total. Every settle carries the claim's fencing token, so a late
 * answer from an abandoned attempt cannot overwrite a newer claim.
 *
 * All methods except `enqueue` are synchronous (better-sqlite3 is); each is one transaction.
 */
export class EventStore {
  readonly options: ResolvedEventStoreOptions;
  /** Absolute path of the database file. */
  readonly file: string;
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #group: GroupCommit<ValidEvent>;
  readonly #completions: GroupCommit<{ eventId: string; fields: CompleteFields }>;
  readonly #sql: Statements;
  readonly #inTransaction: RunInTransaction;
  readonly #writeBehind: boolean;
  #activeCount = 0;
  #activeBytes = 0;
  #closed = false;

  constructor(options: EventStoreOptions, components: EventStoreComponents) {
    this.options = resolveEventStoreOptions(options);
    this.#clock = components.clock;
    this.#writeBehind = components.broken?.has(SafetySwitch.DurableEnqueue) === true;
    this.#log = components.logger ?? silentLogger();
    mkdirSync(this.options.dataDir, { recursive: true });
    this.file = join(this.options.dataDir, this.options.fileName);
    let db: Database | undefined;
    try {
      db = new Sqlite(this.file, { timeout: this.options.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      // See EventStoreOptions.synchronous: NORMAL survives kill -9 of the process (the WAL write is in
      // the OS before the commit returns) but not power loss; FULL also fsyncs each commit.
      db.pragma(`synchronous = ${this.options.synchronous}`);
      migrate(db, this.file);
      this.#sql = prepareStatements(db);
    } catch (err) {
      db?.close();
      if ((err as { name?: unknown }).name === 'AsyncQueueError') throw err;
      throw new AsyncQueueError(AsyncQueueErrorCode.StoreFailure, `cannot open ${this.file}: ${(err as Error).message}`, {}, { cause: err });
    }
    this.#db = db;
    this.#inTransaction = reusableTransaction(db);
    this.#recountActive();
    this.#group = new GroupCommit<ValidEvent>((batch) => this.#insertBatch(batch), {
      maxPending: this.options.maxPendingEnqueues,
      maxBatch: this.options.maxBatchSize,
      clock: this.#clock,
    });
    this.#completions = new GroupCommit((batch) => this.#completeBatch(batch), {
      maxPending: this.options.maxPendingEnqueues,
      maxBatch: this.options.maxBatchSize,
      clock: this.#clock,
    });
  }

  /**
   * Stores an event; resolves once it is committed (so it survives `kill -9`). Enqueues within one
   * event-loop turn share one transaction (group commit). Refuses with `QUEUE_FULL` at a bound,
   * `PAYLOAD_TOO_LARGE` above 1 MB, `INVALID_EVENT`, `DUPLICATE_EVENT` or `STORE_CLOSED`.
   */
  enqueue(event: NewAsyncEvent, options: { signal?: AbortSignal } = {}): Promise<void> {
    let valid: ValidEvent;
    try {
      if (this.#closed) throw closed();
      valid = validateNewEvent(event, this.#clock.now());
      this.#checkRoom(1, valid.payload.length, valid.eventId);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.#writeBehind) {
      // A deliberately broken build (explore's self-test): acknowledged now, committed a second
      // later, so a crash in between loses what was acknowledged.
      this.#clock.setTimeout(() => void this.#group.submit(valid, valid.payload.length).catch(() => undefined), WRITE_BEHIND_MS);
      return Promise.resolve();
    }
    return this.#group.submit(valid, valid.payload.length, options.signal);
  }

  /** One event by id, in any status. */
  get(eventId: string): AsyncEvent | undefined {
    const row = this.#open().sql.get.get(eventId) as EventRow | undefined;
    return row && eventFromRow(row);
  }

  /**
   * Leases up to `limit` queued events due at `now` (oldest `nextAttemptAt` first) until
   * `now + leaseMs`, moving them to `in-flight` and bumping their fencing token.
   */
  claimDue(now: number, limit: number, leaseMs = this.options.leaseMs): AsyncEvent[] {
    if (limit <= 0) return [];
    // Nothing due (the dispatcher's polls, most of the time): no write transaction. Same `now`, same
    // condition as the claim, in one synchronous call: the answer cannot change in between.
    if (this.#open().sql.anyDue.get({ now }) === undefined) return [];
    return this.#claim(now, limit, leaseMs);
  }

  /** The claim itself, once {@link claimDue}'s read found something due. */
  #claim(now: number, limit: number, leaseMs: number): AsyncEvent[] {
    const rows = this.#open().sql.claim.all({ now, limit, leaseUntil: now + leaseMs }) as EventRow[];
    return rows.map(eventFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.receivedAt - b.receivedAt);
  }

  /**
   * {@link claimDue} and {@link startAttempts} in one transaction, as the dispatcher's pass uses
   * them: the due events are claimed, and those `startable` says may run (Lambda checks an event's
   * age before each attempt) have their attempt started. One commit per pass instead of two (the
   * claim's write transaction was ~12 % of a virtual run with async load). Per event, in the order
   * returned: the started attempt, `undefined` for a stale claim, or `'not-started'`.
   */
  claimAndStart(
    now: number,
    limit: number,
    leaseMs: number,
    startable: (event: AsyncEvent) => boolean,
  ): { events: AsyncEvent[]; starts: Array<StartedAttempt | undefined | 'not-started'> } {
    if (limit <= 0) return { events: [], starts: [] };
    const { sql } = this.#open();
    if (sql.anyDue.get({ now }) === undefined) return { events: [], starts: [] };
    return this.#inTransaction(() => {
      const events = this.#claim(now, limit, leaseMs);
      const live = events.filter(startable);
      // A nested transaction is a savepoint inside this one: still one commit.
      const started = live.length > 0 ? this.startAttempts(live.map((e) => ({ eventId: e.eventId, claimToken: e.claimToken }))) : [];
      let next = 0;
      const starts = events.map((e): StartedAttempt | undefined | 'not-started' => (live[next] === e ? started[next++] : 'not-started'));
      return { events, starts };
    });
  }

  /**
   * Records the start of an attempt on a claimed event: attempt and delivery counts go up, and if
   * the previous attempt never reported back (it may have run) the delivery counts as a duplicate.
   * Returns undefined when the claim is stale.
   */
  startAttempt(eventId: string, claimToken: number): StartedAttempt | undefined {
    return this.startAttempts([{ eventId, claimToken }])[0];
  }

  /**
   * {@link startAttempt} for every claim of a pass in one transaction (the dispatcher starts what
   * one claim returned together: one commit per pass instead of one per event). Per claim, the
   * started attempt or undefined for a stale claim.
   */
  startAttempts(claims: ReadonlyArray<{ eventId: string; claimToken: number }>): Array<StartedAttempt | undefined> {
    const { sql } = this.#open();
    return this.#inTransaction(() => {
      let deliveries = 0;
      let duplicates = 0;
      const out = claims.map(({ eventId, claimToken }): StartedAttempt | undefined => {
        const before = sql.openFlag.get({ id: eventId, token: claimToken }) as { attempt_open: number } | undefined;
        if (!before) return undefined;
        const duplicate = before.attempt_open !== 0;
        const after = sql.startAttempt.get({ id: eventId, token: claimToken, dup: duplicate ? 1 : 0 }) as { attempt: number };
        deliveries++;
        if (duplicate) duplicates++;
        return { attempt: after.attempt, duplicate };
      });
      if (deliveries > 0) sql.bump.run({ name: 'deliveries', by: deliveries });
      if (duplicates > 0) sql.bump.run({ name: 'duplicates', by: duplicates });
      return out;
    });
  }

  /** Extends the leases of claims a live dispatcher still holds. Returns how many were extended. */
  renewLeases(claims: ReadonlyArray<{ eventId: string; claimToken: number }>, leaseUntil: number): number {
    const { sql } = this.#open();
    return this.#inTransaction(() => claims.reduce((n, c) => n + sql.renew.run({ id: c.eventId, token: c.claimToken, leaseUntil }).changes, 0));
  }

  /** Re-queues in-flight events whose lease ended before `now` (their dispatcher stalled or died). */
  recoverExpiredLeases(now: number): number {
    const n = this.#open().sql.recoverExpired.run({ now }).changes;
    if (n > 0) this.#log.warn({ events: n }, 'async events re-queued after their lease expired');
    return n;
  }

  /** Re-queues every in-flight event: run once on start, before anything else claims (at-least-once across a crash). */
  recoverInFlight(): number {
    const n = this.#open().sql.recoverAll.run().changes;
    if (n > 0) this.#log.warn({ events: n }, 'async events in flight at the last stop re-queued');
    return n;
  }

  /** Puts a claimed event back in the queue until `nextAttemptAt`. Returns false for a stale claim. */
  reschedule(eventId: string, nextAttemptAt: number, fields: RescheduleFields = {}): boolean {
    const changes = this.#open().sql.reschedule.run({
      id: eventId,
      token: fields.claimToken ?? null,
      next: nextAttemptAt,
      retries: fields.retriesOnError ?? null,
      backoffs: fields.backoffs ?? null,
      lastError: fields.lastError ? lastErrorJson(fields.lastError) : null,
      open: fields.attemptMayHaveRun ? 1 : 0,
    }).changes;
    return changes > 0;
  }

  /** Finishes an event as `done` with its condition (Success, or a failure handed to an on-failure function). */
  complete(eventId: string, fields: CompleteFields): boolean {
    return this.#completeBatch([{ eventId, fields }])[0] === undefined;
  }

  /**
   * {@link complete}, committed together with the other completions of this event-loop turn in one
   * transaction (group commit, like enqueues): under async load one commit per event was most of
   * the dispatcher's cost. Resolves true once committed, false for a stale claim. Past the bound of
   * waiting completions it completes at once, synchronously.
   */
  completeSoon(eventId: string, fields: CompleteFields): Promise<boolean> {
    if (this.#closed) return Promise.reject(closed());
    if (this.#completions.pending >= this.options.maxPendingEnqueues) return Promise.resolve(this.complete(eventId, fields));
    return this.#completions.submit({ eventId, fields }, 0).then(
      () => true,
      (err: unknown) => {
        if (err === STALE_CLAIM) return false;
        throw err;
      },
    );
  }

  /**
   * Moves an event into the dead-letter store with its record and reason, in one transaction.
   * Returns false for a stale claim or an event that is already finished.
   */
  deadLetter(eventId: string, input: DeadLetterInput): boolean {
    const { sql } = this.#open();
    return this.#inTransaction(() => {
      const row = sql.get.get(eventId) as EventRow | undefined;
      if (!row || (row.status !== 'queued' && row.status !== 'in-flight')) return false;
      if (input.claimToken !== undefined && row.claim_token !== input.claimToken) return false;
      const lastError = input.lastError ? lastErrorJson(input.lastError) : row.last_error;
      sql.insertDeadLetter.run({
        ...row,
        attempts: row.attempt,
        condition: input.condition,
        reason: input.reason,
        last_error: lastError,
        record: JSON.stringify(input.record),
        dead_at: input.at,
      });
      sql.finish.run({ id: eventId, token: null, status: EventStatus.Dead, outcome: input.condition, at: input.at, lastError });
      sql.bump.run({ name: 'dead_lettered', by: 1 });
      this.#activeCount--;
      this.#activeBytes -= row.payload_bytes;
      return true;
    });
  }

  /** Dead letters, oldest first, optionally of one function. */
  listDeadLetters(options: ListDeadLettersOptions = {}): DeadLetter[] {
    const limit = Math.max(0, Math.min(options.limit ?? 100, 10_000));
    const offset = Math.max(0, options.offset ?? 0);
    const { sql } = this.#open();
    const rows = (options.functionName === undefined
      ? sql.listDead.all({ limit, offset })
      : sql.listDeadOf.all({ fn: options.functionName, limit, offset })) as DeadLetterRow[];
    return rows.map(deadLetterFromRow);
  }

  /** Events not finished yet (queued or in flight), oldest first: what a checker calls pending. */
  listPending(options: { limit?: number; offset?: number } = {}): Array<{ eventId: string; functionName: string; status: string; attempt: number }> {
    const limit = Math.max(0, Math.min(options.limit ?? 1000, 100_000));
    const offset = Math.max(0, options.offset ?? 0);
    const rows = this.#open().sql.listActive.all({ limit, offset }) as Array<{ event_id: string; function_name: string; status: string; attempt: number }>;
    return rows.map((r) => ({ eventId: r.event_id, functionName: r.function_name, status: r.status, attempt: r.attempt }));
  }

  /** One dead letter by id (the event id). */
  getDeadLetter(id: string): DeadLetter | undefined {
    const row = this.#open().sql.getDead.get(id) as DeadLetterRow | undefined;
    return row && deadLetterFromRow(row);
  }

  /**
   * Moves dead letters back to the queue, due now, with fresh attempt, retry and backoff counts and a
   * fresh age (a redrive is a new acceptance, as re-sending a DLQ message is). Stops when the queue
   * bound is reached; refuses with `QUEUE_FULL` if nothing fits. Returns the ids redriven.
   */
  redrive(ids: readonly string[] | 'all', options: { functionName?: string; now?: number } = {}): string[] {
    const { sql } = this.#open();
    const now = options.now ?? this.#clock.now();
    const done = this.#inTransaction(() => {
      const rows = (ids === 'all'
        ? options.functionName === undefined
          ? sql.listDead.all({ limit: -1, offset: 0 })
          : sql.listDeadOf.all({ fn: options.functionName, limit: -1, offset: 0 })
        : ids.map((id) => sql.getDead.get(id)).filter((r) => r !== undefined)) as DeadLetterRow[];
      const moved: string[] = [];
      let movedBytes = 0;
      for (const row of rows) {
        if (!this.#hasRoom(moved.length + 1, movedBytes + row.payload.length)) {
          if (moved.length === 0) this.#checkRoom(1, row.payload.length, row.event_id);
          break;
        }
        sql.redrive.run({ ...row, now, payload_bytes: row.payload.length });
        sql.deleteDead.run(row.event_id);
        moved.push(row.event_id);
        movedBytes += row.payload.length;
      }
      sql.bump.run({ name: 'redriven', by: moved.length });
      return moved;
    });
    this.#recountActive();
    return done;
  }

  /** Deletes one dead letter for good. Returns false if there was none. */
  deleteDeadLetter(id: string): boolean {
    return this.#open().sql.deleteDead.run(id).changes > 0;
  }

  /** Deletes finished event rows (done or dead) that finished before `before`; the totals are kept. */
  pruneFinished(before: number, limit = 10_000): number {
    return this.#open().sql.prune.run({ before, limit }).changes;
  }

  /** Counts by status, totals, and group-commit counters. */
  stats(): EventStoreStats {
    const { sql } = this.#open();
    const by = new Map((sql.countByStatus.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
    const counters = new Map((sql.counters.all() as Array<{ name: string; value: number }>).map((r) => [r.name, r.value]));
    return {
      queued: by.get('queued') ?? 0,
      inFlight: by.get('in-flight') ?? 0,
      done: by.get('done') ?? 0,
      dead: (sql.countDead.get() as { n: number }).n,
      activeBytes: this.#activeBytes,
      enqueued: counters.get('enqueued') ?? 0,
      deliveries: counters.get('deliveries') ?? 0,
      duplicates: counters.get('duplicates') ?? 0,
      completed: counters.get('completed') ?? 0,
      deadLettered: counters.get('dead_lettered') ?? 0,
      redriven: counters.get('redriven') ?? 0,
      commits: this.#group.stats,
    };
  }

  /** Group-commit counters of this instance (batches, items, largest batch). */
  get commitStats(): GroupCommitStats {
    return this.#group.stats;
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Commits what waits for a group commit, then closes the database. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#group.close();
    this.#completions.close();
    this.#closed = true;
    this.#db.close();
  }

  /** A crash: what waits for a group commit is dropped unwritten, then the database is closed. */
  abandon(): void {
    if (this.#closed) return;
    this.#group.abandon();
    this.#completions.abandon();
    this.#closed = true;
    this.#db.close();
  }

  #open(): { db: Database; sql: Statements } {
    if (this.#closed) throw closed();
    return { db: this.#db, sql: this.#sql };
  }

  #hasRoom(events: number, bytes: number): boolean {
    return (
      this.#activeCount + this.#group.pending + events <= this.options.maxQueuedEvents &&
      this.#activeBytes + this.#group.pendingWeight + bytes <= this.options.maxQueuedBytes
    );
  }

  #checkRoom(events: number, bytes: number, eventId: string): void {
    if (this.#activeCount + this.#group.pending + events > this.options.maxQueuedEvents) {
      throw new AsyncQueueError(AsyncQueueErrorCode.QueueFull, `the async queue holds its maximum of ${this.options.maxQueuedEvents} events`, {
        eventId,
        field: 'maxQueuedEvents',
        limit: this.options.maxQueuedEvents,
        observed: this.#activeCount + this.#group.pending,
      });
    }
    if (this.#activeBytes + this.#group.pendingWeight + bytes > this.options.maxQueuedBytes) {
      throw new AsyncQueueError(AsyncQueueErrorCode.QueueFull, `the async queue holds its maximum of ${this.options.maxQueuedBytes} payload bytes`, {
        eventId,
        field: 'maxQueuedBytes',
        limit: this.options.maxQueuedBytes,
        observed: this.#activeBytes + this.#group.pendingWeight,
      });
    }
  }

  #insertBatch(batch: readonly ValidEvent[]): Array<Error | undefined> {
    if (this.#closed) return batch.map(() => closed());
    const { sql } = this.#open();
    let added = 0;
    let bytes = 0;
    const results = this.#inTransaction(() => {
      const out = batch.map((e): Error | undefined => {
        const changes = sql.insert.run({
          ...e,
          payloadBytes: e.payload.length,
        }).changes;
        if (changes === 0) {
          return new AsyncQueueError(AsyncQueueErrorCode.DuplicateEvent, `an async event with id ${e.eventId} is already stored`, { eventId: e.eventId });
        }
        added++;
        bytes += e.payload.length;
        return undefined;
      });
      sql.bump.run({ name: 'enqueued', by: added });
      return out;
    });
    // Counted only after the commit: a failed transaction (thrown above) added nothing.
    this.#activeCount += added;
    this.#activeBytes += bytes;
    return results;
  }

  /** Finishes each event in one transaction; per item undefined, or STALE_CLAIM when its claim is stale. */
  #completeBatch(batch: ReadonlyArray<{ eventId: string; fields: CompleteFields }>): Array<Error | undefined> {
    if (this.#closed) return batch.map(() => closed());
    const { sql } = this.#open();
    let finished = 0;
    let bytes = 0;
    const results = this.#inTransaction(() => {
      const out = batch.map(({ eventId, fields }): Error | undefined => {
        const row = sql.finish.get({
          id: eventId,
          token: fields.claimToken ?? null,
          status: EventStatus.Done,
          outcome: fields.condition,
          at: fields.at,
          lastError: fields.lastError ? lastErrorJson(fields.lastError) : null,
        }) as { payload_bytes: number } | undefined;
        if (!row) return STALE_CLAIM;
        finished++;
        bytes += row.payload_bytes;
        return undefined;
      });
      if (finished > 0) sql.bump.run({ name: 'completed', by: finished });
      return out;
    });
    // Counted only after the commit: a failed transaction (thrown above) finished nothing.
    this.#activeCount -= finished;
    this.#activeBytes -= bytes;
    return results;
  }

  #recountActive(): void {
    const r = this.#sql.active.get() as { n: number; bytes: number | null };
    this.#activeCount = r.n;
    this.#activeBytes = r.bytes ?? 0;
  }
}

/** A completion whose claim went stale (re-claimed after its lease, or finished): not an error of the store. */
const STALE_CLAIM = new Error('stale claim');

function closed(): AsyncQueueError {
  return new AsyncQueueError(AsyncQueueErrorCode.StoreClosed, 'event store is closed');
}

function lastErrorJson(e: LastAttemptError): string {
  // Lambda keeps the first 1 KB of an error message with a dead-lettered event; so do we, so one
  // huge stack trace cannot bloat every retry's row.
  const message = Buffer.from(e.errorMessage, 'utf8');
  const errorMessage = message.length <= MAX_ERROR_MESSAGE_BYTES ? e.errorMessage : message.subarray(0, MAX_ERROR_MESSAGE_BYTES).toString('utf8');
  return JSON.stringify({ ...e, errorMessage });
}
