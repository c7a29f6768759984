// Issue 19: shrinking returns a schedule no larger than needed.
import t from 'tap';
import { ddmin, shrinkDocument } from './shrink.js';
import { drawScenario, type ScenarioDocument } from './draw-scenario.js';

t.test('ddmin finds the smallest failing subset (1-minimal) and asks little', async (t) => {
  const items = Array.from({ length: 16 }, (_, i) => i);
  let runs = 0;
  const needs = new Set([3, 11]);
  const found = await ddmin(items, async (subset) => {
    runs++;
    return [...needs].every((n) => subset.includes(n));
  });
  t.same(found.sort((a, b) => a - b), [3, 11], 'exactly the two items the failure needs');
  t.ok(runs < 60, `${runs} runs for 16 items`);
  t.same(await ddmin(items, async (subset) => subset.includes(7)), [7]);
  t.same(await ddmin(items, async () => true), [], 'a failure that needs nothing shrinks to nothing');
  t.same(await ddmin([1, 2, 3], async (s) => s.length >= 1, 1), [1], 'never below the minimum');
});

t.test('shrinkDocument: only the faults and workload the failure needs, unused functions and queues dropped, the load halved', async (t) => {
  let doc: ScenarioDocument | undefined;
  for (let seed = 1; seed < 200 && !doc; seed++) {
    const d = drawScenario(seed);
    if (d.faults.length >= 4 && d.workload.length >= 2 && (d.queues?.length ?? 0) > 0) doc = d;
  }
  t.ok(doc, 'a drawn scenario with faults, several workload entries and a queue');
  const culprit = doc!.faults[2]!.id;
  const keptWorkload = doc!.workload.find((w) => typeof w['function'] === 'string')!;
  const result = await shrinkDocument(doc!, async (d) => d.faults.some((f) => f.id === culprit) && d.workload.includes(keptWorkload));
  t.same(result.doc.faults.map((f) => f.id), [culprit], 'one fault: the one the failure needs');
  t.same(result.doc.workload, [keptWorkload], 'one workload entry');
  t.same(result.doc.functions.map((f) => f.name), [keptWorkload['function']], 'functions nothing invokes are gone');
  t.equal(result.doc.queues, undefined, 'queues nothing sends to are gone');
  t.ok(result.after.durationMs <= result.before.durationMs, 'the load phase is no longer');
  t.equal(result.doc.seed, doc!.seed, 'the seed is kept: the shrunk scenario replays from it');
});
