// Issue 18: study.html's trade-off chart, one metric against another (the keep-alive study draws
// cold starts against idle memory): which pair it starts with, and that the page carries it.
import t from 'tap';
import { sweepSeeds } from './grid.js';
import { RUN_METRICS, type RunMetricName } from './run-outcome.js';
import { studyDocument, type RunRecord, type StudyPlan } from './study-files.js';
import { metricUnit, tradeoffPair, type StudyPageData } from './study-html-data.js';
import { studyHtml } from './study-html.js';

t.test('the first pair: a known trade-off with data in both, else the first two metrics with data', async (t) => {
  t.same(tradeoffPair(['passed', 'costUsd', 'coldStarts', 'idleMemoryGbSeconds', 'p99Ms']), { x: 'idleMemoryGbSeconds', y: 'coldStarts' });
  t.same(tradeoffPair(['passed', 'p99Ms', 'costUsd']), { x: 'costUsd', y: 'p99Ms' });
  t.same(tradeoffPair(['passed', 'successRate']), { x: 'passed', y: 'successRate' });
  t.equal(tradeoffPair(['passed']), null, 'one metric: no trade-off');
  t.same(metricUnit('idleMemoryGbSeconds'), { unit: 'GB-s', bounded: false });
  t.same(metricUnit('coldStartRate'), { unit: 'fraction', bounded: true });
});

t.test('a keep-alive sweep\'s page: the trade-off figure with both choosers, its pair first', async (t) => {
  const axes: Array<[string, string[]]> = [
    ['cluster.node.keepAlivePolicy', ['fixed', 'hybrid-histogram']],
    ['cluster.node.keepAlive', ['5m', '10m', '60m']],
  ];
  const cells = axes[0]![1].flatMap((p) => axes[1]![1].map((k) => ({ [axes[0]![0]]: p, [axes[1]![0]]: k })));
  const plan: StudyPlan = {
    scenario: { name: 'keep-alive', file: 'sim/keep-alive.yaml' },
    mode: 'virtual',
    timeFactor: 1,
    seeds: sweepSeeds(1, 2),
    axes: axes.map(([field, values]) => ({ field, values })),
    hypotheses: [],
    cells: cells.map((values, i) => ({ id: `c${String(i + 1).padStart(2, '0')}`, values })),
    runs: cells.length * 2,
  };
  const runs: RunRecord[] = plan.cells.flatMap((cell, ci) =>
    plan.seeds.map((seed, si): RunRecord => {
      const metrics = Object.fromEntries(RUN_METRICS.map(([n]) => [n, null])) as Record<RunMetricName, number | null>;
      metrics.coldStarts = 100 / (1 + (ci % 3)) + si;
      metrics.idleMemoryGbSeconds = 1000 * (1 + (ci % 3)) + si;
      return { id: `${cell.id}-s${si}`, index: ci * 2 + si, cell: cell.id, seed, status: 'completed', exitCode: 0, metrics, hypotheses: {}, latencyPercentiles: null, outDir: '', replay: '' };
    }),
  );
  const html = await studyHtml(studyDocument(plan, runs), runs);
  const data = JSON.parse(/<script type="application\/json" id="study-data">(.*?)<\/script>/s.exec(html)![1]!) as StudyPageData;
  t.same(data.tradeoff, { x: 'idleMemoryGbSeconds', y: 'coldStarts' });
  t.match(html, /<figure class="pair" data-chart="tradeoff" data-metric="tradeoff">/);
  t.match(html, /<select id="tradeoff-x"[^>]*>.*<option value="idleMemoryGbSeconds" selected>/s);
  t.match(html, /<select id="tradeoff-y"[^>]*>.*<option value="coldStarts" selected>/s);
  t.equal(data.defaultAxis, 1, 'lines along the keep-alive window (the numeric axis), one per policy');
  const cold = data.metrics.find((m) => m.name === 'coldStarts')!.byAxis[1]!;
  t.same(cold.map((s) => s.label), ['cluster.node.keepAlivePolicy=fixed', 'cluster.node.keepAlivePolicy=hybrid-histogram']);
});
