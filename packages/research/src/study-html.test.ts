// Issue 18: `study.html`, the study's offline page with charts. It is a pure function of study.json
// and the runs: the page of merged shards must equal the whole sweep's byte for byte.
import t from 'tap';
import { sweepSeeds } from './grid.js';
import { RUN_METRICS, type RunMetricName } from './run-outcome.js';
import { studyDocument, type RunRecord, type StudyDocument, type StudyPlan } from './study-files.js';
import { MAX_ECDF_POINTS, chartAxes, metricSeries, metricUnit, pooledEcdf, studyPageData, type StudyPageData } from './study-html-data.js';
import { viridis } from './study-html-heatmap.js';
import { studyHtml } from './study-html.js';

/** A plan as `zonesim sweep` makes it: every combination of the axes' values, the first axis slowest. */
function plan(axes: Array<[string, string[]]>, seeds: number, hypotheses = ['steady']): StudyPlan {
  let combos: string[][] = [[]];
  for (const [, values] of axes) combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  return {
    scenario: { name: 'zone-loss', file: 'sim/zone-loss.yaml' },
    mode: 'virtual',
    timeFactor: 1,
    seeds: sweepSeeds(1, seeds),
    axes: axes.map(([field, values]) => ({ field, values })),
    hypotheses,
    cells: combos.map((c, i) => ({ id: `c${String(i + 1).padStart(2, '0')}`, values: Object.fromEntries(axes.map(([field], k) => [field, c[k]!])) })),
    runs: combos.length * seeds,
  };
}

/** Runs with metrics that depend on the cell and the seed; detectionMs is never measured. */
function runs(p: StudyPlan): RunRecord[] {
  const out: RunRecord[] = [];
  p.cells.forEach((cell, ci) => {
    p.seeds.forEach((seed, si) => {
      const base = 10 + ci * 3 + si;
      const metrics = Object.fromEntries(RUN_METRICS.map(([n], k) => [n, (base * (k + 1)) % 17])) as Record<RunMetricName, number | null>;
      metrics.successRate = 0.9 + 0.01 * ((ci + si) % 5);
      metrics.detectionMs = null;
      out.push({
        id: `${cell.id}-s0${si + 1}`,
        index: out.length,
        cell: cell.id,
        seed,
        status: 'completed',
        exitCode: 0,
        metrics,
        hypotheses: Object.fromEntries(p.hypotheses.map((h) => [h, (ci + si) % 2 === 0])),
        latencyPercentiles: Array.from({ length: 101 }, (_v, q) => base + q * q * 0.01 * (si + 1)),
        outDir: `runs/${cell.id}-s0${si + 1}`,
        replay: '',
      });
    });
  });
  return out;
}

function study(axes: Array<[string, string[]]>, seeds = 3): { doc: StudyDocument; runs: RunRecord[] } {
  const p = plan(axes, seeds);
  const rs = runs(p);
  return { doc: studyDocument(p, rs), runs: rs };
}

function pageData(html: string): StudyPageData {
  const m = /<script type="application\/json" id="study-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error('no study-data script');
  return JSON.parse(m[1]!) as StudyPageData;
}

const TWO_AXES: Array<[string, string[]]> = [
  ['cluster.heartbeat', ['100ms', '200ms', '400ms']],
  ['cluster.placement', ['spread', 'pack']],
];

t.test('the page is deterministic: the same study gives the same bytes, whatever the order of its runs', async (t) => {
  const { doc, runs: rs } = study(TWO_AXES);
  const a = await studyHtml(doc, rs);
  const b = await studyHtml(structuredClone(doc), [...rs].reverse());
  t.equal(a, b, 'byte-identical');
  t.notMatch(a, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no date');
  t.notOk(a.includes(process.cwd()), 'no absolute path of this machine');
  t.match(a, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/, 'the page may load nothing');
  t.notMatch(a, /<(script|link|img)[^>]+(src|href)=/i, 'no external script, style sheet or image');
});

t.test('every metric with data has its chart, with its unit; a metric no run measured has none', async (t) => {
  const { doc, runs: rs } = study(TWO_AXES);
  const html = await studyHtml(doc, rs);
  const data = pageData(html);
  const expected = doc.metrics.map((m) => m.name).filter((n) => n !== 'detectionMs');
  t.same(data.metrics.map((m) => m.name), expected, 'RUN_METRICS then holds:<id>, in order, without detectionMs');
  t.ok(expected.includes('holds:steady'));
  for (const [i, m] of data.metrics.entries()) {
    t.match(html, `<canvas id="metric-${i}"`, `${m.name}: a canvas`);
    t.match(html, `data-metric="${m.name}"`);
    t.equal(m.byAxis.length, 2, `${m.name}: lines against each axis`);
  }
  t.match(html, /No run measured: detectionMs\./);
  const p99 = data.metrics.find((m) => m.name === 'p99Ms')!;
  t.equal(p99.yTitle, 'p99Ms (ms)');
  const [byHeartbeat, byPlacement] = p99.byAxis as [StudyPageData['metrics'][number]['byAxis'][number], StudyPageData['metrics'][number]['byAxis'][number]];
  t.same(byHeartbeat.map((s) => s.label), ['cluster.placement=spread', 'cluster.placement=pack'], 'one line per value of the other axis');
  t.same(byHeartbeat[1]!.points.map((p) => p.cell), ['c02', 'c04', 'c06']);
  t.same(byPlacement.map((s) => s.label), ['cluster.heartbeat=100ms', 'cluster.heartbeat=200ms', 'cluster.heartbeat=400ms']);
  const cell = doc.cells.find((c) => c.id === 'c04')!.metrics['p99Ms']!;
  const point = byHeartbeat[1]!.points[1]!;
  t.same([point.mean, point.ci95, point.n], [cell.mean, cell.ci95, 3], 'the point is the cell mean with its interval');
  t.equal(data.defaultAxis, 0, 'the numeric axis is drawn first');
  t.same(data.axes.map((a) => [a.kind, a.title, a.positions]), [['linear', 'cluster.heartbeat (ms)', [100, 200, 400]], ['category', 'cluster.placement', null]]);
});

t.test('every run metric has a unit for its axis title', async (t) => {
  for (const [name] of RUN_METRICS) t.not(metricUnit(name).unit, '', name);
  t.same(metricUnit('holds:x'), { unit: 'share of seeds', bounded: true });
  t.same(metricUnit('successRate'), { unit: 'fraction', bounded: true });
  t.same(metricUnit('costUsd'), { unit: 'USD', bounded: false });
});

t.test('x axes: durations and numbers are linear, anything else a category; lines follow the x order', async (t) => {
  const { doc } = study([['memory', ['512', '128', '256']], ['arrival', ['5s', '1m30s']], ['mix', ['1', '2s']]], 1);
  const axes = chartAxes(doc);
  t.same(axes.map((a) => [a.kind, a.positions, a.title]), [
    ['linear', [512, 128, 256], 'memory'],
    ['linear', [5000, 90000], 'arrival (ms)'],
    ['category', null, 'mix'],
  ]);
  const series = metricSeries(doc, 'p50Ms', axes, 0);
  t.equal(series.length, 4, '2 x 2 combinations of the other axes');
  t.same(series[0]!.points.map((p) => axes[0]!.values[p.x]), ['128', '256', '512'], 'points sorted by position on a linear axis');
  const one = study([['x', ['a']]], 1);
  const point = metricSeries(one.doc, 'p50Ms', chartAxes(one.doc), 0)[0]!.points[0]!;
  t.same([point.n, point.ci95], [1, null], 'a cell with one run: a point without interval');
  const none = studyPageData(studyDocument(plan([], 2), runs(plan([], 2))), []);
  t.same(none.axes.map((a) => [a.field, a.values]), [['cell', ['c01']]], 'no axis: the cells are the x axis');
});

t.test('latency ECDFs: pooled percentiles, monotone from 0 to 1, bounded in size, split past 12 cells', async (t) => {
  const { doc, runs: rs } = study(TWO_AXES);
  const data = studyPageData(doc, rs);
  t.equal(data.ecdf.length, 1, 'six cells: one chart');
  t.equal(data.ecdf[0]!.lines.length, 6, 'one line per cell');
  for (const line of data.ecdf[0]!.lines) {
    t.equal(line.x.length, line.y.length);
    t.ok(line.x.every((x, i) => i === 0 || x >= line.x[i - 1]!), `${line.cell}: x non-decreasing`);
    t.ok(line.y.every((y, i) => i === 0 || y >= line.y[i - 1]!), `${line.cell}: y non-decreasing`);
    t.same([line.y[0], line.y[line.y.length - 1], line.runs], [0, 1, 3], `${line.cell}: from 0 to 1 over 3 runs`);
  }
  const c01 = rs.filter((r) => r.cell === 'c01');
  const pooled = c01.flatMap((r) => r.latencyPercentiles!).sort((a, b) => a - b);
  const e = pooledEcdf(c01)!;
  t.equal(e.x[0], pooled[0], 'starts at the lowest latency');
  t.equal(e.x[e.x.length - 1], pooled[pooled.length - 1], 'ends at the highest');
  const median = e.y[e.x.findIndex((x) => x >= pooled[151]!)]!;
  t.ok(Math.abs(median - 152 / 303) < 1e-4, `each of the 303 pooled samples weighs 1/303 (${median})`);

  const errored: RunRecord = { ...c01[0]!, status: 'error', latencyPercentiles: [1e9] };
  t.same(pooledEcdf([errored]), null, 'runs that did not complete are left out');
  const many = Array.from({ length: 40 }, (_v, i) => ({ ...c01[0]!, latencyPercentiles: Array.from({ length: 101 }, (_w, q) => q + i / 40) }));
  const big = pooledEcdf(many)!;
  t.ok(big.x.length <= MAX_ECDF_POINTS + 1, `40 runs: ${big.x.length} points`);
  t.equal(big.y[big.y.length - 1], 1);

  const large = study([['a', ['1', '2', '3']], ['b', ['p', 'q', 'r', 's', 't']]], 1);
  const split = studyPageData(large.doc, large.runs).ecdf;
  t.same(split.map((c) => [c.title, c.lines.length]), [['a = 1', 5], ['a = 2', 5], ['a = 3', 5]], '15 cells: one chart per value of the first axis');
  t.equal(split[0]!.lines[0]!.label, 'c01: p');
});

t.test('two axes give a heatmap per metric; one axis none', async (t) => {
  const two = study(TWO_AXES);
  const html = await studyHtml(two.doc, two.runs);
  const tables = html.match(/<table class="heatmap">/g) ?? [];
  t.equal(tables.length, pageData(html).metrics.length, 'one heatmap per metric with data');
  t.match(html, /<th scope="row">400ms<\/th><td style="background:#[0-9a-f]{6};color:#(?:000000|ffffff)"/, 'rows: the first axis; coloured cells');
  const one = study([TWO_AXES[0]!]);
  t.notMatch(await studyHtml(one.doc, one.runs), /class="heatmap"/);
  t.same(viridis(0), { background: '#440154', text: '#ffffff' });
  t.same(viridis(1), { background: '#fde725', text: '#000000' });
});

t.test('values from the study are escaped in the HTML and in the embedded data', async (t) => {
  const evil = '</script><script>alert(1)</script>';
  const { doc, runs: rs } = study([['functions[0].name', [evil, 'a&b']], ['x', ['"q"', "'s'"]]], 2);
  const html = await studyHtml(doc, rs);
  t.notOk(html.includes('<script>alert(1)'), 'no script injected');
  t.match(html, '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;', 'escaped in the HTML');
  t.match(html, 'a&amp;b');
  t.match(html, '&quot;q&quot;');
  const data = pageData(html);
  t.equal(data.axes[0]!.values[0], evil, 'the data round-trip');
  t.equal((html.match(/<script/g) ?? []).length, 3, 'only the page\'s own three scripts');
});
