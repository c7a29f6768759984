// Issue 18: the shipped studies run in a reduced form and their qualitative result holds.
// Metastable failure: after a zone loss under callers that time out and retry, the region does not
// recover once the zone is back; with a retry budget it does.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';
import { cellMeans } from './harness/study-cells.js';

const STUDIES = join(import.meta.dirname, '..', 'sim-scenarios', 'research');


t.test('metastable retry storm: no recovery without a retry budget, recovery with one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-metastable-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(['sweep', join(STUDIES, 'metastable-retry-storm.yaml'), '--set', 'workload[0].client.budget.ratio=10,0.1', '--jobs', '2', '--quiet', '--out', join(dir, 'study')], 180_000);
  t.equal(r.code, 0, r.stderr);
  const cells = await readFile(join(dir, 'study', 'cells.csv'), 'utf8');
  const after = cellMeans(cells, 'afterSuccessRate');
  const calls = cellMeans(cells, 'callsPerOperation');
  t.ok(after.get('c01')! < 0.5, `no budget: ${after.get('c01')} of the calls after the zone is back succeed (the failure outlived its trigger)`);
  t.ok(after.get('c02')! > 0.9, `a 10 % retry budget: ${after.get('c02')} succeed after (recovered)`);
  t.ok(calls.get('c01')! > 1.5 * calls.get('c02')!, `retries amplified the load: ${calls.get('c01')} calls per operation against ${calls.get('c02')}`);
});

t.test('stochastic failures: hosts fail and return at random, and the same seed replays them exactly', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-stochastic-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(import.meta.dirname, 'fixtures', 'research', 'stochastic-failures.yaml');
  const r = await runZonesim(['run', file, '--check-determinism', '--quiet', '--out', join(dir, 'a')], 120_000);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /identical: deterministic/);
  const records = (await readFile(join(dir, 'a', 'faults.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; endAt?: number });
  const failures = new Set(records.map((f) => f.id));
  t.ok(failures.size >= 6, `${failures.size} failures of 6 nodes in a minute at a 20 s mean up time`);
  t.ok([...failures].every((id) => /^hosts\/az-[abc]-node-[12]\/\d+$/.test(id)), 'named by process, node and count');
  t.ok(records.some((f) => f.endAt !== undefined), 'and the hosts came back');
  const again = await runZonesim(['run', file, '--seed', '22', '--quiet', '--out', join(dir, 'b')], 120_000);
  t.equal(again.code, 0, again.stderr);
  t.not(await readFile(join(dir, 'b', 'faults.ndjson'), 'utf8'), await readFile(join(dir, 'a', 'faults.ndjson'), 'utf8'), 'another seed, other failures');
});

t.test('blast radius: one gray node touches fewer functions under shuffle-shard than under spread', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-blast-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(['sweep', join(STUDIES, 'blast-radius.yaml'), '--set', 'cluster.placement=spread,shuffle-shard', '--seeds', '2', '--jobs', '2', '--quiet', '--out', join(dir, 'study')], 180_000);
  t.equal(r.code, 0, r.stderr);
  const radius = cellMeans(await readFile(join(dir, 'study', 'cells.csv'), 'utf8'), 'blastRadius');
  t.ok(radius.get('c02')! < radius.get('c01')!, `functions touched per incident: ${radius.get('c01')} with spread, ${radius.get('c02')} with shuffle-shard`);
  t.ok(radius.get('c02')! <= 4, 'about the 2/12 of 24 functions whose shard holds the bad node, or fewer');
  const tenants = cellMeans(await readFile(join(dir, 'study', 'cells.csv'), 'utf8'), 'blastRadiusTenants');
  // A tenant is touched when any of its 3 functions is: never more tenants than functions, and
  // more of the 8 with spread (where the functions touched are any of the 24) than with shuffle-shard.
  t.ok(tenants.get('c01')! <= radius.get('c01')! && tenants.get('c02')! <= radius.get('c02')!, 'at most one tenant per function touched');
  t.ok(tenants.get('c02')! < tenants.get('c01')!, `tenants touched per incident: ${tenants.get('c01')} of 8 with spread, ${tenants.get('c02')} with shuffle-shard`);
});
