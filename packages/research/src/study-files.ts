import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_METRICS, type RunMetricName } from './run-outcome.js';
import { summarize, type MetricSummary } from './statistics.js';
import { studyHtml } from './study-html.js';

/**
 * The files of a study (a sweep's directory). Everything in `study.json`, `runs.ndjson`,
 * `runs.csv`, `cells.csv` and `study.html` is a function of the plan and of the runs' own (deterministic)
 * results: no wall time, no absolute path, no date. So a sweep run whole and the same sweep run as
 * shards and merged give the same bytes. Wall times go to `timing.json`, which is not compared.
 */
export const StudyFile = {
  Study: 'study.json',
  Runs: 'runs.ndjson',
  RunsCsv: 'runs.csv',
  CellsCsv: 'cells.csv',
  Html: 'study.html',
  Timing: 'timing.json',
  Shard: 'shard.json',
  RunsDir: 'runs',
} as const;

/** What a sweep was asked to do: equal in every shard of one sweep. */
export interface StudyPlan {
  scenario: { name: string; file: string };
  mode: 'virtual' | 'real';
  /** The timeline factor of every run (`--quick` is 0.5). */
  timeFactor: number;
  seeds: Array<number | string>;
  axes: Array<{ field: string; values: string[] }>;
  /** The scenario's hypothesis ids, the `holds:<id>` metrics. */
  hypotheses: string[];
  /** Cell id -> field -> value, in plan order. */
  cells: Array<{ id: string; values: Record<string, string> }>;
  /** Runs in the whole plan (every shard's). */
  runs: number;
}

/** One run as the study keeps it. */
export interface RunRecord {
  id: string;
  index: number;
  cell: string;
  seed: number | string;
  /** `completed`: the run ended and its results were read (whatever its verdict); `error`: it did not. */
  status: 'completed' | 'error';
  /** The run's exit code (0 pass, 1 fail, others: an error). */
  exitCode: number | null;
  /** Why a run is `error` (the end of its error output). */
  error?: string;
  metrics: Record<RunMetricName, number | null> | null;
  hypotheses: Record<string, boolean> | null;
  /** The 0th..100th percentiles of the latency of the run's operations after the warm-up (ms); null without operations or results. */
  latencyPercentiles: number[] | null;
  /** The run's results directory, relative to the study's. */
  outDir: string;
  /** The command that runs it again, alone. */
  replay: string;
}

/** A cell's statistics. */
export interface CellSummary {
  id: string;
  values: Record<string, string>;
  runs: number;
  completed: number;
  errors: number;
  /** Metric (and `holds:<id>`) -> statistics over the cell's completed runs. */
  metrics: Record<string, MetricSummary>;
}

/** `study.json`. */
export interface StudyDocument {
  v: 1;
  plan: StudyPlan;
  /** Runs recorded in this directory (all of them, unless it is one shard). */
  recorded: { runs: number; completed: number; errors: number };
  metrics: Array<{ name: string; description: string }>;
  cells: CellSummary[];
}

/** The metric names of a plan: the run metrics, then `holds:<id>` per hypothesis. */
export function metricNames(plan: StudyPlan): string[] {
  return [...RUN_METRICS.map(([name]) => name), ...plan.hypotheses.map((h) => `holds:${h}`)];
}

function metricValue(run: RunRecord, name: string): number | null {
  if (!run.metrics || !run.hypotheses) return null;
  if (name.startsWith('holds:')) {
    const held = run.hypotheses[name.slice('holds:'.length)];
    return held === undefined ? null : held ? 1 : 0;
  }
  return run.metrics[name as RunMetricName] ?? null;
}

/** The study document of a plan and the runs recorded so far (sorted by plan order). */
export function studyDocument(plan: StudyPlan, runs: readonly RunRecord[]): StudyDocument {
  const names = metricNames(plan);
  const byCell = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const list = byCell.get(r.cell);
    if (list) list.push(r);
    else byCell.set(r.cell, [r]);
  }
  const cells = plan.cells.map((c): CellSummary => {
    const mine = byCell.get(c.id) ?? [];
    const done = mine.filter((r) => r.status === 'completed');
    return {
      id: c.id,
      values: c.values,
      runs: mine.length,
      completed: done.length,
      errors: mine.length - done.length,
      metrics: Object.fromEntries(names.map((n) => [n, summarize(done.map((r) => metricValue(r, n)))])),
    };
  });
  const completed = runs.filter((r) => r.status === 'completed').length;
  const descriptions = new Map<string, string>(RUN_METRICS);
  return {
    v: 1,
    plan,
    recorded: { runs: runs.length, completed, errors: runs.length - completed },
    metrics: names.map((name) => ({ name, description: descriptions.get(name) ?? `hypothesis ${name.slice('holds:'.length)} held (1) or not (0)` })),
    cells,
  };
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/** `runs.csv`: one row per run, every metric. */
export function runsCsv(plan: StudyPlan, runs: readonly RunRecord[]): string {
  const fields = plan.axes.map((a) => a.field);
  const names = metricNames(plan);
  const cellValues = new Map(plan.cells.map((c) => [c.id, c.values]));
  let out = csvLine(['run', 'cell', 'seed', ...fields, 'status', ...names]);
  for (const r of runs) {
    const values = cellValues.get(r.cell) ?? {};
    out += csvLine([r.id, r.cell, r.seed, ...fields.map((f) => values[f]), r.status, ...names.map((n) => metricValue(r, n))]);
  }
  return out;
}

/** `cells.csv`: one row per cell and metric (long form, as plotting tools read it). */
export function cellsCsv(doc: StudyDocument): string {
  const fields = doc.plan.axes.map((a) => a.field);
  let out = csvLine(['cell', ...fields, 'metric', 'n', 'mean', 'sd', 'ci95_low', 'ci95_high', 'min', 'max']);
  for (const c of doc.cells) {
    for (const { name } of doc.metrics) {
      const s = c.metrics[name]!;
      out += csvLine([c.id, ...fields.map((f) => c.values[f]), name, s.n, s.mean, s.sd, s.ci95?.[0], s.ci95?.[1], s.min, s.max]);
    }
  }
  return out;
}

/** Writes `study.json`, `runs.ndjson`, `runs.csv` and `cells.csv` of these runs (sorted into plan order first). */
export async function writeStudy(dir: string, plan: StudyPlan, runs: readonly RunRecord[]): Promise<StudyDocument> {
  const sorted = [...runs].sort((a, b) => a.index - b.index);
  const doc = studyDocument(plan, sorted);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, StudyFile.Study), `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(join(dir, StudyFile.Runs), sorted.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writeFile(join(dir, StudyFile.RunsCsv), runsCsv(plan, sorted));
  await writeFile(join(dir, StudyFile.CellsCsv), cellsCsv(doc));
  await writeFile(join(dir, StudyFile.Html), await studyHtml(doc, sorted));
  return doc;
}

/** Reads a study directory's plan and runs. */
export async function readStudy(dir: string): Promise<{ doc: StudyDocument; runs: RunRecord[] }> {
  const doc = JSON.parse(await readFile(join(dir, StudyFile.Study), 'utf8')) as StudyDocument;
  const text = await readFile(join(dir, StudyFile.Runs), 'utf8');
  const runs = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RunRecord);
  return { doc, runs };
}
