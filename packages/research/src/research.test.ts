import t from 'tap';
import { parseOverrideAxis } from '@zonesim/scenario';
import { ResearchError } from './errors.js';
import { parseShard, planSweep, shardRuns, sweepSeeds } from './grid.js';
import { summarize } from './statistics.js';
import { runsCsv, studyDocument, type RunRecord, type StudyPlan } from './study-files.js';
import { RUN_METRICS, type RunMetricName } from './run-outcome.js';

const axis = (arg: string) => {
  const a = parseOverrideAxis(arg);
  return { field: arg.slice(0, arg.indexOf('=')), values: a.values };
};

t.test('the plan: every cell times every seed, first axis slowest, shards partition it', async (t) => {
  const plan = planSweep([axis('cluster.heartbeat=100ms,200ms'), axis('cluster.placement=spread,pack,shuffle')], sweepSeeds(7, 3));
  t.equal(plan.cells.length, 6);
  t.equal(plan.runs.length, 18);
  t.same(plan.cells.map((c) => Object.values(c.values).join('/')), ['100ms/spread', '100ms/pack', '100ms/shuffle', '200ms/spread', '200ms/pack', '200ms/shuffle']);
  t.same(plan.runs.slice(0, 4).map((r) => [r.id, r.seed]), [['c01-s01', 7], ['c01-s02', 8], ['c01-s03', 9], ['c02-s01', 7]]);
  const shards = [1, 2, 3, 4].map((i) => shardRuns(plan.runs, { index: i, count: 4 }).map((r) => r.index));
  t.same(shards.flat().sort((a, b) => a - b), plan.runs.map((r) => r.index), 'the shards cover every run once');
  t.same(shards.map((s) => s.length), [5, 5, 4, 4]);
  t.same(sweepSeeds('alpha', 3), ['alpha', 'alpha-2', 'alpha-3'], 'a text seed gets suffixes');
  t.same(planSweep([], [1, 2]).runs.map((r) => r.id), ['c01-s01', 'c01-s02'], 'no axis: one cell');
});

t.test('bad plans and shards are refused with what to change', async (t) => {
  t.throws(() => planSweep([axis('a=1,2'), axis('a=3')], [1]), ResearchError);
  t.throws(() => sweepSeeds(1, 0), /--seeds must be/);
  t.throws(() => parseShard('0/3'), /--shard must be I\/N/);
  t.throws(() => parseShard('2of3'), /--shard must be I\/N/);
  t.same(parseShard('3/3'), { index: 3, count: 3 });
  t.throws(() => parseOverrideAxis('a=1,1'), /given twice/);
  t.same(parseOverrideAxis('x=[1, 2],{a: 3},"p,q"').values.map((v) => v.value), [[1, 2], { a: 3 }, 'p,q'], 'commas inside brackets, braces and quotes do not split');
});

t.test('statistics: mean, sample sd and the Student t interval, by hand', async (t) => {
  // 1, 2, 3, 4: mean 2.5, sd sqrt(5/3); t(0.975, 3) = 3.182446305284263.
  const s = summarize([1, 2, null, 3, 4]);
  t.equal(s.n, 4);
  t.equal(s.mean, 2.5);
  t.ok(Math.abs(s.sd! - Math.sqrt(5 / 3)) < 1e-12);
  const half = (3.182446305284263 * Math.sqrt(5 / 3)) / 2;
  t.ok(Math.abs(s.ci95![0] - (2.5 - half)) < 1e-9 && Math.abs(s.ci95![1] - (2.5 + half)) < 1e-9, `${s.ci95}`);
  t.same(summarize([5]), { n: 1, mean: 5, sd: null, ci95: null, min: 5, max: 5 }, 'one run: no spread, no interval');
  t.same(summarize([null, undefined]), { n: 0, mean: null, sd: null, ci95: null, min: null, max: null });
});

t.test('study files: failed runs count in the cell but not in its statistics; CSV fields quoted', async (t) => {
  const plan: StudyPlan = { scenario: { name: 's', file: 's.yaml' }, mode: 'virtual', timeFactor: 1, seeds: [1, 2], axes: [{ field: 'x', values: ['a,b'] }], hypotheses: ['h'], cells: [{ id: 'c01', values: { x: 'a,b' } }], runs: 2 };
  const metrics = Object.fromEntries(RUN_METRICS.map(([n]) => [n, 1])) as Record<RunMetricName, number | null>;
  const runs: RunRecord[] = [
    { id: 'c01-s01', index: 0, cell: 'c01', seed: 1, status: 'completed', exitCode: 0, metrics: { ...metrics, p50Ms: 10 }, hypotheses: { h: true }, latencyPercentiles: null, outDir: 'runs/c01-s01', replay: '' },
    { id: 'c01-s02', index: 1, cell: 'c01', seed: 2, status: 'error', exitCode: null, error: 'killed', metrics: null, hypotheses: null, latencyPercentiles: null, outDir: 'runs/c01-s02', replay: '' },
  ];
  const doc = studyDocument(plan, runs);
  t.same([doc.cells[0]!.runs, doc.cells[0]!.completed, doc.cells[0]!.errors], [2, 1, 1]);
  t.equal(doc.cells[0]!.metrics['p50Ms']!.mean, 10);
  t.equal(doc.cells[0]!.metrics['holds:h']!.mean, 1);
  const csv = runsCsv(plan, runs).split('\n');
  t.match(csv[1], /^c01-s01,c01,1,"a,b",completed,/);
  t.match(csv[2], /^c01-s02,c01,2,"a,b",error,,,/);
});
