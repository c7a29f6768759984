import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { FunctionRecord } from './function-record.js';

/**
 * Where function records survive a coordinator crash: one SQLite file (`<dataDir>/registry.db`) in
 * WAL mode with `synchronous = FULL`, since control-plane writes are rare and each acknowledged
 * CreateFunction must survive a `kill -9` (and a power loss) of the coordinator. Records are stored
 * as JSON rows keyed by name; code blobs live in the content-addressed code store beside it.
 */
export class RegistryStore {
  readonly path: string;
  #db: Database.Database | undefined;
  #put: Database.Statement<[string, string, number]> | undefined;
  #delete: Database.Statement<[string]> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating) the database; part of the coordinator's start. */
  open(): void {
    if (this.#db) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS functions (
      name TEXT PRIMARY KEY,
      record TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`);
    this.#put = db.prepare('INSERT INTO functions (name, record, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at');
    this.#delete = db.prepare('DELETE FROM functions WHERE name = ?');
    this.#db = db;
  }

  /** Every stored function. */
  loadAll(): FunctionRecord[] {
    const rows = this.#opened().prepare('SELECT record FROM functions ORDER BY name').all() as Array<{ record: string }>;
    return rows.map((r) => JSON.parse(r.record) as FunctionRecord);
  }

  /** Writes (or replaces) a function; returns once committed. */
  put(record: FunctionRecord): void {
    this.#opened();
    this.#put!.run(record.name, JSON.stringify(record), record.lastModified);
  }

  remove(name: string): void {
    this.#opened();
    this.#delete!.run(name);
  }

  close(): void {
    if (this.#db?.open) this.#db.close();
    this.#db = undefined;
  }

  #opened(): Database.Database {
    if (!this.#db) throw new Error(`registry store ${this.path} is not open`);
    return this.#db;
  }
}
