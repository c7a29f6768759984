// Issue 18, study 5 in a reduced form: keep-alive policies on the Azure sample. A fixed keep-alive
// trades cold starts for idle memory (a short window: many cold starts, a long one: much memory);
// the hybrid-histogram policy (ATC'20) sits below that curve, with about the cold starts of the
// long window and less idle memory than it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runZonesim } from './harness/cli.js';
import { cellMeans } from './harness/study-cells.js';
import { openOfflinePage } from './harness/offline-page.js';

// The function given to page.evaluate runs in the browser; its DOM types are declared for this file
// only (lib "dom" in the test build would retype Node's timers in every test).
declare const document: { getElementById(id: string): unknown };
declare const window: { Chart: { getChart(canvas: unknown): { data: { datasets: Array<{ data: Array<{ x: number; y: number }> }> } } | undefined } };

const STUDY = join(import.meta.dirname, '..', 'sim-scenarios', 'research', 'keep-alive.yaml');

t.test('keep-alive: hybrid-histogram has the cold starts of a long fixed window with less idle memory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-study-keep-alive-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // One axis of three node settings (c01: fixed 10 min, c02: fixed 60 min, c03: hybrid-histogram), 12 virtual hours.
  const r = await runZonesim(
    ['sweep', STUDY, '--set', 'duration=12h', '--set', 'cluster.node={keepAlive: 10m},{keepAlive: 60m},{keepAlivePolicy: hybrid-histogram}', '--jobs', '2', '--quiet', '--out', join(dir, 'study')],
    180_000,
  );
  t.equal(r.code, 0, r.stderr);
  const cells = await readFile(join(dir, 'study', 'cells.csv'), 'utf8');
  const cold = cellMeans(cells, 'coldStarts');
  const idle = cellMeans(cells, 'idleMemoryGbSeconds');
  const prewarms = cellMeans(cells, 'prewarms');
  const [short, long, hybrid] = ['c01', 'c02', 'c03'];
  t.ok(cold.get(short)! > 2 * cold.get(long)!, `fixed: a short window has more cold starts (${cold.get(short)} at 10 min, ${cold.get(long)} at 60 min) ...`);
  t.ok(idle.get(short)! < idle.get(long)!, `... and holds less memory idle (${idle.get(short)} against ${idle.get(long)} GB-s)`);
  t.ok(cold.get(hybrid)! < cold.get(short)! / 2, `hybrid-histogram: ${cold.get(hybrid)} cold starts, far fewer than fixed 10 min`);
  t.ok(cold.get(hybrid)! <= 1.5 * cold.get(long)!, 'about as few as fixed 60 min');
  t.ok(idle.get(hybrid)! < idle.get(long)!, `with less idle memory than fixed 60 min (${idle.get(hybrid)} GB-s)`);
  t.equal(prewarms.get(short), 0, 'a fixed keep-alive never pre-warms');
  t.ok(prewarms.get(hybrid)! > 0, `hybrid-histogram pre-warmed ${prewarms.get(hybrid)} environments`);
  const html = await readFile(join(dir, 'study', 'study.html'), 'utf8');
  const data = JSON.parse(/<script type="application\/json" id="study-data">(.*?)<\/script>/s.exec(html)![1]!) as { tradeoff: unknown };
  t.same(data.tradeoff, { x: 'idleMemoryGbSeconds', y: 'coldStarts' }, 'study.html draws cold starts against idle memory first');

  // The trade-off chart in a browser: a point per cell at its two means, redrawn for another pair.
  const { page, errors, requests } = await openOfflinePage(t, join(dir, 'study', 'study.html'));
  const points = () =>
    page.evaluate(() => {
      const chart = window.Chart.getChart(document.getElementById('tradeoff'))!;
      return chart.data.datasets.flatMap((d) => d.data);
    });
  const drawn = await points();
  t.same(drawn.map((p) => p.y), ['c01', 'c02', 'c03'].map((c) => cold.get(c)), 'y: each cell\'s cold starts');
  t.same(drawn.map((p) => Math.round(p.x)), ['c01', 'c02', 'c03'].map((c) => Math.round(idle.get(c)!)), 'x: its idle memory');
  await page.selectOption('#tradeoff-x', 'prewarms');
  t.same((await points()).map((p) => p.x), ['c01', 'c02', 'c03'].map((c) => prewarms.get(c)), 'another metric on x');
  t.same(errors, [], 'no console errors or page errors');
  t.same(requests, [], 'no network requests');
});
