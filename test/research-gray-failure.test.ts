// Issue 18, study 3 in a reduced form: a node that fails every invocation it accepts while its
// heartbeats look healthy is never detected by the heartbeat detector; the work-aware detector
// (outlier ejection) takes it out of placement, and callers see fewer failures.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';
import { cellMeans } from './harness/study-cells.js';

const STUDY = join(import.meta.dirname, '..', 'sim-scenarios', 'research', 'gray-failure-detection.yaml');


t.test('gray failure: heartbeats never see the sick node, the work-aware detector ejects it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-gray-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runZonesim(
    ['sweep', STUDY, '--set', 'cluster.detector=heartbeat,work-aware', '--set', 'faults[0].failRate=1', '--seeds', '2', '--jobs', '2', '--quiet', '--out', join(dir, 'study')],
    180_000,
  );
  t.equal(r.code, 0, r.stderr);
  const cells = await readFile(join(dir, 'study', 'cells.csv'), 'utf8');
  const undetected = cellMeans(cells, 'undetected');
  const gap = cellMeans(cells, 'detectionGapMs');
  const failed = cellMeans(cells, 'failed');
  t.equal(undetected.get('c01'), 1, 'heartbeat: the sick node is never taken out of placement');
  t.equal(gap.get('c01'), 40_000, 'so the gap is the whole 40 s window');
  t.equal(undetected.get('c02'), 0, 'work-aware: ejected in every seed');
  t.ok(gap.get('c02')! < 20_000, `within ${gap.get('c02')} ms on average`);
  t.ok(failed.get('c02')! < failed.get('c01')!, `callers saw ${failed.get('c02')} failures against ${failed.get('c01')}`);
});
