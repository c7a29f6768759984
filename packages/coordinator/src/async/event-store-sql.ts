import type { Database, Statement } from 'better-sqlite3';

/** The statements of {@link EventStore}, prepared once. */
export type Statements = Record<
  'get'
  | 'insert'
  | 'anyDue'
  | 'claim'
  | 'listActive'
  | 'openFlag'
  | 'startAttempt'
  | 'bump'
  | 'renew'
  | 'recoverExpired'
  | 'recoverAll'
  | 'reschedule'
  | 'finish'
  | 'insertDeadLetter'
  | 'listDead'
  | 'listDeadOf'
  | 'getDead'
  | 'deleteDead'
  | 'redrive'
  | 'prune'
  | 'countByStatus'
  | 'countDead'
  | 'counters'
  | 'active',
  Statement
>;

/** Events that still need an attempt. */
const ACTIVE = `status IN ('queued', 'in-flight')`;

/** Prepares every statement of the store once, at open. */
export function prepareStatements(db: Database): Statements {
  return {
    get: db.prepare(`SELECT * FROM events WHERE event_id = ?`),
    insert: db.prepare(`
      INSERT INTO events (event_id, function_name, qualifier, payload, payload_bytes, received_at, max_retry_attempts,
        max_event_age_sec, on_success, on_failure, destination_depth, next_attempt_at, status)
      VALUES (@eventId, @functionName, @qualifier, @payload, @payloadBytes, @receivedAt, @maxRetryAttempts,
        @maxEventAgeSec, @onSuccess, @onFailure, @destinationDepth, @receivedAt, 'queued')
      ON CONFLICT (event_id) DO NOTHING`),
    // A read over the same index as the claim's subquery (a few us, against a write transaction's
    // ~0.6 ms even when it matches nothing): the dispatcher's idle polls stop there.
    anyDue: db.prepare(`SELECT 1 FROM events WHERE status = 'queued' AND next_attempt_at <= @now LIMIT 1`),
    claim: db.prepare(`
      UPDATE events SET status = 'in-flight', lease_until = @leaseUntil, claim_token = claim_token + 1
      WHERE event_id IN (
        SELECT event_id FROM events WHERE status = 'queued' AND next_attempt_at <= @now
        ORDER BY next_attempt_at, received_at LIMIT @limit)
      RETURNING *`),
    openFlag: db.prepare(`SELECT attempt_open FROM events WHERE event_id = @id AND claim_token = @token AND status = 'in-flight'`),
    startAttempt: db.prepare(`
      UPDATE events SET attempt = attempt + 1, deliveries = deliveries + 1, duplicates = duplicates + @dup, attempt_open = 1
      WHERE event_id = @id AND claim_token = @token AND status = 'in-flight'
      RETURNING attempt`),
    bump: db.prepare(`UPDATE counters SET value = value + @by WHERE name = @name`),
    renew: db.prepare(`UPDATE events SET lease_until = @leaseUntil WHERE event_id = @id AND claim_token = @token AND status = 'in-flight'`),
    recoverExpired: db.prepare(`UPDATE events SET status = 'queued', lease_until = NULL WHERE status = 'in-flight' AND lease_until <= @now`),
    recoverAll: db.prepare(`UPDATE events SET status = 'queued', lease_until = NULL WHERE status = 'in-flight'`),
    reschedule: db.prepare(`
      UPDATE events SET status = 'queued', lease_until = NULL, next_attempt_at = @next,
        retries_on_error = COALESCE(@retries, retries_on_error), backoffs = COALESCE(@backoffs, backoffs),
        last_error = COALESCE(@lastError, last_error), attempt_open = @open
      WHERE event_id = @id AND status = 'in-flight' AND (@token IS NULL OR claim_token = @token)`),
    finish: db.prepare(`
      UPDATE events SET status = @status, outcome = @outcome, finished_at = @at, payload = X'', lease_until = NULL,
        attempt_open = 0, last_error = COALESCE(@lastError, last_error)
      WHERE event_id = @id AND ${ACTIVE} AND (@token IS NULL OR claim_token = @token)
      RETURNING payload_bytes`),
    insertDeadLetter: db.prepare(`
      INSERT OR REPLACE INTO dead_letters (event_id, function_name, qualifier, payload, received_at, attempts, max_retry_attempts,
        max_event_age_sec, on_success, on_failure, destination_depth, redrives, condition, reason, last_error, record, dead_at)
      VALUES (@event_id, @function_name, @qualifier, @payload, @received_at, @attempts, @max_retry_attempts,
        @max_event_age_sec, @on_success, @on_failure, @destination_depth, @redrives, @condition, @reason, @last_error, @record, @dead_at)`),
    listDead: db.prepare(`SELECT * FROM dead_letters ORDER BY dead_at, event_id LIMIT @limit OFFSET @offset`),
    listDeadOf: db.prepare(`SELECT * FROM dead_letters WHERE function_name = @fn ORDER BY dead_at, event_id LIMIT @limit OFFSET @offset`),
    getDead: db.prepare(`SELECT * FROM dead_letters WHERE event_id = ?`),
    deleteDead: db.prepare(`DELETE FROM dead_letters WHERE event_id = ?`),
    // Upsert: the event's row may still be there (status 'dead') or may have been pruned. The claim
    // token is kept, never reset, so fencing stays monotonic for this event id.
    redrive: db.prepare(`
      INSERT INTO events (event_id, function_name, qualifier, payload, payload_bytes, received_at, max_retry_attempts,
        max_event_age_sec, on_success, on_failure, destination_depth, next_attempt_at, status, redrives)
      VALUES (@event_id, @function_name, @qualifier, @payload, @payload_bytes, @now, @max_retry_attempts,
        @max_event_age_sec, @on_success, @on_failure, @destination_depth, @now, 'queued', @redrives + 1)
      ON CONFLICT (event_id) DO UPDATE SET
        payload = excluded.payload, payload_bytes = excluded.payload_bytes, received_at = excluded.received_at,
        attempt = 0, retries_on_error = 0, backoffs = 0, next_attempt_at = excluded.next_attempt_at, status = 'queued',
        lease_until = NULL, attempt_open = 0, redrives = excluded.redrives, last_error = NULL, outcome = NULL, finished_at = NULL`),
    prune: db.prepare(`DELETE FROM events WHERE event_id IN (
      SELECT event_id FROM events WHERE finished_at IS NOT NULL AND finished_at < @before LIMIT @limit)`),
    countByStatus: db.prepare(`SELECT status, COUNT(*) AS n FROM events GROUP BY status`),
    countDead: db.prepare(`SELECT COUNT(*) AS n FROM dead_letters`),
    counters: db.prepare(`SELECT name, value FROM counters`),
    active: db.prepare(`SELECT COUNT(*) AS n, SUM(payload_bytes) AS bytes FROM events WHERE ${ACTIVE}`),
    listActive: db.prepare(`SELECT event_id, function_name, status, attempt FROM events WHERE ${ACTIVE} ORDER BY received_at, event_id LIMIT @limit OFFSET @offset`),
  };
}
