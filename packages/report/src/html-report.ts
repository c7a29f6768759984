import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LatencyPhase, type BillingTotals, type CostBreakdown, type LatencySummary } from '@zonesim/ledger';
import type { ChartSeries } from './downsample.js';
import type { RunSummary } from './summary.js';
import { escapeHtml, offlinePageHead, readChartJs, scriptJson } from './offline-page.js';
import { formatDuration, formatMs, formatPercent, formatTime, formatUsd } from './table.js';

/** What the HTML page inlines besides the data: the chart library, the page script and the style sheet. */
export interface HtmlAssets {
  /** Chart.js's UMD build (defines `window.Chart`). */
  chartJs: string;
  /** `assets/report-client.js`: draws the charts from the embedded data. */
  clientJs: string;
  /** `assets/report.css`. */
  css: string;
}

/** The data the page script reads from `<script id="report-data" type="application/json">`. */
export interface ReportPageData {
  run: { start: number | null; end: number | null };
  series: ChartSeries;
  /** Fault windows to shade; `to` is the run's end for a window still active then. Epoch ms. */
  faults: Array<{ id: string; label: string; from: number; to: number }>;
  billing: {
    components: Omit<CostBreakdown, 'total'>;
    byFunction: Array<{ name: string; usd: CostBreakdown }>;
    byZone: Array<{ name: string; usd: CostBreakdown }>;
  };
}

/** Functions or zones drawn apart in the billing bar charts; the rest are summed into one bar. */
const MAX_BILLING_BARS = 15;

const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/**
 * Reads the page's assets: Chart.js from node_modules (resolved like an import, so the installed
 * version is used; the UMD build is not in its `exports` map, so it is found beside the main file)
 * and this package's `assets/`.
 */
export async function loadHtmlAssets(options: { signal?: AbortSignal } = {}): Promise<HtmlAssets> {
  const read = (file: string) => readFile(file, { encoding: 'utf8', ...(options.signal && { signal: options.signal }) });
  const [chartJs, clientJs, css] = await Promise.all([
    readChartJs(options),
    read(join(ASSETS_DIR, 'report-client.js')),
    read(join(ASSETS_DIR, 'report.css')),
  ]);
  return { chartJs, clientJs, css };
}


// Inline script text: "</script" inside a library would end the element early.
function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

type Cell = string | number;

function table(caption: string, headers: string[], rows: Cell[][], note?: string): string {
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(String(c))}</th>` : `<td${typeof c === 'number' || /^[$\d.,%-]+( ms)?$/.test(String(c)) ? ' class="num"' : ''}>${escapeHtml(String(c))}</td>`)).join('')}</tr>`)
    .join('\n');
  const empty = rows.length === 0 ? `<tr><td colspan="${headers.length}" class="empty">none</td></tr>` : '';
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}${empty}</tbody></table></div>${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}`;
}

function capped<T>(items: T[], max: number, what: string): { items: T[]; note: string | undefined } {
  if (items.length <= max) return { items, note: undefined };
  return { items: items.slice(0, max), note: `Showing ${max} of ${items.length} ${what}; summary.json has them all.` };
}

const latencyCells = (s: LatencySummary | undefined): Cell[] =>
  s ? [s.count, formatMs(s.p50), formatMs(s.p90), formatMs(s.p99), formatMs(s.p999), formatMs(s.max)] : [0, '-', '-', '-', '-', '-'];

const billingCells = (b: BillingTotals): Cell[] => [
  b.attempts,
  b.requests,
  Number(b.gbSeconds.toFixed(3)),
  formatUsd(b.usd.requests),
  formatUsd(b.usd.duration),
  formatUsd(b.usd.provisionedDuration),
  formatUsd(b.usd.provisionedConcurrency),
  formatUsd(b.usd.ephemeralStorage),
  formatUsd(b.usd.total),
];
const BILLING_HEADERS = ['attempts', 'requests', 'GB-s', 'requests', 'duration', 'PC duration', 'PC allocation', 'ephemeral', 'total'];

function topBars(entries: Record<string, BillingTotals>, otherLabel: string): Array<{ name: string; usd: CostBreakdown }> {
  const sorted = Object.entries(entries).sort((a, b) => b[1].usd.total - a[1].usd.total);
  const bars = sorted.slice(0, MAX_BILLING_BARS).map(([name, t]) => ({ name, usd: t.usd }));
  const rest = sorted.slice(MAX_BILLING_BARS);
  if (rest.length > 0) {
    const usd: CostBreakdown = { requests: 0, duration: 0, provisionedDuration: 0, provisionedConcurrency: 0, ephemeralStorage: 0, total: 0 };
    for (const [, t] of rest) for (const k of Object.keys(usd) as Array<keyof CostBreakdown>) usd[k] += t.usd[k];
    bars.push({ name: `${rest.length} ${otherLabel}`, usd });
  }
  return bars;
}

/** The data embedded in the page for its charts. */
export function reportPageData(summary: RunSummary, series: ChartSeries): ReportPageData {
  const end = summary.run.end ?? 0;
  const { total: _total, ...components } = summary.billing.run.usd;
  return {
    run: { start: summary.run.start, end: summary.run.end },
    series,
    faults: summary.faults
      .filter((f): f is typeof f & { startAt: number } => f.startAt !== null)
      .map((f) => ({ id: f.id, label: `${f.id}: ${f.action ?? 'fault'}`, from: f.startAt, to: f.endAt ?? Math.max(end, f.startAt) })),
    billing: {
      components,
      byFunction: topBars(summary.billing.byFunction, 'other functions'),
      byZone: topBars(summary.billing.byZone, 'other zones'),
    },
  };
}

/** The charts of the page: id, title (with units) and what it shows (for screen readers). */
export const REPORT_CHARTS = [
  { id: 'latency', title: 'End-to-end latency, p50 and p99 (ms)', alt: 'Line chart of p50 and p99 end-to-end latency over the run, fault windows shaded' },
  { id: 'throughput', title: 'Throughput per zone (attempts per second)', alt: 'Stacked area chart of attempts ended per second in each zone' },
  { id: 'errors', title: 'Errors and throttles', alt: 'Stacked bar chart of function errors, service errors and throttles over the run' },
  { id: 'cold-starts', title: 'Cold starts', alt: 'Bar chart of cold starts over the run' },
  { id: 'cost', title: 'Cost so far (USD)', alt: 'Line chart of the cumulative cost of the run' },
  { id: 'billing-components', title: 'Cost by billing component (USD)', alt: 'Doughnut chart of the run cost split into requests, duration, provisioned concurrency and ephemeral storage' },
  { id: 'billing-functions', title: 'Cost per function (USD)', alt: 'Stacked bar chart of each function cost by billing component' },
  { id: 'billing-zones', title: 'Cost per zone (USD)', alt: 'Stacked bar chart of each zone cost by billing component' },
] as const;

function chart(id: string): string {
  const c = REPORT_CHARTS.find((x) => x.id === id)!;
  return `<figure class="chart" data-chart="${c.id}"><figcaption>${escapeHtml(c.title)}</figcaption><div class="canvas-box"><canvas id="chart-${c.id}" role="img" aria-label="${escapeHtml(c.alt)}"></canvas></div></figure>`;
}

/**
 * The whole report as one HTML document that opens offline: Chart.js, the page script, the style
 * sheet and the data are inline, and a Content-Security-Policy forbids any network access
 * (`default-src 'none'`), so a stray reference fails loudly instead of reaching out.
 */
export function renderHtmlReport(summary: RunSummary, series: ChartSeries, assets: HtmlAssets, options: { maxTableRows: number }): string {
  const { run, counts, billing, latency } = summary;
  const title = run.start !== null ? `zonesim run report, ${formatTime(run.start)}` : 'zonesim run report (empty ledger)';
  const window = run.start !== null && run.end !== null ? `${formatTime(run.start)} to ${formatTime(run.end)}, ${formatDuration(run.durationSeconds)}` : 'The ledger holds no records.';
  const e2e = latency.overall.endToEnd;
  const errors = counts.byOutcome['function-error'] + counts.byOutcome['service-error'] + counts.byOutcome.lost;
  const tiles: Array<[string, string, string]> = [
    ['Invocations', counts.invocations.toLocaleString('en-US'), `${counts.attempts.toLocaleString('en-US')} attempts`],
    ['Success rate', formatPercent(counts.byOutcome.success, counts.attempts), `${errors} errors`],
    ['Throttles', counts.byOutcome.throttled.toLocaleString('en-US'), formatPercent(counts.byOutcome.throttled, counts.attempts) + ' of attempts'],
    ['Cold starts', counts.coldStarts.toLocaleString('en-US'), formatPercent(counts.coldStarts, counts.attempts - counts.byOutcome.throttled - counts.byOutcome['service-error']) + ' of runs'],
    ['p50 / p99 end to end', `${formatMs(e2e?.p50)} / ${formatMs(e2e?.p99)} ms`, `max ${formatMs(e2e?.max)} ms`],
    ['Total cost', formatUsd(billing.run.usd.total), `${summary.prices.region}, prices as of ${summary.prices.asOf}`],
  ];
  const bucket = series.bucketSeconds;

  const runRows: Cell[][] = [
    ['Start', run.start !== null ? formatTime(run.start) : '-'],
    ['End', run.end !== null ? formatTime(run.end) : '-'],
    ['Duration', formatDuration(run.durationSeconds)],
    ['Attempts (ledger records)', counts.attempts],
    ['Invocations (first attempts)', counts.invocations],
    ...Object.entries(counts.byOutcome).map(([o, n]): Cell[] => [`Outcome: ${o}`, n]),
    ...Object.entries(counts.byInvocationType).sort().map(([k, n]): Cell[] => [`Invocation type: ${k}`, n]),
    ['Cold starts', counts.coldStarts],
    ['Retries (attempt > 1)', counts.retries],
    ['Duplicate deliveries', counts.duplicates],
    ['Total cost', formatUsd(billing.run.usd.total)],
    ['Prices', `${summary.prices.region}, as of ${summary.prices.asOf}${summary.prices.freeTier ? ', free tier applied' : ''}`],
  ];

  const phaseRows = Object.values(LatencyPhase).map((p): Cell[] => [p, ...latencyCells(latency.overall[p])]);
  const pairs = [...latency.byFunctionZone].sort((a, b) => a.functionName.localeCompare(b.functionName) || a.zone.localeCompare(b.zone));
  const pairCap = capped(pairs, options.maxTableRows, 'function x zone pairs');
  const pairRows = pairCap.items.map((e): Cell[] => [e.functionName, e.zone, ...latencyCells(e.phases.endToEnd), formatMs(e.phases.init?.p50), formatMs(e.phases.execution?.p50)]);
  const fnBilling = capped(Object.entries(billing.byFunction).sort((a, b) => b[1].usd.total - a[1].usd.total), options.maxTableRows, 'functions');
  const zoneBilling = capped(Object.entries(billing.byZone).sort((a, b) => b[1].usd.total - a[1].usd.total), options.maxTableRows, 'zones');
  // Times in the tables: offset from the run's start first (as on the charts' axes), then the clock time.
  const at = (ms: number | null): string => {
    if (ms === null) return '-';
    if (run.start === null) return formatTime(ms);
    const offset = (ms - run.start) / 1000;
    return `${offset < 0 ? '-' : '+'}${formatDuration(Math.abs(offset))} (${formatTime(ms).slice(11, 19)})`;
  };
  const faultRows = summary.faults.map((f): Cell[] => [
    f.id,
    f.action ?? '-',
    typeof f.target === 'string' ? f.target : JSON.stringify(f.target ?? null),
    at(f.startAt),
    f.endAt !== null ? at(f.endAt) : f.startAt !== null ? 'end of run' : '-',
    f.cost.attempts,
    f.cost.throttles,
    `${f.cost.retries.count} (${formatUsd(f.cost.retries.usd)})`,
    `${f.cost.duplicates.count} (${formatUsd(f.cost.duplicates.usd)})`,
    `${f.cost.coldStarts.count} (${formatUsd(f.cost.coldStarts.usd)})`,
    formatUsd(f.cost.totalUsd),
  ]);
  const pcRows = summary.provisionedConcurrency.allocations.map((p): Cell[] => [
    p.functionName + (p.qualifier !== undefined ? `:${p.qualifier}` : ''),
    p.count,
    p.memoryMb,
    p.architecture,
    at(p.enabledAt),
    p.disabledAt !== undefined ? at(p.disabledAt) : 'end of run',
    formatDuration(p.billedSeconds),
    Number(p.gbSeconds.toFixed(3)),
    formatUsd(p.usd),
  ]);

  return `${offlinePageHead(title, assets.css)}
<header>
<h1>zonesim run report</h1>
<p class="sub">${escapeHtml(window)}</p>
</header>
<main>
<section class="tiles">${tiles.map(([k, v, sub]) => `<div class="tile"><div class="k">${escapeHtml(k)}</div><div class="v">${escapeHtml(v)}</div><div class="s">${escapeHtml(sub)}</div></div>`).join('')}</section>
<p class="note">Time axes: time since the first attempt was received. ${summary.faults.some((f) => f.startAt !== null) ? 'Shaded bands: fault windows. ' : ''}${bucket > 1 ? `Each point covers ${bucket} s (the run is longer than the chart's ${series.t.length} points); throughput is averaged per second, errors, throttles and cold starts are totals per ${bucket} s, p99 is the highest of the ${bucket} s.` : 'Each point is one second.'}</p>
<section class="charts">
${chart('latency')}
${chart('throughput')}
${chart('errors')}
${chart('cold-starts')}
${chart('cost')}
${chart('billing-components')}
${chart('billing-functions')}
${chart('billing-zones')}
</section>
<section class="tables">
<h2>Run</h2>
${table('Run summary', ['', 'value'], runRows)}
<h2>Latency (ms)</h2>
${table(`By phase, whole run (outcomes: ${latency.outcomes.join(', ')})`, ['phase', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], phaseRows)}
${table('End to end per function x zone', ['function', 'zone', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max', 'init p50', 'execution p50'], pairRows, pairCap.note)}
<h2>Billing (USD)</h2>
${table('Per function (provisioned-concurrency allocation included)', ['function', ...BILLING_HEADERS], [...fnBilling.items.map(([k, b]) => [k, ...billingCells(b)]), ['TOTAL', ...billingCells(billing.run)]], fnBilling.note)}
${table('Per zone ((none): never placed, and allocations not tied to a zone)', ['zone', ...BILLING_HEADERS], zoneBilling.items.map(([k, b]) => [k, ...billingCells(b)]), zoneBilling.note)}
${table('Provisioned concurrency (billed from enable to disable, rounded up to 5 minutes)', ['function', 'count', 'memory MB', 'architecture', 'enabled', 'disabled', 'billed', 'GB-s', 'cost'], pcRows)}
<h2>Fault windows</h2>
${table('What each fault window cost (attempts received while it was active; retries and duplicates in full, cold starts by their INIT share)', ['fault', 'action', 'target', 'from', 'to', 'attempts', 'throttles', 'retries', 'duplicates', 'cold starts', 'cost'], faultRows)}
</section>
</main>
<footer><p class="note">Generated ${escapeHtml(summary.generatedAt)} by <code>zonesim report</code> from ${escapeHtml(summary.dataDir)}. Files beside this one: summary.json (every number here), timeseries.csv (one row per second). Prices: ${summary.prices.sources.map(escapeHtml).join(', ')}.</p></footer>
<script type="application/json" id="report-data">${scriptJson(reportPageData(summary, series))}</script>
<script>${scriptText(assets.chartJs)}</script>
<script>${scriptText(assets.clientJs)}</script>
</body>
</html>
`;
}
