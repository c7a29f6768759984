// Issue: run reports. `zonesim report DATA_DIR` rebuilds the reports from a coordinator's data
// directory, and the HTML report opens offline in a real browser: headless Chromium (Debian's
// `chromium`, which .ci/run installs) driven by playwright-core. Every chart must draw, and the
// page must log no error and ask for nothing over the network.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { REPORT_CHARTS } from '@zonesim/report';
import { writeRunFixture } from '../packages/report/src/test-util/run-fixture.js';
import { runZonesim } from './harness/cli.js';
import { openOfflinePage } from './harness/offline-page.js';

// The functions given to page.evaluate run in the browser. Their DOM types are declared for this
// file only: lib "dom" in the test build would retype Node's timers in every test.
interface PageNode {
  width: number;
  height: number;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
  getBoundingClientRect(): { width: number; height: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface PageChart {
  data: { datasets: Array<{ data: unknown[] }> };
  options: { plugins: { faultBands: { windows: unknown[] } } };
}
declare const document: { querySelectorAll(selector: string): Iterable<PageNode>; getElementById(id: string): PageNode | null };
declare const window: { Chart: { getChart(canvas: PageNode): PageChart | undefined } };

// Kept after the run for a person to look at; .tap/ is git-ignored.
const SCREENSHOT_DIR = fileURLToPath(new URL('../.tap/screenshots/', import.meta.url));

t.test('zonesim report rebuilds the reports; the HTML renders every chart offline in Chromium', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'zonesim-report-html-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const fixture = await writeRunFixture(dataDir);

  const run = await runZonesim(['report', dataDir], 60_000);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^function\s+invocations\s+attempts\s+success\s+errors\s+throttles\s+cold starts\s+p50 ms\s+p99 ms\s+cost$/m, 'the table header');
  for (const fn of ['checkout', 'mailer', 'thumbnail']) t.match(run.stdout, new RegExp(`^${fn}\\s+\\d+\\s+\\d+\\s+\\d+\\.\\d%`, 'm'), `a row for ${fn}`);
  t.match(run.stdout, new RegExp(`^TOTAL\\s+${fixture.records.filter((r) => r.attempt === 1).length}\\s+${fixture.records.length}\\s`, 'm'), 'the totals');
  const htmlFile = join(dataDir, 'report', 'report.html');
  t.match(run.stdout, htmlFile, 'the HTML path is printed');
  const summary = JSON.parse(await readFile(join(dataDir, 'report', 'summary.json'), 'utf8')) as { counts: { attempts: number } };
  t.equal(summary.counts.attempts, fixture.records.length);

  const empty = await mkdtemp(join(tmpdir(), 'zonesim-report-empty-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  const none = await runZonesim(['report', empty]);
  t.equal(none.code, 1, 'exit code 1 without a ledger');
  t.match(none.stderr, /has no ledger/);

  const { page, errors, requests } = await openOfflinePage(t, htmlFile);

  const charts = await page.evaluate(() =>
    [...document.querySelectorAll('figure.chart')].map((fig) => {
      const canvas = fig.querySelector('canvas');
      const svg = fig.querySelector('svg');
      if (!canvas) return { id: fig.getAttribute('data-chart'), width: svg ? svg.getBoundingClientRect().width : 0, height: svg ? svg.getBoundingClientRect().height : 0, painted: svg ? 1 : 0, points: 0 };
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      // Chart.js keeps the chart object on the canvas: count the data points it was given.
      const chart = window.Chart.getChart(canvas);
      const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null && v !== 0 && (typeof v !== 'object' || (v as { y: unknown }).y !== null)).length, 0) : 0;
      return { id: fig.getAttribute('data-chart'), width: canvas.width, height: canvas.height, painted, points };
    }),
  );
  t.same(charts.map((c) => c.id), REPORT_CHARTS.map((c) => c.id), 'every chart is on the page');
  for (const c of charts) {
    t.ok(c.width > 0 && c.height > 0, `${c.id}: canvas ${c.width}x${c.height}`);
    t.ok(c.painted > (c.width * c.height) / 100, `${c.id}: ${c.painted} painted pixels`);
    t.ok(c.points > 0, `${c.id}: ${c.points} data points drawn`);
  }
  const bands = await page.evaluate(() => {
    const canvas = document.getElementById('chart-latency');
    return canvas ? window.Chart.getChart(canvas)?.options.plugins.faultBands.windows.length : undefined;
  });
  t.equal(bands, 2, 'both fault windows are shaded on the latency chart');

  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const shot = join(SCREENSHOT_DIR, 'report-html.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.comment(`screenshot: ${shot}`);
  t.same(errors, [], 'no console errors or page errors');
  t.same(requests, [], 'no network requests');
});
