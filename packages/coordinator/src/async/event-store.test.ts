import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t, { type Test } from 'tap';
import { ManualClock, systemClock } from '@zonesim/common';
import { EventStore } from './event-store.js';
import { SCHEMA_VERSION } from './schema.js';
import type { NewAsyncEvent } from './async-event.js';

const ev = (id: string, extra: Partial<NewAsyncEvent> = {}): NewAsyncEvent => ({
  eventId: id,
  functionName: 'f',
  payload: Buffer.from(JSON.stringify({ id })),
  ...extra,
});

/** A fresh directory per call (tap's `testdir()` is one directory per test, recreated on each call). */
function freshDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-async-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: Test, options: Partial<ConstructorParameters<typeof EventStore>[0]> = {}, clock = new ManualClock()): EventStore {
  const dataDir = freshDir(t);
  const store = new EventStore({ dataDir, ...options }, { clock });
  t.teardown(() => store.close());
  return store;
}

t.test('enqueue stores an event with Lambda defaults, due at once', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  await store.enqueue(ev('a'));
  const a = store.get('a')!;
  t.match(a, {
    eventId: 'a',
    functionName: 'f',
    qualifier: '$LATEST',
    receivedAt: clock.now(),
    nextAttemptAt: clock.now(),
    attempt: 0,
    retriesOnError: 0,
    maxRetryAttempts: 2,
    maxEventAgeSec: 21_600,
    status: 'queued',
    onSuccess: undefined,
    onFailure: undefined,
  });
  t.same(JSON.parse(a.payload.toString()), { id: 'a' });
  t.match(store.stats(), { queued: 1, inFlight: 0, enqueued: 1 });
});

t.test('enqueue refuses bad events with a code naming the field', async (t) => {
  const store = open(t);
  await t.rejects(store.enqueue(ev('a', { maxRetryAttempts: 3 })), { code: 'INVALID_EVENT', field: 'maxRetryAttempts' });
  await t.rejects(store.enqueue(ev('a', { maxEventAgeSec: 59 })), { code: 'INVALID_EVENT', field: 'maxEventAgeSec' });
  await t.rejects(store.enqueue(ev('a', { maxEventAgeSec: 21_601 })), { code: 'INVALID_EVENT', field: 'maxEventAgeSec' });
  await t.rejects(store.enqueue(ev('', {})), { code: 'INVALID_EVENT', field: 'eventId' });
  await t.rejects(store.enqueue(ev('a', { onSuccess: 'zonesim:dead-letter' })), { code: 'INVALID_EVENT', field: 'onSuccess' });
  await t.rejects(store.enqueue(ev('a', { payload: Buffer.alloc(1024 * 1024 + 1) })), {
    code: 'PAYLOAD_TOO_LARGE',
    limit: 1024 * 1024,
    observed: 1024 * 1024 + 1,
  });
  await store.enqueue(ev('a', { payload: Buffer.alloc(1024 * 1024, 0x20) }));
  t.equal(store.stats().queued, 1, 'exactly 1 MB is accepted');
});

t.test('a duplicate event id is refused without failing the rest of its batch', async (t) => {
  const store = open(t);
  await store.enqueue(ev('a'));
  const results = await Promise.allSettled([store.enqueue(ev('b')), store.enqueue(ev('a')), store.enqueue(ev('c'))]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.match((results[1] as PromiseRejectedResult).reason, { code: 'DUPLICATE_EVENT', eventId: 'a' });
  t.equal(store.stats().queued, 3);
});

t.test('bounds: events, bytes and uncommitted enqueues refuse with QUEUE_FULL', async (t) => {
  const byCount = open(t, { maxQueuedEvents: 3 });
  const settled = await Promise.allSettled(['a', 'b', 'c', 'd'].map((id) => byCount.enqueue(ev(id))));
  t.same(settled.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'], 'pending enqueues count against the bound');
  t.match((settled[3] as PromiseRejectedResult).reason, { name: 'AsyncQueueError', code: 'QUEUE_FULL', field: 'maxQueuedEvents', limit: 3 });
  // Finishing an event frees its place.
  const [a] = byCount.claimDue(Date.now() + 1e12, 1);
  byCount.complete(a!.eventId, { condition: 'Success', at: 0, claimToken: a!.claimToken });
  await byCount.enqueue(ev('d'));

  const byBytes = open(t, { maxQueuedBytes: 100 });
  await byBytes.enqueue(ev('a', { payload: Buffer.alloc(60) }));
  await t.rejects(byBytes.enqueue(ev('b', { payload: Buffer.alloc(41) })), { code: 'QUEUE_FULL', field: 'maxQueuedBytes' });
  await byBytes.enqueue(ev('b', { payload: Buffer.alloc(40) }));

  const byPending = open(t, { maxPendingEnqueues: 2 });
  const p = await Promise.allSettled(['a', 'b', 'c'].map((id) => byPending.enqueue(ev(id))));
  t.match((p[2] as PromiseRejectedResult).reason, { code: 'QUEUE_FULL', field: 'maxPendingEnqueues', limit: 2 });
  t.equal(byPending.stats().queued, 2);
});

t.test('group commit: concurrent enqueues share transactions; a big burst is split by maxBatchSize', async (t) => {
  const store = open(t, { maxBatchSize: 250 });
  await Promise.all(Array.from({ length: 1000 }, (_, i) => store.enqueue(ev(`e${i}`))));
  t.same(store.commitStats, { batches: 4, items: 1000, largestBatch: 250 });
  await store.enqueue(ev('late'));
  t.equal(store.commitStats.batches, 5, 'a lone enqueue is its own commit');
  t.equal(store.stats().queued, 1001);
});

t.test('an aborted enqueue is withdrawn before its commit', async (t) => {
  const store = open(t);
  const ac = new AbortController();
  const p = store.enqueue(ev('a'), { signal: ac.signal });
  const q = store.enqueue(ev('b'));
  ac.abort();
  await t.rejects(p, { code: 'ABORTED' });
  await q;
  t.equal(store.get('a'), undefined);
  t.equal(store.stats().queued, 1);
});

t.test('claimDue leases due events only, oldest first, and bumps the fencing token', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  const now = clock.now();
  await store.enqueue(ev('later', { receivedAt: now + 1000 }));
  await store.enqueue(ev('b', { receivedAt: now - 10 }));
  await store.enqueue(ev('a', { receivedAt: now - 20 }));
  const claimed = store.claimDue(now, 10, 5000);
  t.same(claimed.map((e) => e.eventId), ['a', 'b']);
  t.match(claimed[0], { status: 'in-flight', leaseUntil: now + 5000, claimToken: 1 });
  t.same(store.claimDue(now, 10), [], 'claimed events are not claimed twice');
  t.same(store.claimDue(now + 1000, 10).map((e) => e.eventId), ['later']);
  t.match(store.stats(), { queued: 0, inFlight: 3 });
});

t.test('settling with a stale claim token is refused', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  await store.enqueue(ev('a'));
  const [first] = store.claimDue(clock.now(), 1, 1000);
  t.equal(store.recoverExpiredLeases(clock.now() + 1000), 1, 'the lease expired');
  const [second] = store.claimDue(clock.now(), 1, 1000);
  t.equal(second!.claimToken, first!.claimToken + 1);
  t.notOk(store.startAttempt('a', first!.claimToken), 'old claim cannot start an attempt');
  t.notOk(store.reschedule('a', 0, { claimToken: first!.claimToken }));
  t.notOk(store.complete('a', { condition: 'Success', at: 0, claimToken: first!.claimToken }));
  t.notOk(store.deadLetter('a', { condition: 'RetriesExhausted', reason: 'RetriesExhausted', record: {}, at: 0, claimToken: first!.claimToken }));
  t.ok(store.complete('a', { condition: 'Success', at: 0, claimToken: second!.claimToken }));
  t.notOk(store.complete('a', { condition: 'Success', at: 0 }), 'a finished event cannot finish again');
  t.match(store.stats(), { done: 1, completed: 1, queued: 0, inFlight: 0 });
});

t.test('an attempt started while the previous one never reported back is a duplicate', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  await store.enqueue(ev('a'));
  let [a] = store.claimDue(clock.now(), 1);
  t.same(store.startAttempt('a', a!.claimToken), { attempt: 1, duplicate: false });
  // The dispatcher dies here: the attempt may have run. On restart every in-flight row is re-queued.
  t.equal(store.recoverInFlight(), 1);
  [a] = store.claimDue(clock.now(), 1);
  t.same(store.startAttempt('a', a!.claimToken), { attempt: 2, duplicate: true });
  // A function error is an answer: the retry after it is not a duplicate.
  t.ok(store.reschedule('a', clock.now(), { claimToken: a!.claimToken, retriesOnError: 1 }));
  [a] = store.claimDue(clock.now(), 1);
  t.same(store.startAttempt('a', a!.claimToken), { attempt: 3, duplicate: false });
  // A zone lost mid-execution: no answer, the attempt may have run.
  t.ok(store.reschedule('a', clock.now(), { claimToken: a!.claimToken, attemptMayHaveRun: true }));
  [a] = store.claimDue(clock.now(), 1);
  t.same(store.startAttempt('a', a!.claimToken), { attempt: 4, duplicate: true });
  t.match(store.get('a'), { deliveries: 4, duplicates: 2, retriesOnError: 1 });
  t.match(store.stats(), { deliveries: 4, duplicates: 2 });
});

t.test('startAttempts starts a pass in one transaction: stale claims get undefined, counts add up', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  for (const id of ['a', 'b', 'c']) await store.enqueue(ev(id));
  const claimed = store.claimDue(clock.now(), 10, 1000);
  const stale = { eventId: 'b', claimToken: claimed[1]!.claimToken - 1 };
  const started = store.startAttempts([
    { eventId: 'a', claimToken: claimed[0]!.claimToken },
    stale,
    { eventId: 'c', claimToken: claimed[2]!.claimToken },
  ]);
  t.same(started, [{ attempt: 1, duplicate: false }, undefined, { attempt: 1, duplicate: false }]);
  t.match(store.stats(), { deliveries: 2, duplicates: 0 });
  t.match(store.get('b'), { attempt: 0, deliveries: 0 }, 'the stale claim started nothing');
});

t.test('claimAndStart: a pass claims and starts in one call; what may not run is claimed, not started', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  for (const id of ['a', 'b', 'c']) await store.enqueue(ev(id));
  const { events, starts } = store.claimAndStart(clock.now(), 10, 1000, (e) => e.eventId !== 'b');
  t.same(events.map((e) => e.eventId), ['a', 'b', 'c']);
  t.same(starts, [{ attempt: 1, duplicate: false }, 'not-started', { attempt: 1, duplicate: false }]);
  t.match(store.get('b'), { status: 'in-flight', attempt: 0, deliveries: 0 }, 'claimed under its lease, not started');
  t.match(store.stats(), { deliveries: 2 });
  t.same(store.claimAndStart(clock.now(), 10, 1000, () => true), { events: [], starts: [] }, 'nothing left due');
  t.same(store.claimAndStart(clock.now(), 0, 1000, () => true), { events: [], starts: [] });
});

t.test('completeSoon: completions of one turn share a transaction; stale claims resolve false', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  for (const id of ['a', 'b', 'c']) await store.enqueue(ev(id));
  const claimed = store.claimDue(clock.now(), 10, 1000);
  store.startAttempts(claimed.map((e) => ({ eventId: e.eventId, claimToken: e.claimToken })));
  const results = await Promise.all([
    store.completeSoon('a', { condition: 'Success', at: 1, claimToken: claimed[0]!.claimToken }),
    store.completeSoon('b', { condition: 'Success', at: 1, claimToken: claimed[1]!.claimToken + 5 }),
    store.completeSoon('c', { condition: 'Success', at: 1, claimToken: claimed[2]!.claimToken }),
  ]);
  t.same(results, [true, false, true]);
  t.match(store.get('a'), { status: 'done' });
  t.match(store.get('b'), { status: 'in-flight' }, 'a stale completion leaves the row to its claim');
  t.match(store.stats(), { done: 2, completed: 2, inFlight: 1 });
  // Before its commit a completion is not visible; close() commits what waits.
  const pending = store.completeSoon('b', { condition: 'Success', at: 2, claimToken: claimed[1]!.claimToken });
  t.match(store.get('b'), { status: 'in-flight' }, 'not committed within the turn');
  t.equal(await pending, true);
  t.match(store.get('b'), { status: 'done' });
});

t.test('close commits waiting completions first', async (t) => {
  const clock = new ManualClock();
  const dataDir = freshDir(t);
  const store = new EventStore({ dataDir }, { clock });
  await store.enqueue(ev('a'));
  const [a] = store.claimDue(clock.now(), 1, 1000);
  const done = store.completeSoon('a', { condition: 'Success', at: 1, claimToken: a!.claimToken });
  store.close();
  t.equal(await done, true);
  const reopened = new EventStore({ dataDir }, { clock });
  t.teardown(() => reopened.close());
  t.match(reopened.get('a'), { status: 'done' });
  await t.rejects(store.completeSoon('a', { condition: 'Success', at: 1 }), { code: 'STORE_CLOSED' });
});

t.test('renewed leases are not recovered; expired ones are', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  await store.enqueue(ev('a'));
  await store.enqueue(ev('b'));
  const now = clock.now();
  const [a, b] = store.claimDue(now, 2, 1000);
  t.equal(store.renewLeases([{ eventId: a!.eventId, claimToken: a!.claimToken }], now + 5000), 1);
  t.equal(store.recoverExpiredLeases(now + 999), 0);
  t.equal(store.recoverExpiredLeases(now + 1000), 1);
  t.match(store.get(b!.eventId), { status: 'queued', leaseUntil: undefined });
  t.match(store.get(a!.eventId), { status: 'in-flight', leaseUntil: now + 5000 });
});

t.test('dead letters: list, filter, redrive with fresh counts, delete', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  for (const [id, fn] of [['a', 'f'], ['b', 'g'], ['c', 'f']] as const) {
    await store.enqueue(ev(id, { functionName: fn, maxRetryAttempts: 1, onSuccess: 'arn:x' }));
  }
  for (const e of store.claimDue(clock.now(), 3)) {
    store.startAttempt(e.eventId, e.claimToken);
    clock.advance(10);
    const lastError = { kind: 'function-error' as const, statusCode: 200, errorType: 'Error', errorMessage: 'x'.repeat(5000), at: clock.now() };
    t.ok(store.deadLetter(e.eventId, {
      condition: 'RetriesExhausted',
      reason: 'RetriesExhausted',
      record: { version: '1.0', id: e.eventId },
      at: clock.now(),
      claimToken: e.claimToken,
      lastError,
    }));
  }
  t.match(store.stats(), { dead: 3, deadLettered: 3, queued: 0, inFlight: 0 });
  const all = store.listDeadLetters();
  t.same(all.map((d) => d.id), ['a', 'b', 'c'], 'oldest first');
  t.match(all[0], { eventId: 'a', functionName: 'f', attempts: 1, condition: 'RetriesExhausted', reason: 'RetriesExhausted', record: { id: 'a' }, maxRetryAttempts: 1, onSuccess: 'arn:x' });
  t.same(JSON.parse(all[0]!.payload.toString()), { id: 'a' }, 'the dead letter keeps the payload');
  t.equal(all[0]!.lastError!.errorMessage.length, 1024, 'error message kept to 1 KB');
  t.same(store.listDeadLetters({ functionName: 'f' }).map((d) => d.id), ['a', 'c']);
  t.same(store.listDeadLetters({ limit: 1, offset: 1 }).map((d) => d.id), ['b']);
  t.equal(store.get('a')!.payload.length, 0, 'the finished event row drops its payload copy');

  clock.advance(1000);
  t.same(store.redrive(['a', 'nope']), ['a']);
  t.match(store.get('a'), { status: 'queued', attempt: 0, retriesOnError: 0, backoffs: 0, redrives: 1, receivedAt: clock.now(), nextAttemptAt: clock.now(), maxRetryAttempts: 1, onSuccess: 'arn:x' });
  t.same(JSON.parse(store.get('a')!.payload.toString()), { id: 'a' });
  t.equal(store.getDeadLetter('a'), undefined);
  t.ok(store.deleteDeadLetter('b'));
  t.notOk(store.deleteDeadLetter('b'));
  t.same(store.redrive('all'), ['c']);
  t.match(store.stats(), { dead: 0, queued: 2, redriven: 2 });
});

t.test('redrive stops at the queue bound and refuses when nothing fits', async (t) => {
  const clock = new ManualClock();
  const store = open(t, { maxQueuedEvents: 2 }, clock);
  for (const id of ['a', 'b']) await store.enqueue(ev(id));
  for (const e of store.claimDue(clock.now(), 2)) {
    store.deadLetter(e.eventId, { condition: 'EventAgeExceeded', reason: 'EventAgeExceeded', record: {}, at: clock.now() });
  }
  await store.enqueue(ev('c'));
  t.same(store.redrive('all'), ['a'], 'only one place left');
  t.throws(() => store.redrive('all'), { code: 'QUEUE_FULL' });
  t.equal(store.stats().dead, 1);

  const byBytes = open(t, { maxQueuedBytes: 100 }, clock);
  for (const id of ['a', 'b']) await byBytes.enqueue(ev(id, { payload: Buffer.alloc(40) }));
  for (const e of byBytes.claimDue(clock.now(), 2)) {
    byBytes.deadLetter(e.eventId, { condition: 'EventAgeExceeded', reason: 'EventAgeExceeded', record: {}, at: clock.now() });
  }
  await byBytes.enqueue(ev('c', { payload: Buffer.alloc(40) }));
  t.same(byBytes.redrive('all'), ['a'], 'the bytes of every redriven event count: 40 + 40 fits in 100, a third 40 does not');
  t.match(byBytes.stats(), { activeBytes: 80, dead: 1 });
});

t.test('pruneFinished removes finished rows, keeps totals and active rows', async (t) => {
  const clock = new ManualClock();
  const store = open(t, {}, clock);
  for (const id of ['a', 'b']) await store.enqueue(ev(id));
  const [a] = store.claimDue(clock.now(), 1);
  store.complete(a!.eventId, { condition: 'Success', at: clock.now() });
  t.equal(store.pruneFinished(clock.now()), 0, 'strictly before');
  t.equal(store.pruneFinished(clock.now() + 1), 1);
  t.match(store.stats(), { done: 0, completed: 1, queued: 1 });
});

t.test('a closed store refuses work with STORE_CLOSED; close is safe twice', async (t) => {
  const store = new EventStore({ dataDir: freshDir(t) }, { clock: systemClock });
  const pending = store.enqueue(ev('a'));
  store.close();
  await pending; // committed by close
  store.close();
  await t.rejects(store.enqueue(ev('b')), { code: 'STORE_CLOSED' });
  t.throws(() => store.stats(), { code: 'STORE_CLOSED' });
  const again = new EventStore({ dataDir: store.options.dataDir }, { clock: systemClock });
  t.equal(again.stats().queued, 1, 'close committed what waited');
  again.close();
});

t.test('a database from a newer zonesim is refused with SCHEMA_TOO_NEW; reopening a current one migrates nothing', async (t) => {
  const dataDir = freshDir(t);
  const store = new EventStore({ dataDir }, { clock: systemClock });
  await store.enqueue(ev('a'));
  store.close();
  const again = new EventStore({ dataDir }, { clock: systemClock });
  t.equal(again.stats().queued, 1);
  again.close();
  const raw = new Sqlite(join(dataDir, 'async-events.db'));
  raw.pragma('user_version = 99');
  raw.close();
  t.throws(() => new EventStore({ dataDir }, { clock: systemClock }), { name: 'AsyncQueueError', code: 'SCHEMA_TOO_NEW', observed: 99, limit: SCHEMA_VERSION });
});

t.test('a version-1 database (before the claim-order index) is migrated and keeps its events', async (t) => {
  const dataDir = freshDir(t);
  const store = new EventStore({ dataDir }, { clock: systemClock });
  await store.enqueue(ev('old'));
  store.close();
  const raw = new Sqlite(join(dataDir, 'async-events.db'));
  raw.exec('DROP INDEX events_due_order; CREATE INDEX events_due ON events (status, next_attempt_at);');
  raw.pragma('user_version = 1');
  raw.close();
  const again = new EventStore({ dataDir }, { clock: systemClock });
  t.same(again.claimDue(Date.now() + 1, 10).map((e) => e.eventId), ['old'], 'the event is still there and claimable');
  again.close();
  const check = new Sqlite(join(dataDir, 'async-events.db'), { readonly: true });
  t.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const indexes = (check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`).all() as Array<{ name: string }>).map((r) => r.name);
  t.ok(indexes.includes('events_due_order') && !indexes.includes('events_due'), 'the claim reads its order from the new index');
  const plan = (check.prepare(`EXPLAIN QUERY PLAN SELECT event_id FROM events WHERE status = 'queued' AND next_attempt_at <= 1 ORDER BY next_attempt_at, received_at LIMIT 5`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' ');
  t.notMatch(plan, /TEMP B-TREE/, 'no temporary B-tree per claim');
  check.close();
});

t.test('options are validated with the field named', async (t) => {
  t.throws(() => new EventStore({}, { clock: systemClock }), /dataDir is required/);
  t.throws(() => new EventStore({ dataDir: freshDir(t), maxQueuedEvents: 0 }, { clock: systemClock }), /maxQueuedEvents must be an integer >= 1/);
  t.throws(() => new EventStore({ dataDir: freshDir(t), synchronous: 'OFF' as 'FULL' }, { clock: systemClock }), /synchronous must be NORMAL or FULL/);
  t.throws(() => new EventStore({ dataDir: freshDir(t), fileName: '../x.db' }, { clock: systemClock }), /fileName/);
});
