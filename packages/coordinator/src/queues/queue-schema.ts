import type { Database } from 'better-sqlite3';
import { SqsError } from './errors.js';

/**
 * Schema migrations of `<dataDir>/queues.db`, applied in order; `PRAGMA user_version` counts how
 * many have run. Append, never edit a shipped one. A file of its own (not the async store's),
 * because `user_version` numbers the migrations of one file.
 */
const MIGRATIONS: readonly string[] = [
  // 1: queues and messages. A message row outlives its deletion as a tombstone (body cleared), so
  // that a run's checker can tell processed from lost; tombstones are pruned by age and count.
  `
  CREATE TABLE queues (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    settings          TEXT NOT NULL,
    tags              TEXT NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    last_modified     INTEGER NOT NULL,
    purged_at         INTEGER
  ) STRICT;

  CREATE TABLE messages (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id        TEXT NOT NULL UNIQUE,
    queue_id          INTEGER NOT NULL,
    body              TEXT NOT NULL,
    size_bytes        INTEGER NOT NULL,
    attributes        TEXT,
    md5_body          TEXT NOT NULL,
    md5_attributes    TEXT,
    sender_id         TEXT NOT NULL,
    trace_header      TEXT,
    sent_at           INTEGER NOT NULL,
    visible_at        INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'deleted', 'expired', 'purged')),
    receive_count     INTEGER NOT NULL DEFAULT 0,
    first_receive_at  INTEGER,
    receipt_token     TEXT,
    maybe_processed   INTEGER NOT NULL DEFAULT 0,
    successes         INTEGER NOT NULL DEFAULT 0,
    duplicates        INTEGER NOT NULL DEFAULT 0,
    dead_letter_from  TEXT,
    ended_at          INTEGER
  ) STRICT;
  CREATE INDEX messages_ready ON messages (queue_id, status, visible_at);
  CREATE INDEX messages_ended ON messages (ended_at) WHERE ended_at IS NOT NULL;
  `,
];

/** The schema version this code writes. */
export const QUEUE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings `db` to {@link QUEUE_SCHEMA_VERSION}; refuses a file written by a newer zonesim. */
export function migrateQueues(db: Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > QUEUE_SCHEMA_VERSION) {
    throw new SqsError('InternalError', `${file} has schema version ${current}; this zonesim knows up to ${QUEUE_SCHEMA_VERSION}`);
  }
  for (let v = current; v < QUEUE_SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
