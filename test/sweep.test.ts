// Issue 18: `zonesim sweep`. A 2 x 2 grid with 3 seeds gives 12 runs, and cells whose means and
// 95 % intervals match a hand computation from the runs; the same sweep as 3 shards, merged, is the
// same bytes; a bad --set path is refused naming the field before anything runs; `zonesim run --set`
// records its overrides and `zonesim check` judges the run with them.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';

const SCENARIO = join(import.meta.dirname, 'fixtures', 'research', 'small-zone-loss.yaml');
const GRID = ['--set', 'cluster.heartbeat=100ms,400ms', '--set', 'cluster.placement=spread,pack', '--seeds', '3', '--jobs', '2', '--quiet'];
/** Student's t, 0.975 quantile, 2 degrees of freedom (tables: 4.303). */
const T_975_DF2 = 4.302652729749462;

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...rows] = text.trim().split('\n');
  const names = head!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i]!, v])));
}

t.test('a 2 x 2 grid with 3 seeds: 12 runs, per-cell means and intervals, shards merged byte for byte', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-sweep-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const whole = await runZonesim(['sweep', SCENARIO, ...GRID, '--out', join(dir, 'whole')], 180_000);
  t.equal(whole.code, 0, whole.stderr);

  const runs = parseCsv(await readFile(join(dir, 'whole', 'runs.csv'), 'utf8'));
  t.equal(runs.length, 12, '2 x 2 cells x 3 seeds');
  t.same(runs.map((r) => r['run']), ['c1', 'c2', 'c3', 'c4'].flatMap((c) => [1, 2, 3].map((s) => `${c.replace('c', 'c0')}-s0${s}`)), 'in plan order');
  t.same([...new Set(runs.map((r) => `${r['cluster.heartbeat']}/${r['cluster.placement']}`))], ['100ms/spread', '100ms/pack', '400ms/spread', '400ms/pack'], 'the first axis varies slowest');
  t.same(runs.slice(0, 3).map((r) => Number(r['seed'])), [3, 4, 5], 'seeds from the scenario\'s own (3), then the next');
  t.ok(runs.every((r) => r['status'] === 'completed'), 'every run completed');
  t.ok(runs.every((r) => Number(r['operations']) > 100), 'each run measured its load');
  t.equal((await readdir(join(dir, 'whole', 'runs'))).length, 12, 'each run kept its results directory');

  // Hand computation of one cell's statistics from the runs.
  const cells = parseCsv(await readFile(join(dir, 'whole', 'cells.csv'), 'utf8'));
  for (const metric of ['p50Ms', 'attempts', 'costUsd']) {
    for (const cell of ['c01', 'c04']) {
      const xs = runs.filter((r) => r['cell'] === cell).map((r) => Number(r[metric]));
      const mean = (xs[0]! + xs[1]! + xs[2]!) / 3;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
      const half = (T_975_DF2 * sd) / Math.sqrt(3);
      const row = cells.find((c) => c['cell'] === cell && c['metric'] === metric)!;
      t.equal(Number(row['n']), 3, `${cell} ${metric}: n`);
      const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      t.ok(close(Number(row['mean']), mean), `${cell} ${metric}: mean ${row['mean']} = ${mean}`);
      t.ok(close(Number(row['sd']), sd), `${cell} ${metric}: sd ${row['sd']} = ${sd}`);
      t.ok(close(Number(row['ci95_low']), mean - half) && close(Number(row['ci95_high']), mean + half), `${cell} ${metric}: 95 % interval [${row['ci95_low']}, ${row['ci95_high']}]`);
    }
  }
  const study = JSON.parse(await readFile(join(dir, 'whole', 'study.json'), 'utf8')) as { plan: { runs: number; hypotheses: string[] }; cells: Array<{ id: string; completed: number }> };
  t.equal(study.plan.runs, 12);
  t.same(study.plan.hypotheses, ['steady-success', 'detected']);
  t.same(study.cells.map((c) => c.completed), [3, 3, 3, 3]);
  t.ok(cells.some((c) => c['metric'] === 'holds:detected'), 'each hypothesis is a metric too');

  // The same sweep in 3 shards (as 3 machines would run it), then merged.
  for (const i of [1, 2, 3]) {
    const shard = await runZonesim(['sweep', SCENARIO, ...GRID, '--shard', `${i}/3`, '--out', join(dir, `shard-${i}`)], 180_000);
    t.equal(shard.code, 0, shard.stderr);
  }
  t.equal(parseCsv(await readFile(join(dir, 'shard-2', 'runs.csv'), 'utf8')).length, 4, 'a third of the runs in each shard');
  const merged = await runZonesim(['sweep', 'merge', join(dir, 'shard-1'), join(dir, 'shard-2'), join(dir, 'shard-3'), '--out', join(dir, 'merged')]);
  t.equal(merged.code, 0, merged.stderr);
  for (const file of ['study.json', 'runs.csv', 'cells.csv', 'runs.ndjson', 'study.html']) {
    t.equal(await readFile(join(dir, 'merged', file), 'utf8'), await readFile(join(dir, 'whole', file), 'utf8'), `${file}: merged shards = the whole sweep, byte for byte`);
  }
  const incomplete = await runZonesim(['sweep', 'merge', join(dir, 'shard-1'), join(dir, 'shard-3'), '--out', join(dir, 'partial')]);
  t.equal(incomplete.code, 2, 'a missing shard is refused');
  t.match(incomplete.stderr, /4 of the plan's 12 runs are in none/);
  const twice = await runZonesim(['sweep', 'merge', join(dir, 'shard-1'), join(dir, 'shard-1'), join(dir, 'shard-2'), '--out', join(dir, 'twice')]);
  t.equal(twice.code, 2, 'a shard given twice is refused');
});

t.test('a bad --set is refused naming the field, before anything runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-sweep-bad-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const typo = await runZonesim(['sweep', SCENARIO, '--set', 'cluster.heartbeet=100ms,200ms', '--out', join(dir, 'a')]);
  t.equal(typo.code, 2);
  t.match(typo.stderr, /--set cluster\.heartbeet=100ms: cluster\.heartbeet: unknown field "heartbeet" \(did you mean "heartbeat"\?\)/);
  t.match(typo.stderr, /nothing was run/);
  t.notOk(await readdir(join(dir, 'a')).catch(() => undefined), 'no study directory was made');

  const badValue = await runZonesim(['sweep', SCENARIO, '--set', 'cluster.heartbeat=100ms,fast', '--out', join(dir, 'b')]);
  t.equal(badValue.code, 2, 'a value the field does not take, in any cell');
  t.match(badValue.stderr, /--set cluster\.heartbeat=fast: cluster\.heartbeat: "fast" is not a duration/);

  const pastEnd = await runZonesim(['sweep', SCENARIO, '--set', 'functions[3].memory=512', '--out', join(dir, 'c')]);
  t.equal(pastEnd.code, 2);
  t.match(pastEnd.stderr, /functions\[3\]: functions has 1 item/);

  const syntax = await runZonesim(['sweep', SCENARIO, '--set', 'cluster.heartbeat', '--out', join(dir, 'd')]);
  t.equal(syntax.code, 2);
  t.match(syntax.stderr, /--set cluster\.heartbeat: expected FIELD=VALUE/);

  const shard = await runZonesim(['sweep', SCENARIO, '--shard', '4/3', '--out', join(dir, 'e')]);
  t.equal(shard.code, 2);
  t.match(shard.stderr, /--shard must be I\/N/);
});

t.test('zonesim run --set: recorded in run.json, and zonesim check judges the run with it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-run-set-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // A detection bound no failover can meet: the hypothesis fails because of the override alone.
  const run = await runZonesim(['run', SCENARIO, '--set', 'hypotheses[1].detection.max=1ms', '--out', join(dir, 'run'), '--quiet']);
  t.equal(run.code, 1, 'the overridden hypothesis fails the run');
  const info = JSON.parse(await readFile(join(dir, 'run', 'run.json'), 'utf8')) as { overrides?: string[] };
  t.same(info.overrides, ['hypotheses[1].detection.max=1ms']);
  const check = await runZonesim(['check', join(dir, 'run'), '--json']);
  t.equal(check.code, 1, 'check applies the run\'s overrides again');
  const verdict = JSON.parse(check.stdout) as { verdict: { results: Array<{ id: string; holds: boolean }> } };
  t.same(verdict.verdict.results.map((r) => [r.id, r.holds]), [['steady-success', true], ['detected', false]]);
});
