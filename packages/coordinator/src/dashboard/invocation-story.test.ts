// Issue 9, "explain this invocation": the story of one request id from its ledger records, the
// router's offers, the async store and its log lines.
import t from 'tap';
import { buildInvocationStory, reportLineOf } from './invocation-story.js';
import { record } from './test-util/records.js';

t.test('a synchronous invoke placed again after a node refused it', async (t) => {
  const r = record({ requestId: 'sync-1', cold: true, initStartAt: 1_004, initEndAt: 1_006, initMs: 2, execStartAt: 1_006, placement: 'placed again after az-b-node-1 refused it (NODE_AT_CAPACITY); no warm environment; least-loaded zone for this function (az-a)' });
  const story = buildInvocationStory({
    requestId: 'sync-1',
    source: 'index',
    attempts: [{
      record: r,
      steps: [
        { at: 1_001, nodeId: 'az-b-node-1', zone: 'az-b', reason: 'warm environment on az-b-node-1', outcome: 'refused', code: 'NODE_AT_CAPACITY', endedAt: 1_003 },
        { at: 1_003, nodeId: 'az-a-node-1', zone: 'az-a', reason: r.placement! },
      ],
    }],
    logLines: [
      { t: 1_006, line: 'START RequestId: sync-1 Version: $LATEST' },
      { t: 1_012, line: 'REPORT RequestId: sync-1\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 2.00 ms\t' },
    ],
  });
  t.same(story.steps.map((s) => s.kind), ['received', 'placed', 'refused', 'placed', 'init', 'run', 'answered']);
  t.same(story.steps.map((s) => s.at), [...story.steps.map((s) => s.at)].sort((a, b) => a - b), 'in time order');
  t.match(story.steps[2]!.title, /az-b-node-1 refused it \(NODE_AT_CAPACITY\)/);
  t.match(story.steps[4]!.detail, /No idle environment of this version was free/, 'why cold');
  t.equal(story.verdict, 'succeeded');
  t.same(story.tags.sort(), ['cold']);
  t.equal(story.report?.source, 'log');
  t.match(story.summary, /^Succeeded, cold in az-a, handler 10 ms; cost \$/);
  t.ok(story.cost.totalUsd > 0 && Math.abs(story.cost.totalUsd - story.attempts[0]!.costUsd) < 1e-15, 'the cost is the attempt\'s');
});

t.test('an async event lost with its zone, retried elsewhere, then dead-lettered after function errors', async (t) => {
  const base = { requestId: 'ev-1', invocationType: 'Event' as const };
  const story = buildInvocationStory({
    requestId: 'ev-1',
    source: 'index',
    attempts: [
      { record: record({ ...base, outcome: 'lost', zone: undefined, nodeId: undefined, billedMs: 0, errorType: 'ServiceException', respondedAt: 1_500 }), steps: [{ at: 1_001, nodeId: 'az-b-node-1', zone: 'az-b', reason: 'warm environment on az-b-node-1' }] },
      { record: record({ ...base, attempt: 2, duplicate: true, zone: 'az-c', receivedAt: 2_000, execStartAt: 2_002, execEndAt: 2_010, respondedAt: 2_011, outcome: 'function-error', errorType: 'Error' }) },
      { record: record({ ...base, attempt: 3, zone: 'az-c', receivedAt: 62_000, execStartAt: 62_002, execEndAt: 62_010, respondedAt: 62_011, outcome: 'function-error', errorType: 'Error' }) },
    ],
    deadLetter: { condition: 'RetriesExhausted', reason: 'RetriesExhausted', attempts: 3, deadAt: 62_020 },
    logLines: [],
  });
  const kinds = story.steps.map((s) => s.kind);
  t.same(kinds.slice(0, 3), ['received', 'placed', 'lost']);
  t.ok(kinds.includes('failover'), 'attempt 2 ran away from the lost zone');
  t.ok(kinds.includes('duplicate'));
  t.equal(kinds.filter((k) => k === 'retry').length, 2);
  t.equal(kinds[kinds.length - 1], 'dead-lettered');
  t.equal(story.verdict, 'dead-lettered');
  for (const tag of ['failed-over', 'retried', 'duplicate', 'dead-lettered', 'warm']) t.ok(story.tags.includes(tag), tag);
  t.match(story.steps.find((s) => s.kind === 'retry' && s.attempt === 3)?.title, /function error/);
  t.equal(story.report?.source, 'ledger', 'no log yet: the REPORT line is rebuilt');
  t.equal(story.report?.line, reportLineOf(story.attempts.length ? record({ ...base, attempt: 3, zone: 'az-c', receivedAt: 62_000, execStartAt: 62_002, execEndAt: 62_010, respondedAt: 62_011, outcome: 'function-error', errorType: 'Error' }) : record()));
  t.equal(story.attempts[0]!.zone, 'az-b', 'the lost attempt is placed where it was lost');
  t.equal(story.attempts[0]!.costUsd, 0, 'a lost attempt without a duration costs nothing');
});

t.test('throttled: nothing ran, the reason explained, no REPORT line', async (t) => {
  const story = buildInvocationStory({
    requestId: 't-1',
    source: 'ledger-files',
    attempts: [{ record: record({ requestId: 't-1', outcome: 'throttled', throttleReason: 'ReservedFunctionConcurrentInvocationLimitExceeded', zone: undefined, cold: undefined, billedMs: 0, durationMs: undefined, execStartAt: undefined }) }],
    logLines: [],
  });
  t.same(story.steps.map((s) => s.kind), ['received', 'throttled']);
  t.match(story.steps[1]!.detail, /reserved concurrency/);
  t.equal(story.verdict, 'throttled');
  t.equal(story.report, null);
  t.equal(story.cost.totalUsd, 0);
  t.equal(story.source, 'ledger-files');
});

t.test('warm and provisioned starts say why there was no INIT', async (t) => {
  const warm = buildInvocationStory({ requestId: 'w', source: 'index', attempts: [{ record: record({ requestId: 'w' }) }], logLines: [] });
  t.match(warm.steps.find((s) => s.kind === 'run')?.detail, /its INIT had already run/);
  const pc = buildInvocationStory({ requestId: 'p', source: 'index', attempts: [{ record: record({ requestId: 'p', provisioned: true }) }], logLines: [] });
  t.match(pc.steps.find((s) => s.kind === 'run')?.detail, /provisioned concurrency ran INIT ahead of time/);
  t.ok(pc.tags.includes('provisioned'));
  const gone = buildInvocationStory({
    requestId: 'g',
    source: 'index',
    attempts: [{ record: record({ requestId: 'g', cold: true, initStartAt: 1_002, initMs: 100, placement: 'warm environment on az-a-node-1' }) }],
    logLines: [],
  });
  t.match(gone.steps.find((s) => s.kind === 'init')?.detail, /was gone \(evicted or taken\)/, 'placed warm but ran cold');
});
