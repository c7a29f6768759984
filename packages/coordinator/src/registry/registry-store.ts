import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LayerVersionRecord } from '../layers/layer-catalog.js';
import type { FunctionRecord } from './function-record.js';

/**
 * Where function records survive a coordinator crash: one SQLite file (`<dataDir>/registry.db`) in
 * WAL mode with `synchronous = FULL`, since control-plane writes are rare and each acknowledged
 * CreateFunction must survive a `kill -9` (and a power loss) of the coordinator. Records are stored
 * as JSON rows keyed by name, layer versions likewise by name and number; code blobs live in the content-addressed code store beside it.
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
    // Layer versions (layers/layer-catalog.ts), and each layer's next version number, which a delete never lowers.
    db.exec(`CREATE TABLE IF NOT EXISTS layer_versions (
      name TEXT NOT NULL,
      version INTEGER NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (name, version)
    ) STRICT`);
    db.exec(`CREATE TABLE IF NOT EXISTS layer_next (name TEXT PRIMARY KEY, next INTEGER NOT NULL) STRICT`);
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

  /** Every stored layer version and each layer's next version number. */
  loadLayers(): { versions: LayerVersionRecord[]; next: Record<string, number> } {
    const db = this.#opened();
    const versions = (db.prepare('SELECT record FROM layer_versions ORDER BY name, version').all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as LayerVersionRecord);
    const next = Object.fromEntries((db.prepare('SELECT name, next FROM layer_next').all() as Array<{ name: string; next: number }>).map((r) => [r.name, r.next]));
    return { versions, next };
  }

  /** Writes a new layer version and its layer's next number in one transaction. */
  putLayerVersion(record: LayerVersionRecord, next: number): void {
    const db = this.#opened();
    db.transaction(() => {
      db.prepare('INSERT INTO layer_versions (name, version, record) VALUES (?, ?, ?)').run(record.name, record.version, JSON.stringify(record));
      db.prepare('INSERT INTO layer_next (name, next) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET next = excluded.next').run(record.name, next);
    })();
  }

  /** Rewrites a stored layer version (its resource policy changed). */
  updateLayerVersion(record: LayerVersionRecord): void {
    this.#opened().prepare('UPDATE layer_versions SET record = ? WHERE name = ? AND version = ?').run(JSON.stringify(record), record.name, record.version);
  }

  deleteLayerVersion(name: string, version: number): void {
    this.#opened().prepare('DELETE FROM layer_versions WHERE name = ? AND version = ?').run(name, version);
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
