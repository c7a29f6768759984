// Issue 18, study 2 in a reduced form: a zone loss forces new environments in the surviving zones,
// which the scaling rate caps (429s) and INIT delays; static-stability headroom keeps them warm
// already, so the zone loss costs (almost) nothing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';
import { cellMeans } from './harness/study-cells.js';

const STUDY = join(import.meta.dirname, '..', 'sim-scenarios', 'research', 'cold-start-storm-failover.yaml');


t.test('cold-start storm after failover: throttled without headroom, served with it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-headroom-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(['sweep', STUDY, '--set', 'cluster.headroom=0,0.5', '--jobs', '2', '--quiet', '--out', join(dir, 'study')], 240_000);
  t.equal(r.code, 0, r.stderr);
  const cells = await readFile(join(dir, 'study', 'cells.csv'), 'utf8');
  const during = cellMeans(cells, 'faultSuccessRate');
  const affected = cellMeans(cells, 'affectedPerIncident');
  t.ok(during.get('c01')! < 0.99, `no headroom: ${during.get('c01')} of the calls succeed while the zone is down (429s and INIT)`);
  t.ok(during.get('c02')! > during.get('c01')!, `headroom 0.5: ${during.get('c02')}`);
  t.ok(affected.get('c02')! < affected.get('c01')! / 4, `requests failed by the zone loss: ${affected.get('c02')} against ${affected.get('c01')}`);
});
