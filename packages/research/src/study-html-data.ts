import { parseDuration } from '@zonesim/scenario';
import type { CellSummary, RunRecord, StudyDocument } from './study-files.js';

/**
 * The data `study.html` draws, computed here rather than in the browser so that it is tested in
 * process and is a pure function of `study.json` and the runs (the page must be byte-identical
 * for a whole sweep and its merged shards).
 */

/** An axis as a chart's x axis: its values in plan order, as categories or, when every value is a number or a duration, positions on a linear scale. */
export interface ChartAxis {
  field: string;
  values: string[];
  kind: 'category' | 'linear';
  /** The x position of each value (ms for durations); null for a category axis. */
  positions: number[] | null;
  /** The axis title, with its unit. */
  title: string;
}

/** One point of a metric chart: a cell's mean and interval. */
export interface MetricPoint {
  /** Index into the x axis's values. */
  x: number;
  cell: string;
  n: number;
  mean: number | null;
  ci95: [number, number] | null;
}

/** One line: the cells that share the values of every axis but the x axis. */
export interface MetricSeries {
  label: string;
  /** In x order (by position on a linear axis). */
  points: MetricPoint[];
}

/** A metric's page entry: one set of lines per choice of x axis. */
export interface MetricChartSpec {
  name: string;
  description: string;
  unit: string;
  yTitle: string;
  /** Rates and shares: the y axis stops at 1 (and 0). */
  bounded: boolean;
  /** Indexed like {@link StudyPageData.axes}. */
  byAxis: MetricSeries[][];
}

/** One cell's latency ECDF: x ascending (ms), y the fraction at or below x, both non-decreasing. */
export interface EcdfLine {
  cell: string;
  label: string;
  /** Runs pooled. */
  runs: number;
  x: number[];
  y: number[];
}

export interface EcdfChart {
  title: string;
  lines: EcdfLine[];
}

/**
 * The trade-off chart: one metric against another, a point per cell (both means, each with its
 * 95 % interval), the cells of a line joined in the order of the chosen x axis, so that a swept
 * setting draws the curve along which it trades one metric for the other (a Pareto view).
 */
export interface TradeoffSpec {
  /** Metric on the x axis drawn first (a name in {@link StudyPageData.metrics}). */
  x: string;
  /** Metric on the y axis drawn first. */
  y: string;
}

/** What the page script reads from `<script id="study-data" type="application/json">`. */
export interface StudyPageData {
  axes: ChartAxis[];
  /** The x axis drawn first: the first axis with numeric values, else the first. */
  defaultAxis: number;
  metrics: MetricChartSpec[];
  ecdf: EcdfChart[];
  /** The trade-off chart's first pair; null with fewer than two metrics with data. */
  tradeoff: TradeoffSpec | null;
}

/**
 * Pairs that studies trade against each other, [x, y], the first with data in both drawn first:
 * idle memory against cold starts (keep-alive policies, ATC'20), the bill against tail latency,
 * goodput against tail latency. Otherwise the first two metrics with data.
 */
export const TRADEOFF_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['idleMemoryGbSeconds', 'coldStarts'],
  ['costUsd', 'p99Ms'],
  ['goodputPerSecond', 'p99Ms'],
];

/** Cells beyond which the latency ECDFs are drawn one chart per value of the first axis. */
export const MAX_ECDF_LINES_PER_CHART = 12;
/** Points kept of a cell's pooled ECDF (101 per run otherwise): enough for a smooth curve, bounded for large studies. */
export const MAX_ECDF_POINTS = 1001;

// Units of the count metrics; the others follow their names (see metricUnit). A string-keyed table,
// not Record<RunMetricName>, so that a metric added to RUN_METRICS does not break this build: the
// unit test fails instead until it has a unit.
const COUNT_UNITS: Readonly<Record<string, string>> = {
  operations: 'operations',
  failed: 'operations',
  throttles: '429 answers',
  undetected: 'fault targets',
  attempts: 'attempts',
  coldStarts: 'attempts',
  idleMemoryGbSeconds: 'GB-s',
  prewarms: 'environments',
  retries: 'attempts',
  duplicates: 'deliveries',
  eventsLost: 'events',
  deadLettered: 'events',
  callsPerOperation: 'calls per operation',
  nines: 'nines',
  errorBudgetBurned: 'error budgets',
  incidents: 'incidents',
  unrecovered: 'incidents',
  affectedPerIncident: 'requests',
  blastRadius: 'functions per incident',
  blastRadiusTenants: 'tenants per incident',
};

/** A metric's unit (the y axis title) and whether it lives in 0..1 (rates and shares). */
export function metricUnit(name: string): { unit: string; bounded: boolean } {
  if (name === 'passed' || name.startsWith('holds:')) return { unit: 'share of seeds', bounded: true };
  if (name.endsWith('Rate')) return { unit: 'fraction', bounded: true };
  if (name.endsWith('Ms')) return { unit: 'ms', bounded: false };
  if (name.endsWith('Usd')) return { unit: 'USD', bounded: false };
  if (name.endsWith('PerSecond')) return { unit: 'operations/s', bounded: false };
  return { unit: COUNT_UNITS[name] ?? '', bounded: false };
}

/** Whether any cell measured the metric. */
export function metricHasData(doc: StudyDocument, name: string): boolean {
  return doc.cells.some((c) => (c.metrics[name]?.n ?? 0) > 0);
}

/** A value as the page prints it: integers whole, others to 3-4 significant digits. Deterministic. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return String(Number(v.toPrecision(4)));
}

/** The plan's axes as chart axes; a plan without axes has one pseudo-axis whose values are its cells. */
export function chartAxes(doc: StudyDocument): ChartAxis[] {
  if (doc.plan.axes.length === 0) return [{ field: 'cell', values: doc.plan.cells.map((c) => c.id), kind: 'category', positions: null, title: 'cell' }];
  return doc.plan.axes.map(({ field, values }) => {
    const positions = numericPositions(values);
    if (!positions) return { field, values, kind: 'category', positions: null, title: field };
    return { field, values, kind: 'linear', positions: positions.xs, title: positions.ms ? `${field} (ms)` : field };
  });
}

// Every value a plain number, or every value a duration (as ms), each position distinct; else null.
function numericPositions(values: readonly string[]): { xs: number[]; ms: boolean } | null {
  if (values.length === 0) return null;
  const plain = values.map((v) => (/^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : undefined));
  const durations = values.map((v) => (/[a-zA-Z]/.test(v) ? parseDuration(v) : undefined));
  const pick = plain.every((x) => x !== undefined) ? { xs: plain as number[], ms: false } : durations.every((x) => x !== undefined) ? { xs: durations as number[], ms: true } : null;
  if (!pick || new Set(pick.xs).size !== pick.xs.length || !pick.xs.every(Number.isFinite)) return null;
  return pick;
}

// Each cell's value index on every axis (the pseudo-axis of an axis-less plan: the cell's own index).
function coordinates(doc: StudyDocument, axes: readonly ChartAxis[]): number[][] {
  if (doc.plan.axes.length === 0) return doc.cells.map((_c, i) => [i]);
  return doc.cells.map((c) => axes.map((a) => a.values.indexOf(c.values[a.field] ?? '')));
}

/** A metric's lines against the axis `xi`: one per combination of the other axes' values, in plan order. */
export function metricSeries(doc: StudyDocument, name: string, axes: readonly ChartAxis[], xi: number): MetricSeries[] {
  const coords = coordinates(doc, axes);
  const axis = axes[xi]!;
  const groups = new Map<string, { label: string; cells: Array<{ cell: CellSummary; x: number }> }>();
  doc.cells.forEach((cell, ci) => {
    const at = coords[ci]!;
    const others = axes.map((a, k) => ({ a, k })).filter(({ k }) => k !== xi);
    const key = others.map(({ k }) => at[k]).join('/');
    const label = others.length === 0 ? name : others.map(({ a, k }) => `${a.field}=${a.values[at[k]!] ?? '?'}`).join(', ');
    const group = groups.get(key) ?? { label, cells: [] };
    group.cells.push({ cell, x: at[xi]! });
    groups.set(key, group);
  });
  const order = (x: number): number => (axis.positions ? axis.positions[x]! : x);
  return [...groups.values()].map(({ label, cells }) => ({
    label,
    points: cells
      .filter(({ x }) => x >= 0)
      .sort((a, b) => order(a.x) - order(b.x))
      .map(({ cell, x }): MetricPoint => {
        const s = cell.metrics[name];
        return { x, cell: cell.id, n: s?.n ?? 0, mean: s?.mean ?? null, ci95: s?.ci95 ?? null };
      }),
  }));
}

/**
 * A cell's latency ECDF from its completed runs' percentiles: each run's 101 percentiles are 101
 * equally weighted samples (so every run weighs the same, whatever its operation count), pooled
 * and sorted. Starts at (min, 0); at most {@link MAX_ECDF_POINTS} steps. Null without latency.
 */
export function pooledEcdf(runs: readonly RunRecord[]): { x: number[]; y: number[]; runs: number } | null {
  const pooled: number[] = [];
  let used = 0;
  for (const r of runs) {
    if (r.status !== 'completed' || !r.latencyPercentiles || r.latencyPercentiles.length === 0) continue;
    used++;
    for (const v of r.latencyPercentiles) if (Number.isFinite(v)) pooled.push(v);
  }
  if (pooled.length === 0) return null;
  pooled.sort((a, b) => a - b);
  const n = pooled.length;
  const steps = n <= MAX_ECDF_POINTS ? pooled.map((_v, i) => i) : Array.from({ length: MAX_ECDF_POINTS }, (_v, k) => Math.ceil(((k + 1) * n) / MAX_ECDF_POINTS) - 1);
  const x: number[] = [pooled[0]!];
  const y: number[] = [0];
  for (const i of steps) {
    const fy = Math.round(((i + 1) / n) * 1e5) / 1e5;
    // Equal samples are one step: keep the highest fraction at that latency.
    if (x.length > 1 && x[x.length - 1] === pooled[i]) y[y.length - 1] = fy;
    else {
      x.push(pooled[i]!);
      y.push(fy);
    }
  }
  return { x, y, runs: used };
}

/** The ECDF charts: one for the whole study, or one per value of the first axis beyond {@link MAX_ECDF_LINES_PER_CHART} cells. */
export function ecdfCharts(doc: StudyDocument, runs: readonly RunRecord[]): EcdfChart[] {
  const byCell = new Map<string, RunRecord[]>();
  for (const r of runs) byCell.set(r.cell, [...(byCell.get(r.cell) ?? []), r]);
  const axes = doc.plan.axes;
  const split = doc.cells.length > MAX_ECDF_LINES_PER_CHART && axes.length >= 2;
  const lines = doc.cells.flatMap((c): Array<EcdfLine & { first: string }> => {
    const ecdf = pooledEcdf(byCell.get(c.id) ?? []);
    if (!ecdf) return [];
    const shown = split ? axes.slice(1) : axes;
    const values = shown.map((a) => c.values[a.field] ?? '?').join(', ');
    return [{ cell: c.id, label: values ? `${c.id}: ${values}` : c.id, ...ecdf, first: axes[0] ? (c.values[axes[0].field] ?? '') : '' }];
  });
  const strip = ({ first: _first, ...line }: EcdfLine & { first: string }): EcdfLine => line;
  if (lines.length === 0) return [];
  if (!split) return [{ title: 'All cells', lines: lines.map(strip) }];
  const first = axes[0]!;
  return first.values
    .map((v) => ({ title: `${first.field} = ${v}`, lines: lines.filter((l) => l.first === v).map(strip) }))
    .filter((c) => c.lines.length > 0);
}

/** Everything the page's charts draw. */
export function studyPageData(doc: StudyDocument, runs: readonly RunRecord[]): StudyPageData {
  const axes = chartAxes(doc);
  const numeric = axes.findIndex((a) => a.kind === 'linear');
  const metrics = doc.metrics
    .filter((m) => metricHasData(doc, m.name))
    .map(({ name, description }): MetricChartSpec => {
      const { unit, bounded } = metricUnit(name);
      return { name, description, unit, yTitle: unit ? `${name} (${unit})` : name, bounded, byAxis: axes.map((_a, xi) => metricSeries(doc, name, axes, xi)) };
    });
  return { axes, defaultAxis: numeric >= 0 ? numeric : 0, metrics, ecdf: ecdfCharts(doc, runs), tradeoff: tradeoffPair(metrics.map((m) => m.name)) };
}

/** The trade-off chart's first pair among the metrics with data (see {@link TRADEOFF_PAIRS}). */
export function tradeoffPair(withData: readonly string[]): TradeoffSpec | null {
  if (withData.length < 2) return null;
  const known = TRADEOFF_PAIRS.find(([x, y]) => withData.includes(x) && withData.includes(y));
  return known ? { x: known[0], y: known[1] } : { x: withData[0]!, y: withData[1]! };
}
