// Issue 18: a sweep's `study.html` opens offline in a real browser: headless Chromium (Debian's
// `chromium`, which .ci/run installs) driven by playwright-core, on a study made by the real CLI.
// Every chart must draw, a two-axis study must have its heatmaps, and the page must log no error
// and ask for nothing over the network.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readStudy } from '../packages/research/src/study-files.js';
import { studyHtml } from '../packages/research/src/study-html.js';
import { runZonesim } from './harness/cli.js';
import { openOfflinePage } from './harness/offline-page.js';

// The functions given to page.evaluate run in the browser. Their DOM types are declared for this
// file only: lib "dom" in the test build would retype Node's timers in every test.
interface PageNode {
  width: number;
  height: number;
  checked: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface PageChart {
  data: { datasets: Array<{ data: Array<{ x: unknown; y: number | null }> }> };
  options: { scales: { x: { type: string; labels?: string[] } } };
}
declare const document: { querySelectorAll(selector: string): Iterable<PageNode>; body: PageNode };
declare const window: { Chart: { getChart(canvas: PageNode): PageChart | undefined } };

// Kept after the run for a person to look at; .tap/ is git-ignored.
const SCREENSHOT_DIR = fileURLToPath(new URL('../.tap/screenshots/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/research/small-zone-loss.yaml', import.meta.url));

t.test('a 2 x 2 sweep\'s study.html draws every chart and heatmap offline in Chromium', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'zonesim-study-html-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'study');
  const sweep = await runZonesim(['sweep', FIXTURE, '--set', 'cluster.heartbeat=100ms,400ms', '--set', 'cluster.placement=spread,pack', '--seeds', '2', '--jobs', '2', '--quiet', '--out', dir], 180_000);
  t.equal(sweep.code, 0, sweep.stderr);

  const { doc, runs } = await readStudy(dir);
  t.equal(doc.recorded.completed, 8, '4 cells x 2 seeds completed');
  const html = await studyHtml(doc, runs);
  t.equal(await studyHtml(doc, runs), html, 'the same study gives the same page');
  const htmlFile = join(dir, 'study.html');
  // Once `writeStudy` writes the page itself, the sweep's page must be this one.
  if (existsSync(htmlFile)) t.equal(await readFile(htmlFile, 'utf8'), html, 'the sweep wrote the same page');
  else await writeFile(htmlFile, html);
  const metrics = doc.metrics.filter((m) => doc.cells.some((c) => (c.metrics[m.name]?.n ?? 0) > 0)).map((m) => m.name);
  // A cell has a value of a metric when some run of it measured one (`nines` is empty for a run
  // where nothing failed): a chart has a point, a heatmap a coloured cell, per such cell.
  const cellsWith = (metric: string | null): number => doc.cells.filter((c) => metric !== null && (c.metrics[metric]?.n ?? 0) > 0).length;

  const { page, errors, requests } = await openOfflinePage(t, htmlFile);

  const drawn = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((fig) => {
        const canvas = fig.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        // Chart.js keeps the chart object on the canvas: count the points it was given.
        const chart = window.Chart.getChart(canvas);
        const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((p) => p.y !== null).length, 0) : 0;
        return { kind: fig.getAttribute('data-chart'), metric: fig.getAttribute('data-metric'), width: canvas.width, height: canvas.height, painted, points, xType: chart?.options.scales.x.type, xLabels: chart?.options.scales.x.labels };
      }),
    );
  const check = (charts: Awaited<ReturnType<typeof drawn>>, when: string) => {
    t.same(charts.filter((c) => c.kind === 'metric').map((c) => c.metric), metrics, `${when}: a chart per metric with data`);
    t.equal(charts.filter((c) => c.kind === 'ecdf').length, 1, `${when}: one latency ECDF chart for 4 cells`);
    for (const c of charts) {
      const name = `${when}: ${c.kind} ${c.metric ?? ''}`;
      t.ok(c.width > 0 && c.height > 0, `${name}: canvas ${c.width}x${c.height}`);
      t.ok(c.painted > (c.width * c.height) / 100, `${name}: ${c.painted} painted pixels`);
      // Metric charts: a point per cell with a value; the ECDF: a step per pooled latency, in 4 lines.
      t.ok(c.kind === 'metric' ? c.points === cellsWith(c.metric) && c.points > 0 : c.points > 4 * 50, `${name}: ${c.points} points`);
    }
    return charts;
  };
  const first = check(await drawn(), 'heartbeat on x');
  t.equal(first.find((c) => c.kind === 'metric')!.xType, 'linear', 'a duration axis is linear');
  t.equal(first.find((c) => c.kind === 'ecdf')!.xType, 'logarithmic', 'latency on a log axis first');

  const heatmaps = await page.evaluate(() =>
    [...document.querySelectorAll('table.heatmap')].map((table) => [...table.querySelectorAll('td')].filter((td) => /^background:#[0-9a-f]{6}/.test(td.getAttribute('style') ?? '')).length),
  );
  t.same(heatmaps, metrics.map((m) => cellsWith(m)), 'a heatmap per metric, each cell with a value coloured');
  t.ok(metrics.filter((m) => cellsWith(m) === 4).length >= metrics.length - 2, 'nearly every metric has a value in all 4 cells');

  // The other axis on x, and the ECDF on a linear axis: every chart is drawn again.
  await page.selectOption('#x-axis', '1');
  await page.click('#ecdf-log');
  const second = check(await drawn(), 'placement on x');
  t.same(second.find((c) => c.kind === 'metric')!.xLabels, ['spread', 'pack'], 'the category axis');
  t.equal(second.find((c) => c.kind === 'ecdf')!.xType, 'linear');
  await page.selectOption('#x-axis', '0');
  await page.click('#ecdf-log');

  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const shot = join(SCREENSHOT_DIR, 'study-html.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.comment(`screenshot: ${shot}`);
  t.same(errors, [], 'no console errors or page errors');
  t.same(requests, [], 'no network requests');
});
