import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkRun } from './check-run.js';
import { formatVerdict } from './format-verdict.js';
import { evaluateHypotheses, verdict } from './hypotheses.js';
import { loadScenarioOrThrow } from './load-scenario.js';
import { FIXTURES } from './test-util/fixtures.js';

const RUN = join(FIXTURES, 'runs/mixed');
const T0 = 1767225600000;
const scenario = () => loadScenarioOrThrow(join(FIXTURES, 'scenarios/mixed-run.yaml'));

async function copyRun(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-check-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(RUN, dir, { recursive: true });
  return dir;
}

t.test('every operation is counted', async (t) => {
  const check = await checkRun(RUN, { scenario: await scenario() });
  t.equal(check.t0, T0);
  t.equal(check.ops.total, 28);
  t.same(check.ops.sync, { ok: 17, fail: 2, unknown: 1, functionErrors: 1, throttles: 1 });
  t.same(check.ops.async, { ok: 7, fail: 1, unknown: 0, functionErrors: 0, throttles: 0 });
  t.same(check.anomalies, []);
  t.same(check.ledger, { present: true, records: 10, truncatedLines: 0, unmatchedEventRecords: 0 });
});

t.test('every accepted event is delivered, dead-lettered, pending or lost; lost ones are named', async (t) => {
  const { events, duplicates } = await checkRun(RUN);
  t.same(
    { accepted: events.accepted, delivered: events.delivered, deliveredWithError: events.deliveredWithError, deadLettered: events.deadLettered, pending: events.pending, lost: events.lost },
    { accepted: 7, delivered: 2, deliveredWithError: 1, deadLettered: 1, pending: 1, lost: 2 },
  );
  t.equal(events.delivered + events.deliveredWithError + events.deadLettered + events.pending + events.lost, events.accepted, 'the categories add up');
  t.same(events.lostIds.sort(), ['e5', 'e7'], 'e5: its only attempt was lost with the zone; e7: no trace at all');
  t.same(events.deadLetterIds, ['e3']);
  t.same(events.pendingIds, ['e4']);
  t.same(duplicates, { count: 1, ids: ['e2'], flaggedRecords: 1, messages: 0 }, 'e2 succeeded twice');
});

t.test('windows, fault windows and detection times', async (t) => {
  const check = await checkRun(RUN, { scenario: await scenario() });
  t.match(check.windows['steady'], { ops: 18, ok: 18, successRate: 1 }, 'outside [10 s, 20.8 s)');
  t.match(check.windows['faults'], { ops: 9, ok: 5, fail: 3, unknown: 1, throttles: 1, functionErrors: 1 });
  t.match(check.windows['all'], { ops: 28, latency: { max: 3000 } });
  t.equal(check.windows['all']!.ops, check.ops.total);
  t.equal(check.faults.length, 1, 'the apply and heal lines of kill-b are merged');
  t.match(check.faults[0], { id: 'kill-b', startAt: T0 + 10_000, endAt: T0 + 20_000, stats: { ops: 9 } });
  t.same(check.detection, [{ faultId: 'kill-b', action: 'kill', zone: 'az-b', startAt: T0 + 10_000, detectedAt: T0 + 10_800, detectionMs: 800 }]);
  t.same(Object.keys(check.byFunction), ['echo', 'work']);
  t.equal(check.byFunction['echo']!.ops, 20);
});

t.test('a zone already down when its fault began: detection not measured, and said so', async (t) => {
  const dir = await copyRun(t);
  // A false suspicion 2 s before the kill (the node had not come back when the kill came).
  await writeFile(join(dir, 'zones.ndjson'), [
    { t: T0 + 7_000, zone: 'az-b', health: 'down' },
    { t: T0 + 20_500, zone: 'az-b', health: 'healthy' },
  ].map((z) => JSON.stringify(z)).join('\n') + '\n');
  const s = await scenario();
  const check = await checkRun(dir, { scenario: s });
  t.same(check.detection, [{ faultId: 'kill-b', action: 'kill', zone: 'az-b', startAt: T0 + 10_000, alreadyDownAt: T0 + 7_000 }]);
  const detected = evaluateHypotheses(s, check).find((r) => r.id === 'detected')!;
  t.equal(detected.holds, false, 'an unmeasured detection is not a pass');
  t.match(detected.detail, /az-b was already down when kill-b began \(marked down 3s before it\), so its detection could not be measured/);
  t.match(formatVerdict(verdict(s, check), check), /detection kill-b az-b: not measured: already down when the fault began/);
});

t.test('a fault healed before the detector noticed is undetected, not credited with a later fault\'s down mark', async (t) => {
  const dir = await copyRun(t);
  // kill-b as before (10 s to 20 s), then a second fault on az-b at 40 s, detected at 40.8 s; no down
  // mark during kill-b or within the detector's bound after its heal.
  await writeFile(join(dir, 'faults.ndjson'), [
    { id: 'kill-b', action: 'kill', target: { zones: ['az-b'], nodeIds: ['az-b-node-1'] }, startAt: T0 + 10_000, endAt: T0 + 20_000 },
    { id: 'kill-b2', action: 'kill', target: { zones: ['az-b'], nodeIds: ['az-b-node-1'] }, startAt: T0 + 40_000, endAt: T0 + 45_000 },
  ].map((f) => JSON.stringify(f)).join('\n') + '\n');
  await writeFile(join(dir, 'zones.ndjson'), [
    { t: T0 + 40_800, zone: 'az-b', health: 'down' },
    { t: T0 + 45_500, zone: 'az-b', health: 'healthy' },
  ].map((z) => JSON.stringify(z)).join('\n') + '\n');
  const check = await checkRun(dir, { scenario: await scenario() });
  t.same(check.detection.map((d) => [d.faultId, d.detectionMs]), [['kill-b', undefined], ['kill-b2', 800]]);
});

t.test('hypotheses hold or fail as the run says', async (t) => {
  const s = await scenario();
  const check = await checkRun(RUN, { scenario: s });
  const results = Object.fromEntries(evaluateHypotheses(s, check).map((r) => [r.id, r]));
  const holds = Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.holds]));
  t.same(holds, {
    'steady-ok': true,
    'faults-ok': false,
    'steady-fast': true,
    'all-fast': false,
    'nothing-lost': false,
    detected: true,
    'no-dups': false,
    'few-throttles': true,
    'no-dlq': false,
    clean: false,
    lenient: true,
  });
  t.equal(results['faults-ok']!.observed, 5 / 9);
  t.equal(results['steady-fast']!.observed, 27);
  t.equal(results['all-fast']!.observed, 3000, 'the client timeout is in the latency: stalls are not hidden');
  t.equal(results['nothing-lost']!.observed, 2);
  t.match(results['nothing-lost']!.detail, /2 of 7 accepted events lost: e(5|7), e(5|7)/);
  t.equal(results['detected']!.observed, 800);
  t.equal(results['clean']!.observed, 16 / 20);
  t.equal(results['lenient']!.observed, 17 / 20);

  const v = verdict(s, check);
  t.equal(v.status, 'fail');
  const table = formatVerdict(v, check);
  t.match(table, /^mixed \(seed 1\): FAIL\n/);
  t.match(table, /\n {2}FAIL {2}nothing-lost +lostEvents +<= 0 +2 +2 of 7 accepted events lost/);
  t.match(table, /\n {2}PASS {2}detected +detection +<= 1s +800ms/);
  t.match(table, /events 7: delivered 2, with function error 1, dead-lettered 1, pending 1, lost 2/);
  t.notMatch(table, /\u001b\[/, 'no colour unless asked');
  t.match(formatVerdict(v, check, { color: true }), /\u001b\[31m/);
});

t.test('a clean run passes; a stopped run is not a pass', async (t) => {
  const s = await scenario();
  const check = await checkRun(RUN, { scenario: s });
  const only = { ...s, hypotheses: s.hypotheses.filter((h) => ['steady-ok', 'detected', 'few-throttles'].includes(h.id)) };
  t.equal(verdict(only, check).status, 'pass');
  const stopped = verdict(only, { ...check, run: { ...check.run!, stopped: { by: 'errorRate', at: T0 + 15_000, reason: 'error rate 60% over the last 10s' } } });
  t.equal(stopped.status, 'stopped');
  t.match(formatVerdict(stopped), /STOPPED\n {2}stopped by errorRate: error rate 60%/);
});

t.test('missing files are reported, and an unverifiable event is never a pass', async (t) => {
  const dir = await copyRun(t);
  await rm(join(dir, 'ledger'), { recursive: true });
  await rm(join(dir, 'run.json'));
  const s = await scenario();
  const check = await checkRun(dir, { scenario: s });
  t.equal(check.t0, T0 + 500, 'without run.json, t0 is the earliest intended send');
  t.equal(check.events.lost, 0, 'without a ledger nothing is called lost...');
  const lost = evaluateHypotheses(s, check).find((r) => r.id === 'nothing-lost')!;
  t.equal(lost.holds, false, '...but nothing is proven delivered either');
  t.match(lost.detail, /no ledger/);
  t.match(check.anomalies.join('\n'), /run\.json is missing[\s\S]*ledger\/ is missing/);
});

t.test('a bad history line names the file, line and field; a cut last line is skipped', async (t) => {
  const dir = await copyRun(t);
  const good = '{"seq":0,"workload":0,"function":"echo","invocation":"sync","intendedAt":1,"sentAt":1,"endedAt":2,"status":200,"result":"ok"}';
  await writeFile(join(dir, 'history.ndjson'), `${good}\n${good.replace('"ok"', '"maybe"')}\n`);
  await t.rejects(checkRun(dir), { code: 'SCENARIO_RUN_FILE', line: 2, field: '/result', message: /history\.ndjson:2: \/result: / });
  await writeFile(join(dir, 'history.ndjson'), `${good}\n${good.slice(0, 30)}`);
  const check = await checkRun(dir);
  t.equal(check.ops.total, 1);
  t.same(check.reads.history, { records: 1, truncatedLines: 1 });
});
