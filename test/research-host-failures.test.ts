// Issue 18, stochastic failures over long horizons, in a reduced form: the host-failures study
// (hosts hang and zones lose power at random, from published failure models) for 3 virtual hours
// instead of 48, at both heartbeat settings. Hosts fail and come back, every accepted event is
// delivered, the region stays available, and a 200 ms heartbeat notices a hung host sooner than a
// 1 s one.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';
import { cellMeans } from './harness/study-cells.js';

const STUDY = join(import.meta.dirname, '..', 'sim-scenarios', 'research', 'host-failures.yaml');

t.test('host failures over hours: survived, nothing lost, and a shorter heartbeat detects hangs sooner', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-host-failures-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(['sweep', STUDY, '--set', 'duration=3h', '--set', 'cluster.heartbeat=200ms,1s', '--jobs', '2', '--quiet', '--out', join(dir, 'study')], 240_000);
  t.equal(r.code, 0, r.stderr);
  const cells = await readFile(join(dir, 'study', 'cells.csv'), 'utf8');
  const [fast, slow] = ['c01', 'c02'];
  const incidents = cellMeans(cells, 'incidents');
  t.ok(incidents.get(fast)! >= 2 && incidents.get(slow)! >= 2, `hosts failed at random: ${incidents.get(fast)} and ${incidents.get(slow)} incidents in 3 hours`);
  const lost = cellMeans(cells, 'eventsLost');
  t.equal(lost.get(fast), 0, 'no accepted event lost (200 ms)');
  t.equal(lost.get(slow), 0, 'no accepted event lost (1 s)');
  const success = cellMeans(cells, 'successRate');
  t.ok(success.get(fast)! >= 0.99 && success.get(slow)! >= 0.99, `the region stayed available: ${success.get(fast)}, ${success.get(slow)}`);
  const detection = cellMeans(cells, 'detectionMs');
  t.ok(detection.get(fast)! < detection.get(slow)!, `a hung host is noticed sooner with a 200 ms heartbeat: ${detection.get(fast)} ms against ${detection.get(slow)} ms`);
});
