import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';

/** The kinds of trigger configuration kept in `<dataDir>/triggers.db`. */
export type TriggerKind = 'event_source_mappings' | 'schedules' | 'function_urls';

const KINDS: readonly TriggerKind[] = ['event_source_mappings', 'schedules', 'function_urls'];

/**
 * Where trigger configuration survives a coordinator crash: event source mappings, schedules and
 * function URL configs, one JSON row each keyed by its id (UUID, schedule name, `function:qualifier`),
 * in `<dataDir>/triggers.db` (WAL, `synchronous = FULL`: control-plane writes are rare and each
 * acknowledged Create must survive a power loss, as the registry's do). A file of its own, not
 * `queues.db`, so that each file's migrations stay its own.
 */
export class TriggerStore {
  readonly path: string;
  #db: Database | undefined;

  constructor(path: string) {
    this.path = path;
  }

  open(): void {
    if (this.#db) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Sqlite(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const kind of KINDS) db.exec(`CREATE TABLE IF NOT EXISTS ${kind} (id TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT`);
    this.#db = db;
  }

  all<T>(kind: TriggerKind): T[] {
    return (this.#opened().prepare(`SELECT record FROM ${kind} ORDER BY id`).all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as T);
  }

  /** Writes (or replaces) one record; returns once committed. */
  put(kind: TriggerKind, id: string, record: unknown): void {
    this.#opened().prepare(`INSERT INTO ${kind} (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record`).run(id, JSON.stringify(record));
  }

  remove(kind: TriggerKind, id: string): void {
    this.#opened().prepare(`DELETE FROM ${kind} WHERE id = ?`).run(id);
  }

  close(): void {
    if (this.#db?.open) this.#db.close();
    this.#db = undefined;
  }

  #opened(): Database {
    if (!this.#db) throw new Error(`trigger store ${this.path} is not open`);
    return this.#db;
  }
}
