import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openArrivals } from './arrivals.js';
import { checkRun } from './check-run.js';
import { formatVerdict } from './format-verdict.js';
import { verdict } from './hypotheses.js';
import { parse, resolved, yaml } from './test-util/fixtures.js';

const QUEUED = [
  'name: q',
  'duration: 10s',
  'queues:',
  '  - name: orders',
  '    visibilityTimeout: 6s',
  '    deadLetterQueue: orders-dlq',
  '  - name: orders-dlq',
  'functions:',
  '  - name: worker',
  '    timeout: 3s',
  '    synthetic: { duration: 10 }',
  '    triggers:',
  '      - queue: orders',
  '        batchSize: 5',
  '        maxConcurrency: 4',
];

t.test('queues, triggers and queue workload entries resolve with SQS and Lambda defaults', async (t) => {
  const s = await resolved(yaml(...QUEUED, 'workload:', '  - queue: orders', '    payload: hello', '    arrival: { constant: { rate: 2 } }'));
  t.same(s.queues, [
    { name: 'orders', visibilityTimeoutSec: 6, delaySec: 0, deadLetterQueue: 'orders-dlq', maxReceiveCount: 5 },
    { name: 'orders-dlq', visibilityTimeoutSec: 30, delaySec: 0 },
  ]);
  t.same(s.functions[0]!.triggers, [{ queue: 'orders', batchSize: 5, batchingWindowSec: 0, maxConcurrency: 4, reportBatchItemFailures: false, enabled: true }]);
  t.same(s.workload[0], { index: 0, function: 'orders', invocation: 'queue', startMs: 0, endMs: 10_000, arrival: { kind: 'constant', rate: 2 }, payload: 'hello' });
  const arrivals = [...(await openArrivals(s))];
  t.equal(arrivals.length, 20);
  t.same([arrivals[0]!.function, arrivals[0]!.invocation], ['orders', 'queue']);
});

t.test('queue mistakes are found before anything starts', async (t) => {
  const errorsOf = async (text: string) => (await parse(text)).errors.map((e) => `${e.field}: ${e.detail}`);
  t.match(await errorsOf(yaml(...QUEUED, 'workload:', '  - queue: nope', '    arrival: { constant: { rate: 1 } }')), [/workload\[0\]\.queue: unknown queue "nope"/]);
  t.match(await errorsOf(yaml(...QUEUED, 'workload:', '  - queue: orders', '    function: worker', '    arrival: { constant: { rate: 1 } }')), [/either function or queue/]);
  t.match(await errorsOf(yaml(...QUEUED, 'workload:', '  - queue: orders', '    invocation: async', '    arrival: { constant: { rate: 1 } }')), [/invocation is for function entries/]);
  t.match(await errorsOf(yaml(...QUEUED.map((l) => l.replace('timeout: 3s', 'timeout: 10s')))), [/visibilityTimeout 6s, less than the function's timeout 10s/]);
  t.match(await errorsOf(yaml(...QUEUED.map((l) => l.replace('batchSize: 5', 'batchSize: 50')))), [/batchingWindow of at least 1s/]);
  t.match(await errorsOf(yaml(...QUEUED.map((l) => l.replace('deadLetterQueue: orders-dlq', 'deadLetterQueue: orders')))), [/its own dead-letter queue/]);
  t.match(await errorsOf(yaml(...QUEUED.map((l) => l.replace('  - queue: orders', '  - queue: other')))), [/unknown queue "other"/]);
  t.match(await errorsOf(yaml(...QUEUED.slice(0, 7), '  - name: orders', ...QUEUED.slice(7))), [/queue "orders" is already defined/]);
});

t.test('every sent message is processed, dead-lettered, still queued or lost; duplicates counted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-queues-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const t0 = 1_767_225_600_000;
  const op = (seq: number, id: string | undefined, status = 200) => ({
    seq, workload: 0, function: 'orders', invocation: 'queue', intendedAt: t0 + seq * 100, sentAt: t0 + seq * 100, endedAt: t0 + seq * 100 + 5,
    status, result: status === 200 ? 'ok' : 'fail', ...(id ? { requestId: id } : {}),
  });
  const history = [op(0, 'm1'), op(1, 'm2'), op(2, 'm3'), op(3, 'm4'), op(4, 'm5'), op(5, undefined, 403)];
  await writeFile(join(dir, 'run.json'), JSON.stringify({ v: 1, scenario: 'q', seed: 1, t0 }));
  await writeFile(join(dir, 'history.ndjson'), `${history.map((h) => JSON.stringify(h)).join('\n')}\n`);
  const rec = (messageId: string, state: string, extra: Record<string, unknown> = {}) => ({ messageId, queue: 'orders', state, receiveCount: 1, successes: state === 'deleted' ? 1 : 0, duplicates: 0, ...extra });
  await writeFile(join(dir, 'queue-messages.ndjson'), `${[
    rec('m1', 'deleted'),
    rec('m2', 'deleted', { receiveCount: 2, successes: 1, duplicates: 1 }),
    rec('m3', 'dead-lettered', { queue: 'orders-dlq', receiveCount: 5, deadLetterFrom: 'orders' }),
    rec('m4', 'queued'),
    rec('other', 'deleted'),
  ].map((r) => JSON.stringify(r)).join('\n')}\n`);
  const check = await checkRun(dir);
  t.same(check.ops.queue, { ok: 5, fail: 1, unknown: 0, functionErrors: 0, throttles: 0 });
  const m = check.messages;
  t.same({ sent: m.sent, processed: m.processed, deadLettered: m.deadLettered, queued: m.queued, lost: m.lost, duplicated: m.duplicated }, { sent: 5, processed: 2, deadLettered: 1, queued: 1, lost: 1, duplicated: 1 });
  t.equal(m.processed + m.deadLettered + m.queued + m.lost, m.sent, 'the categories add up');
  t.same(m.lostIds, ['m5'], 'acknowledged but unknown to the queue service: lost');
  t.same(check.duplicates, { count: 1, ids: ['m2'], flaggedRecords: 0, messages: 1 });
  const s = await resolved(yaml(...QUEUED, 'hypotheses:', '  - lostEvents: {}', '  - deadLetters: { max: 1 }', '  - duplicates: { max: 0 }'));
  const v = verdict(s, check);
  t.same(v.results.map((r) => [r.kind, r.holds, r.observed]), [['lostEvents', false, 1], ['deadLetters', true, 1], ['duplicates', false, 1]]);
  t.match(v.results[0]!.detail, /1 of 5 sent messages lost: m5 \(processed 2, dead-lettered 1, still queued 1\)/);
  t.match(formatVerdict(v, check), /messages sent 5, fail 1, unknown 0: processed 2, dead-lettered 1, still queued 1, lost 1, duplicated 1/);
});
