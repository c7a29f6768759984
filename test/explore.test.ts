// Issue 19: zonesim explore. Every invariant checker catches a deliberately broken build (one safety
// mechanism switched off) within a bounded number of seeds and shrinks the failure; the intact
// build passes the same seed; a written minimal scenario replays byte-identically; every regression
// scenario found so far stays fixed.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { SafetySwitch, type SafetySwitch as Switch } from '@zonesim/common';
import { INVARIANTS, documentForSeed, explore, readBaseScenario, replayScenario, runDocument } from '@zonesim/explore';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGRESSIONS = join(ROOT, 'sim-scenarios', 'regressions');
/** Seeds a broken build is given to be caught in: explore must find each within this many. */
const SEED_BOUND = 40;

function workDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-explore-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Each safety mechanism and the invariant that guards it.
const GUARDS: ReadonlyArray<[Switch, string]> = [
  [SafetySwitch.AcceptedBeforeRun, 'sync-at-most-once'],
  [SafetySwitch.DurableEnqueue, 'async-events-delivered'],
  [SafetySwitch.ReservedConcurrency, 'concurrency-limits'],
  [SafetySwitch.BillEveryAttempt, 'bill-matches-ledger'],
  [SafetySwitch.Rejoin, 'membership-converges'],
  [SafetySwitch.KeepAliveEviction, 'no-leaks'],
  [SafetySwitch.DeleteAfterSuccess, 'queue-messages-kept'],
];

t.test('every invariant but region-serves-again guards a safety switch', async (t) => {
  const guarded = new Set(GUARDS.map(([, i]) => i));
  t.same(INVARIANTS.map((i) => i.name).filter((n) => !guarded.has(n)), ['region-serves-again']);
});

for (const [safety, invariant] of GUARDS) {
  t.test(`${invariant} catches a build without ${safety}, shrinks it, and the intact build passes the seed`, async (t) => {
    const out = workDir(t);
    const report = await explore({ seeds: SEED_BOUND, outDir: out, breakSafety: [safety], invariants: new Set([invariant]) });
    t.equal(report.findings.length, 1, `found within ${SEED_BOUND} seeds (seed ${report.to})`);
    const f = report.findings[0]!;
    t.ok(f.violations.every((v) => v.invariant === invariant));
    t.ok(f.shrink && f.shrink.after.faults <= f.shrink.before.faults && f.shrink.after.workload <= f.shrink.before.workload, 'shrunk, never grown');
    t.ok(f.minimalViolations?.some((v) => v.invariant === invariant), 'the minimal scenario still fails');
    const intact = await runDocument(documentForSeed(f.seed), { workDir: join(out, 'intact'), invariants: new Set([invariant]) });
    t.same(intact.violations, [], `the intact build passes seed ${f.seed}`);
  });
}

t.test('a written minimal scenario replays byte-identically, and passes once the mechanism is back', async (t) => {
  const out = workDir(t);
  const report = await explore({ seeds: SEED_BOUND, outDir: out, breakSafety: [SafetySwitch.AcceptedBeforeRun], invariants: new Set(['sync-at-most-once']) });
  const f = report.findings[0]!;
  t.ok(f.minimalFile && f.minimalDigest);
  const again = await runDocument(await readBaseScenario(f.minimalFile!), { workDir: join(out, 'again'), breakSafety: [SafetySwitch.AcceptedBeforeRun] });
  t.equal(again.digest, f.minimalDigest, 'same history and ledger, byte for byte');
  const fixed = await replayScenario(f.minimalFile!, { workDir: join(out, 'fixed') });
  t.same(fixed.run.violations, [], 'the intact build runs the minimal scenario cleanly');
  t.not(fixed.run.digest, f.minimalDigest, 'and differently: the invocations fail instead of running twice');
});

t.test('drawn scenarios are deterministic per seed and differ across seeds', async (t) => {
  t.same(documentForSeed(42), documentForSeed(42));
  t.not(JSON.stringify(documentForSeed(42)), JSON.stringify(documentForSeed(43)));
  const out = workDir(t);
  const a = await runDocument(documentForSeed(5), { workDir: join(out, 'a') });
  const b = await runDocument(documentForSeed(5), { workDir: join(out, 'b') });
  t.equal(a.digest, b.digest, 'the same seed gives the same digest');
});

t.test('every regression scenario explore found stays fixed', async (t) => {
  const files = readdirSync(REGRESSIONS).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 4, `${files.length} regression scenarios`);
  const out = workDir(t);
  for (const file of files) {
    const r = await replayScenario(join(REGRESSIONS, file), { workDir: join(out, file) });
    t.same(r.run.violations, [], file);
    t.ok(r.run.ops > 0, `${file} sent ${r.run.ops} operations`);
  }
});

t.test('explore FILE: the file\'s region and workload, a fault schedule drawn per seed, judged by the invariants not its hypotheses', async (t) => {
  const base = await readBaseScenario(join(ROOT, 'sim-scenarios', 'queue-failover.yaml'));
  const doc = documentForSeed(2, base);
  t.same(doc.workload, base.workload, 'the workload is the file\'s');
  t.equal(doc['hypotheses'], undefined, 'its hypotheses are about its own faults and are left out');
  t.not(JSON.stringify(doc.faults), JSON.stringify(base.faults), 'the faults are drawn');
  const report = await explore({ seeds: 3, outDir: workDir(t), base });
  t.same(report.findings.map((f) => f.violations), [], 'three seeds of the shipped queue scenario hold every invariant');
});
