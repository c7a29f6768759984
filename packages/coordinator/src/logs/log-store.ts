import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LogEvents } from '@zonesim/protocol';

/** One stored log line. */
export interface StoredLogEvent {
  /** Increasing id: the cursor `zonesim logs --follow` resumes from. */
  id: number;
  timestamp: number;
  logStreamName: string;
  message: string;
}

/** One log stream of a function (one per execution environment). */
export interface LogStreamView {
  logStreamName: string;
  firstEventTimestamp: number;
  lastEventTimestamp: number;
  events: number;
}

/** Settings of a {@link LogStore}. */
export interface LogStoreSettings {
  /** Lines kept per function; older ones are deleted (CloudWatch's retention, by count). */
  maxEventsPerFunction: number;
}

/**
 * Functions' logs, as Lambda sends them to CloudWatch Logs: group `/aws/lambda/<function>`, one
 * stream per execution environment. One SQLite file (`<dataDir>/logs.db`, WAL, `synchronous =
 * NORMAL`: logs are not worth an fsync per batch). Zone nodes send lines in batches and each batch is
 * one transaction. Retention is a bound per function, applied by `trim()` on a timer so the hot path
 * only inserts.
 */
export class LogStore {
  readonly path: string;
  readonly settings: LogStoreSettings;
  #db: Database.Database | undefined;
  #insert: Database.Statement<[string, string, number, string]> | undefined;
  #insertBatch: ((batch: LogEvents) => number) | undefined;
  readonly #touched = new Set<string>();

  constructor(path: string, settings: LogStoreSettings) {
    this.path = path;
    this.settings = settings;
  }

  open(): void {
    if (this.#db) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS log_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      function TEXT NOT NULL,
      stream TEXT NOT NULL,
      ts INTEGER NOT NULL,
      message TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS log_events_by_function ON log_events (function, id);`);
    this.#insert = db.prepare('INSERT INTO log_events (function, stream, ts, message) VALUES (?, ?, ?, ?)');
    this.#insertBatch = db.transaction((batch: LogEvents) => {
      let n = 0;
      for (const s of batch.streams) {
        for (const e of s.events) {
          this.#insert!.run(s.functionName, s.logStream, Math.round(e.t), e.line);
          n++;
        }
        this.#touched.add(s.functionName);
      }
      return n;
    });
    this.#db = db;
  }

  /** Stores one batch from a zone node; returns the lines stored. */
  append(batch: LogEvents): number {
    if (!this.#insertBatch) throw new Error('log store is not open');
    return this.#insertBatch(batch);
  }

  /** Lines of a function after `afterId`, oldest first, optionally of one stream or from a time on. */
  read(functionName: string, options: { afterId?: number; limit?: number; stream?: string; since?: number } = {}): StoredLogEvent[] {
    const db = this.#open();
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
    const where = ['function = ?', 'id > ?'];
    const args: Array<string | number> = [functionName, options.afterId ?? 0];
    if (options.stream !== undefined) {
      where.push('stream = ?');
      args.push(options.stream);
    }
    if (options.since !== undefined) {
      where.push('ts >= ?');
      args.push(options.since);
    }
    const rows = db
      .prepare(`SELECT id, ts, stream, message FROM log_events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${limit}`)
      .all(...args) as Array<{ id: number; ts: number; stream: string; message: string }>;
    return rows.map((r) => ({ id: r.id, timestamp: r.ts, logStreamName: r.stream, message: r.message }));
  }

  /** The id of the newest line of a function (0 when none): where `--follow` without history starts. */
  lastId(functionName: string): number {
    const row = this.#open().prepare('SELECT MAX(id) AS id FROM log_events WHERE function = ?').get(functionName) as { id: number | null };
    return row.id ?? 0;
  }

  /** A function's log streams, newest first. */
  streams(functionName: string): LogStreamView[] {
    const rows = this.#open()
      .prepare('SELECT stream, MIN(ts) AS first, MAX(ts) AS last, COUNT(*) AS n FROM log_events WHERE function = ? GROUP BY stream ORDER BY last DESC')
      .all(functionName) as Array<{ stream: string; first: number; last: number; n: number }>;
    return rows.map((r) => ({ logStreamName: r.stream, firstEventTimestamp: r.first, lastEventTimestamp: r.last, events: r.n }));
  }

  /** Deletes a function's log group (DeleteFunction keeps logs on Lambda; zonesim offers it for cleanup). */
  deleteFunction(functionName: string): void {
    this.#open().prepare('DELETE FROM log_events WHERE function = ?').run(functionName);
  }

  /** Applies retention to the functions that logged since the last trim; returns lines deleted. */
  trim(): number {
    const db = this.#db;
    if (!db) return 0;
    let deleted = 0;
    const cut = db.prepare('SELECT id FROM log_events WHERE function = ? ORDER BY id DESC LIMIT 1 OFFSET ?');
    const del = db.prepare('DELETE FROM log_events WHERE function = ? AND id <= ?');
    for (const fn of this.#touched) {
      const row = cut.get(fn, this.settings.maxEventsPerFunction) as { id: number } | undefined;
      if (row) deleted += del.run(fn, row.id).changes;
    }
    this.#touched.clear();
    return deleted;
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
    this.#insert = undefined;
    this.#insertBatch = undefined;
  }

  #open(): Database.Database {
    if (!this.#db) throw new Error('log store is not open');
    return this.#db;
  }
}
