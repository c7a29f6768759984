import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '@zonesim/common';
import { EventStore } from './event-store.js';
import { GroupCommit } from './group-commit.js';

t.test('a throwing writer fails its whole batch with STORE_FAILURE and the cause', async (t) => {
  const group = new GroupCommit<number>(() => {
    throw new Error('SQLITE_FULL: database or disk is full');
  }, { maxPending: 10, maxBatch: 10, clock: systemClock });
  const results = await Promise.allSettled([group.submit(1, 1), group.submit(2, 1)]);
  for (const r of results) t.match(r, { status: 'rejected', reason: { code: 'STORE_FAILURE', cause: { message: /SQLITE_FULL/ } } });
  t.equal(group.pending, 0);
  t.equal(group.pendingWeight, 0);
});

t.test('per-item errors reject only their item', async (t) => {
  const group = new GroupCommit<number>((items) => items.map((i) => (i % 2 ? new Error(`odd ${i}`) : undefined)), { maxPending: 10, maxBatch: 10, clock: systemClock });
  const results = await Promise.allSettled([1, 2, 3, 4].map((i) => group.submit(i, 0)));
  t.same(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled']);
  t.same(group.stats, { batches: 1, items: 4, largestBatch: 4 });
});

t.test('throughput: 10,000 concurrent enqueues on a real file (WAL, synchronous=NORMAL)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-async-'));
  const store = new EventStore({ dataDir: dir }, { clock: systemClock });
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const n = 10_000;
  const payload = Buffer.from(JSON.stringify({ order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(100) }));
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => store.enqueue({ eventId: `ev-${i}`, functionName: 'f', payload })));
  const ms = performance.now() - start;
  const { batches, largestBatch } = store.commitStats;
  t.equal(store.stats().queued, n);
  t.ok(batches <= Math.ceil(n / store.options.maxBatchSize), `${batches} transactions for ${n} events (largest ${largestBatch})`);
  t.comment(`group commit: ${n} events in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)} events/s, ${batches} transactions`);
});
