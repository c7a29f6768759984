import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml, offlinePageHead, readChartJs, scriptJson, scriptText } from '@zonesim/report';
import { heatmapHtml } from './study-html-heatmap.js';
import { metricHasData, studyPageData, type StudyPageData } from './study-html-data.js';
import type { RunRecord, StudyDocument } from './study-files.js';

/** What `study.html` inlines besides the data: the chart library, the page script and the style sheet. */
export interface StudyHtmlAssets {
  /** Chart.js's UMD build (defines `window.Chart`). */
  chartJs: string;
  /** `assets/study-client.js`: draws the charts from the embedded data. */
  clientJs: string;
  /** `assets/study.css`. */
  css: string;
}

const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/** Reads the page's assets: Chart.js from node_modules (as the run report does) and this package's `assets/`. */
export async function loadStudyHtmlAssets(options: { signal?: AbortSignal } = {}): Promise<StudyHtmlAssets> {
  const read = (file: string) => readFile(file, { encoding: 'utf8', ...(options.signal && { signal: options.signal }) });
  const [chartJs, clientJs, css] = await Promise.all([readChartJs(options), read(join(ASSETS_DIR, 'study-client.js')), read(join(ASSETS_DIR, 'study.css'))]);
  return { chartJs, clientJs, css };
}

/**
 * `study.html`: a study's charts as one page that opens offline (Chart.js, script, style sheet and
 * data inline; a Content-Security-Policy forbids any network access). A pure function of the study
 * document and its runs (in any order): the same study gives the same bytes, so merged shards give
 * the page of the whole sweep (no date, no path of the machine, no random id).
 */
export async function studyHtml(doc: StudyDocument, runs: readonly RunRecord[]): Promise<string> {
  // A sweep rewrites its study after every run: the assets (Chart.js is ~200 kB) are read once.
  assets ??= loadStudyHtmlAssets().catch((err: unknown) => {
    assets = undefined;
    throw err;
  });
  return renderStudyHtml(doc, runs, await assets);
}

let assets: Promise<StudyHtmlAssets> | undefined;

type Cell = string | number;

function table(caption: string, headers: string[], rows: Cell[][]): string {
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(String(c))}</th>` : `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(String(c))}</td>`)).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function figure(kind: 'metric' | 'ecdf', id: string, caption: string, description: string, alt: string, metric?: string): string {
  const data = metric !== undefined ? ` data-metric="${escapeHtml(metric)}"` : '';
  return `<figure class="chart" data-chart="${kind}"${data}><figcaption>${caption}</figcaption>${description ? `<p class="desc">${escapeHtml(description)}</p>` : ''}<div class="canvas-box"><canvas id="${id}" role="img" aria-label="${escapeHtml(alt)}"></canvas></div></figure>`;
}

function metricFigures(data: StudyPageData): string {
  return data.metrics
    .map((m, i) => {
      const caption = `${escapeHtml(m.name)}${m.unit ? ` <span class="unit">(${escapeHtml(m.unit)})</span>` : ''}`;
      return figure('metric', `metric-${i}`, caption, m.description, `Line chart of the mean of ${m.name} per cell with 95 % confidence bands`, m.name);
    })
    .join('\n');
}

function metricChooser(id: string, label: string, data: StudyPageData, selected: string): string {
  const options = data.metrics.map((m) => `<option value="${escapeHtml(m.name)}"${m.name === selected ? ' selected' : ''}>${escapeHtml(m.name)}</option>`).join('');
  return `<select id="${id}" aria-label="${escapeHtml(label)}">${options}</select>`;
}

/** Two metrics against each other (see TradeoffSpec): one chart, its metrics picked on the page. */
function tradeoffSection(data: StudyPageData): string {
  const pair = data.tradeoff;
  if (!pair) return '';
  return `<h2>Trade-off: ${metricChooser('tradeoff-y', 'metric on the y axis of the trade-off chart', data, pair.y)} against ${metricChooser('tradeoff-x', 'metric on the x axis of the trade-off chart', data, pair.x)}</h2>
<p class="note">${escapeHtml(TRADEOFF_NOTE)}</p>
<figure class="pair" data-chart="tradeoff" data-metric="tradeoff"><figcaption id="tradeoff-caption">${escapeHtml(`${pair.y} against ${pair.x}`)}</figcaption><div class="canvas-box tall"><canvas id="tradeoff" role="img" aria-label="Scatter chart of one metric's cell means against another's, with 95 % intervals both ways"></canvas></div></figure>`;
}

const TRADEOFF_NOTE =
  'Each point is a cell: the mean of one metric against the mean of the other over its completed runs, with both 95 % intervals as error bars. The points of a line share the values of every axis but the x axis chosen above, and are joined in that axis\'s order: a swept setting draws the curve along which it trades one metric for the other. A point below and to the left of a curve does better on both.';

function axisChooser(data: StudyPageData): string {
  if (data.axes.length < 2) return `<span id="x-axis-title">${escapeHtml(data.axes[0]?.title ?? '')}</span>`;
  const options = data.axes.map((a, i) => `<option value="${i}"${i === data.defaultAxis ? ' selected' : ''}>${escapeHtml(a.title)}</option>`).join('');
  return `<select id="x-axis" aria-label="x axis of the metric charts">${options}</select>`;
}

const INTERVAL_NOTE =
  'Each point is the mean of a metric over a cell\'s completed runs that measured it (n runs, one per seed). The band and the error bar are the 95 % confidence interval of that mean: mean ± t(0.975, n − 1) · sd / √n, with Student\'s t at n − 1 degrees of freedom and sd the sample standard deviation (n − 1). A point with n < 2 has no interval and stands alone. For 0/1 metrics (passed, holds:…) the mean is the share of seeds, and the t interval is a rough one at few seeds. Bands are clipped at 0 and, for rates and shares, at 1.';

/** The page, from the study and the assets (pure: see {@link studyHtml}). */
export function renderStudyHtml(doc: StudyDocument, runs: readonly RunRecord[], assets: StudyHtmlAssets): string {
  const { plan, recorded } = doc;
  const data = studyPageData(doc, runs);
  const empty = doc.metrics.filter((m) => !metricHasData(doc, m.name)).map((m) => m.name);
  const twoAxes = plan.axes.length === 2;
  const modeText = `${plan.mode} time${plan.timeFactor !== 1 ? `, time factor ${plan.timeFactor}` : ''}`;
  const shape = plan.axes.length > 1 ? ` (${plan.axes.map((a) => a.values.length).join(' × ')})` : '';
  const partial = recorded.runs < plan.runs ? ' This directory holds part of the plan (a shard, or an interrupted sweep).' : '';
  const planRows: Cell[][] = [
    ['Scenario', `${plan.scenario.name} (${plan.scenario.file})`],
    ['Mode', modeText],
    ['Seeds', `${plan.seeds.length}: ${plan.seeds.join(', ')}`],
    ...plan.axes.map((a, i): Cell[] => [`Axis ${i + 1}: ${a.field}`, a.values.join(', ')]),
    ['Cells', `${plan.cells.length}${shape}`],
    ['Runs', `${plan.runs} planned; ${recorded.runs} recorded: ${recorded.completed} completed, ${recorded.errors} error${recorded.errors === 1 ? '' : 's'}`],
  ];
  const cellRows = doc.cells.map((c): Cell[] => [c.id, ...plan.axes.map((a) => c.values[a.field] ?? ''), c.runs, c.completed, c.errors]);
  const heatmaps = twoAxes
    ? `<h2>Heatmaps: ${escapeHtml(plan.axes[0]!.field)} (rows) × ${escapeHtml(plan.axes[1]!.field)} (columns)</h2>
<p class="note">Colour: the cell's mean on a scale from the metric's lowest mean (dark) to its highest (yellow); below the mean, its 95 % interval, or n when there is none.</p>
<section class="heatmaps">
${doc.metrics.filter((m) => metricHasData(doc, m.name)).map((m) => heatmapHtml(doc, m)).join('\n')}
</section>`
    : '';
  const ecdfFigures = data.ecdf
    .map((c, i) => figure('ecdf', `ecdf-${i}`, escapeHtml(`Latency ECDF, ${c.title}`), '', `Empirical CDF of operation latency, one line per cell (${c.title})`))
    .join('\n');
  const ecdf =
    data.ecdf.length > 0
      ? `<p class="controls"><label><input type="checkbox" id="ecdf-log" checked> logarithmic latency axis</label></p>
<p class="note">Latency of every operation after the warm-up, intended send to answer. Each run contributes its 0th to 100th percentiles as 101 equally weighted samples, so every run of a cell weighs the same; a cell's line is the empirical CDF of its runs' pooled samples.</p>
<section class="charts">
${ecdfFigures}
</section>`
      : '<p class="note">No run recorded operation latencies.</p>';
  return `${offlinePageHead(`zonesim study: ${plan.scenario.name}`, assets.css)}
<header>
<h1>zonesim study: ${escapeHtml(plan.scenario.name)}</h1>
<p class="sub">${escapeHtml(`${plan.cells.length} cells × ${plan.seeds.length} seeds, ${modeText}. ${recorded.runs} of ${plan.runs} runs recorded, ${recorded.completed} completed, ${recorded.errors} error${recorded.errors === 1 ? '' : 's'}.${partial}`)}</p>
</header>
<main>
${table('The plan', ['', ''], planRows)}
<h2>Metrics against ${axisChooser(data)}</h2>
<p class="note">${escapeHtml(INTERVAL_NOTE)} One line per combination of the other axes' values.</p>
<section class="charts">
${metricFigures(data)}
</section>
${empty.length > 0 ? `<p class="note">No run measured: ${escapeHtml(empty.join(', '))}.</p>` : ''}
${tradeoffSection(data)}
${heatmaps}
<h2>Latency distribution per cell</h2>
${ecdf}
<h2>Cells</h2>
${table('Cells in plan order (n: completed runs; a metric\'s own n can be smaller, as cells.csv says)', ['cell', ...plan.axes.map((a) => a.field), 'runs', 'n', 'errors'], cellRows)}
</main>
<footer><p class="note">Written by <code>zonesim sweep</code> from study.json and runs.ndjson beside this page; the numbers are in cells.csv (per cell and metric: n, mean, sd, ci95_low, ci95_high, min, max) and runs.csv (per run). To write this page and the other study files again from a study's directory: <code>zonesim sweep merge DIR --out NEW_DIR</code> (DIR: this page's directory, or every shard's directory of a sharded sweep).</p></footer>
<script type="application/json" id="study-data">${scriptJson(data)}</script>
<script>${scriptText(assets.chartJs)}</script>
<script>${scriptText(assets.clientJs)}</script>
</body>
</html>
`;
}
