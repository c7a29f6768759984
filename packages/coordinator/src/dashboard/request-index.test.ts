// Issue 9: the bounded index behind "explain": attempts by request id, failover detection, and
// notable invocations that outlive the recent ones.
import t from 'tap';
import { RequestIndex, attemptZone } from './request-index.js';
import { record } from './test-util/records.js';

t.test('a synchronous invocation lost with its node is lost, not failed over (it may have run: issue 19)', async (t) => {
  const index = new RequestIndex({ maxRecent: 10, maxNotable: 10 });
  const trace = { steps: [{ at: 1, nodeId: 'az-b-node-1', zone: 'az-b', reason: 'warm environment on az-b-node-1' }, { at: 2, nodeId: 'az-a-node-1', zone: 'az-a', reason: 'placed again after az-b-node-1 refused it (NODE_AT_CAPACITY)', outcome: 'refused' as const, code: 'NODE_AT_CAPACITY', endedAt: 3 }] };
  const { entry, notable, failover } = index.add(record({ requestId: 'sync', outcome: 'lost', zone: undefined, nodeId: undefined, billedMs: 0 }), trace);
  t.equal(failover, false);
  t.equal(notable, 'lost');
  t.equal(entry.attempts[0]!.steps?.length, 2, 'the steps are kept (copied)');
  trace.steps.pop();
  t.equal(entry.attempts[0]!.steps?.length, 2);
});

t.test('an async retry in another zone after an attempt lost with its zone is a failover', async (t) => {
  const index = new RequestIndex({ maxRecent: 10, maxNotable: 10 });
  const lost = record({ requestId: 'ev', invocationType: 'Event', outcome: 'lost', zone: undefined, nodeId: undefined, billedMs: 0 });
  const first = index.add(lost, { steps: [{ at: 1, nodeId: 'az-b-node-1', zone: 'az-b', reason: 'x' }] });
  t.equal(first.notable, 'lost');
  t.equal(first.failover, false);
  t.equal(attemptZone(lost, first.entry.attempts[0]!.steps), 'az-b', 'a lost record is placed by its last offer');
  const second = index.add(record({ requestId: 'ev', invocationType: 'Event', attempt: 2, zone: 'az-c' }));
  t.equal(second.failover, true);
  t.equal(second.notable, 'failed-over', 'the stronger reason wins');
  t.equal(second.entry.attempts.length, 2);
  const same = index.add(record({ requestId: 'ev2', attempt: 2, zone: 'az-a', outcome: 'success' }));
  t.equal(same.failover, false, 'a retry without a lost attempt before it is not a failover');
  t.equal(same.notable, 'retried');
});

t.test('bounded: old ids leave, notable ones stay longer', async (t) => {
  const index = new RequestIndex({ maxRecent: 3, maxNotable: 2 });
  index.add(record({ requestId: 'failed-1', outcome: 'function-error' }));
  for (let i = 0; i < 5; i++) index.add(record({ requestId: `ok-${i}` }));
  t.same(index.size, { recent: 3, notable: 1 });
  t.equal(index.get('ok-0'), undefined, 'an old ordinary id is gone');
  t.ok(index.get('ok-4'));
  t.equal(index.get('failed-1')?.notable, 'failed', 'a notable one outlives the recent window');
  index.add(record({ requestId: 'thr-1', outcome: 'throttled', billedMs: 0 }));
  index.add(record({ requestId: 'thr-2', outcome: 'throttled', billedMs: 0 }));
  t.equal(index.get('failed-1'), undefined, 'notable ids are bounded too');
  t.equal(index.mark(index.get('thr-2')!, 'retried'), false, 'a weaker reason does not replace a stronger one');
  t.equal(index.mark(index.get('thr-2')!, 'dead-lettered'), true);
});
