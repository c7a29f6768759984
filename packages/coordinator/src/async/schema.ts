import type { Database } from 'better-sqlite3';
import { AsyncQueueError, AsyncQueueErrorCode } from './errors.js';

/**
 * Schema migrations of the async event database, applied in order; `PRAGMA user_version` records
 * how many have run. Append new migrations, never edit a shipped one: a data directory written by an
 * older zonesim must open with a newer one.
 */
const MIGRATIONS: readonly string[] = [
  // 1: events, dead letters, persistent counters.
  `
  CREATE TABLE events (
    event_id            TEXT PRIMARY KEY,
    function_name       TEXT NOT NULL,
    qualifier           TEXT NOT NULL,
    payload             BLOB NOT NULL,
    payload_bytes       INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    attempt             INTEGER NOT NULL DEFAULT 0,
    retries_on_error    INTEGER NOT NULL DEFAULT 0,
    backoffs            INTEGER NOT NULL DEFAULT 0,
    max_retry_attempts  INTEGER NOT NULL,
    max_event_age_sec   INTEGER NOT NULL,
    on_success          TEXT,
    on_failure          TEXT,
    destination_depth   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'in-flight', 'done', 'dead')),
    lease_until         INTEGER,
    claim_token         INTEGER NOT NULL DEFAULT 0,
    attempt_open        INTEGER NOT NULL DEFAULT 0,
    deliveries          INTEGER NOT NULL DEFAULT 0,
    duplicates          INTEGER NOT NULL DEFAULT 0,
    redrives            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    outcome             TEXT,
    finished_at         INTEGER
  ) STRICT;
  CREATE INDEX events_due ON events (status, next_attempt_at);
  CREATE INDEX events_finished ON events (finished_at) WHERE finished_at IS NOT NULL;

  CREATE TABLE dead_letters (
    event_id            TEXT PRIMARY KEY,
    function_name       TEXT NOT NULL,
    qualifier           TEXT NOT NULL,
    payload             BLOB NOT NULL,
    received_at         INTEGER NOT NULL,
    attempts            INTEGER NOT NULL,
    max_retry_attempts  INTEGER NOT NULL,
    max_event_age_sec   INTEGER NOT NULL,
    on_success          TEXT,
    on_failure          TEXT,
    destination_depth   INTEGER NOT NULL,
    redrives            INTEGER NOT NULL,
    condition           TEXT NOT NULL,
    reason              TEXT NOT NULL,
    last_error          TEXT,
    record              TEXT NOT NULL,
    dead_at             INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX dead_letters_by_function ON dead_letters (function_name, dead_at);
  CREATE INDEX dead_letters_by_time ON dead_letters (dead_at);

  CREATE TABLE counters (
    name                TEXT PRIMARY KEY,
    value               INTEGER NOT NULL
  ) STRICT;
  INSERT INTO counters (name, value) VALUES
    ('enqueued', 0), ('deliveries', 0), ('duplicates', 0), ('completed', 0), ('dead_lettered', 0), ('redriven', 0);
  `,
  // 2: the claim's order (next_attempt_at, then received_at) read straight from the index, without
  // a temporary B-tree per claim.
  `
  CREATE INDEX events_due_order ON events (status, next_attempt_at, received_at);
  DROP INDEX events_due;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings `db` to {@link SCHEMA_VERSION}, one transaction per migration; refuses a newer file. */
export function migrate(db: Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new AsyncQueueError(
      AsyncQueueErrorCode.SchemaTooNew,
      `${file} has schema version ${current}; this zonesim knows up to ${SCHEMA_VERSION}`,
      { limit: SCHEMA_VERSION, observed: current },
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
