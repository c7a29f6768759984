import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '@zonesim/common';
import { formatOverride, loadScenario, type ResolvedScenario, type ScenarioError, type ScenarioOverride } from '@zonesim/scenario';
import { ResearchError } from './errors.js';
import { planSweep, runSetArguments, shardRuns, sweepSeeds, type PlannedRun, type Shard, type SweepAxis, type SweepPlan } from './grid.js';
import { readLatencyPercentiles, readRunOutcome, runMetrics } from './run-outcome.js';
import { StudyFile, writeStudy, type RunRecord, type StudyPlan } from './study-files.js';

/** Settings of a sweep, resolved by the caller (the CLI). */
export interface SweepOptions {
  /** The scenario file as the user gave it (shards of one sweep must give the same text). */
  file: string;
  axes: readonly SweepAxis[];
  seeds: number;
  /** Runs at once. */
  jobs: number;
  mode: 'virtual' | 'real';
  timeFactor: number;
  /** The study's directory; must not hold a study yet. */
  outDir: string;
  shard?: Shard;
}

/** How one run ended, as the launcher saw it. */
export interface LaunchResult {
  exitCode: number | null;
  /** The end of the run's error output, for runs that failed to complete. */
  errorTail: string;
}

/** Where the runs actually happen: a `zonesim run` process each, in the CLI. */
export interface RunLauncher {
  /** Runs `zonesim run FILE --seed SEED --set ... --out DIR` (and `--virtual` or `--set mode=real`). */
  launch(args: readonly string[], signal: AbortSignal): Promise<LaunchResult>;
}

/** Progress after each finished run. */
export interface SweepProgress {
  done: number;
  total: number;
  errors: number;
  /** Runs whose hypotheses did not all hold (a result, not an error). */
  failedVerdicts: number;
  elapsedMs: number;
  runsPerMinute: number;
  /** At the rate so far. */
  remainingMs: number | null;
  last: RunRecord;
}

export interface SweepComponents {
  launcher: RunLauncher;
  onProgress?: (p: SweepProgress) => void;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface SweepResult {
  plan: SweepPlan;
  studyPlan: StudyPlan;
  runs: RunRecord[];
  outDir: string;
  wallMs: number;
  aborted: boolean;
}

/** The arguments of `zonesim run` for one planned run (after `run`). */
export function runArguments(options: Pick<SweepOptions, 'file' | 'mode' | 'timeFactor'>, run: PlannedRun, outDir?: string): string[] {
  const args = [options.file];
  if (options.mode === 'virtual') args.push('--virtual');
  else args.push('--set', 'mode=real');
  args.push('--seed', String(run.seed));
  if (options.timeFactor !== 1) args.push('--time-factor', String(options.timeFactor));
  for (const s of runSetArguments(run.cell)) args.push('--set', s);
  if (outDir !== undefined) args.push('--out', outDir);
  return args;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Loads the scenario once per cell with the cell's overrides, before anything runs: every problem
 * of every cell (a bad field, a value the field does not take), each naming its `--set`. `check`
 * adds the mode's own refusals (virtual time refuses handler code).
 */
export async function validateCells(
  file: string,
  plan: SweepPlan,
  check: (scenario: ResolvedScenario) => string | undefined = () => undefined,
): Promise<{ base: ResolvedScenario | undefined; problems: string[] }> {
  const problems: string[] = [];
  const seen = new Set<string>();
  let base: ResolvedScenario | undefined;
  for (const cell of plan.cells) {
    const loaded = await loadScenario(file, { overrides: cell.overrides as ScenarioOverride[] });
    const note = (text: string): void => {
      if (!seen.has(text)) problems.push(text);
      seen.add(text);
    };
    if (!loaded.scenario) loaded.errors.forEach((e: ScenarioError) => note(e.message));
    else {
      base ??= loaded.scenario;
      const refusal = check(loaded.scenario);
      if (refusal) note(`${cell.overrides.map(formatOverride).join(' ') || file}: ${refusal}`);
    }
  }
  return { base, problems };
}

/** The plan as a study records it. */
export function studyPlanOf(options: Pick<SweepOptions, 'file' | 'mode' | 'timeFactor'>, scenario: ResolvedScenario, plan: SweepPlan): StudyPlan {
  return {
    scenario: { name: scenario.name, file: options.file },
    mode: options.mode,
    timeFactor: options.timeFactor,
    seeds: [...plan.seeds],
    axes: plan.axes.map((a) => ({ field: a.field, values: a.values.map((v) => v.text) })),
    hypotheses: scenario.hypotheses.map((h) => h.id),
    cells: plan.cells.map((c) => ({ id: c.id, values: { ...c.values } })),
    runs: plan.runs.length,
  };
}

/**
 * Runs a sweep: the plan's runs (or one shard's), `jobs` at a time, each a `zonesim run` of its
 * own through the launcher; reads each finished run's results; writes the study files after every
 * run (so an interrupted sweep leaves a study of what finished). A run that crashes is recorded as
 * an error and the sweep goes on; a failed hypothesis is a result like any other.
 */
export async function runSweep(options: SweepOptions, scenario: ResolvedScenario, components: SweepComponents): Promise<SweepResult> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1 || options.jobs > 64) throw new ResearchError('SWEEP_JOBS', `--jobs must be a whole number from 1 to 64, got ${options.jobs}`);
  const clock = components.clock ?? systemClock;
  const plan = planSweep(options.axes, sweepSeeds(scenario.seed, options.seeds));
  const studyPlan = studyPlanOf(options, scenario, plan);
  const mine = shardRuns(plan.runs, options.shard);
  const existing = await readdir(options.outDir).catch(() => [] as string[]);
  if (existing.includes(StudyFile.Study) || existing.includes(StudyFile.RunsDir)) {
    throw new ResearchError('SWEEP_OUT_EXISTS', `${options.outDir} already holds a study; give another --out`);
  }
  await mkdir(join(options.outDir, StudyFile.RunsDir), { recursive: true });
  if (options.shard) await writeFile(join(options.outDir, StudyFile.Shard), `${JSON.stringify(options.shard)}\n`);

  const started = clock.monotonic();
  const records: RunRecord[] = [];
  const wall: Record<string, number> = {};
  const signal = components.signal ?? new AbortController().signal;
  let next = 0;
  let failedVerdicts = 0;
  let writing = Promise.resolve();
  const persist = (): Promise<void> => {
    writing = writing.then(async () => {
      await writeStudy(options.outDir, studyPlan, records);
      const elapsedMs = clock.monotonic() - started;
      await writeFile(join(options.outDir, StudyFile.Timing), `${JSON.stringify({ jobs: options.jobs, wallMs: Math.round(elapsedMs), runsPerMinute: records.length / Math.max(elapsedMs / 60_000, 1e-9), runWallMs: wall }, null, 2)}\n`);
    });
    return writing;
  };

  const one = async (run: PlannedRun): Promise<void> => {
    const rel = join(StudyFile.RunsDir, run.id);
    const args = runArguments(options, run, join(options.outDir, rel));
    const replay = ['zonesim', 'run', ...runArguments(options, run)].map(shellQuote).join(' ');
    const t = clock.monotonic();
    const launched = await components.launcher.launch(args, signal);
    wall[run.id] = Math.round(clock.monotonic() - t);
    const base = { id: run.id, index: run.index, cell: run.cell.id, seed: run.seed, exitCode: launched.exitCode, outDir: rel, replay };
    let record: RunRecord;
    if (launched.exitCode === 0 || launched.exitCode === 1) {
      try {
        const dir = join(options.outDir, rel);
        const outcome = await readRunOutcome(dir);
        const m = runMetrics(outcome);
        const latencyPercentiles = await readLatencyPercentiles(dir, outcome.check.judgedFrom);
        record = { ...base, status: 'completed', metrics: m.metrics, hypotheses: m.hypotheses, latencyPercentiles };
        if (m.metrics.passed !== 1) failedVerdicts++;
      } catch (err) {
        record = { ...base, status: 'error', error: `results unreadable: ${(err as Error).message}`, metrics: null, hypotheses: null, latencyPercentiles: null };
      }
    } else {
      record = { ...base, status: 'error', error: launched.errorTail.trim().slice(-2000) || `exit code ${launched.exitCode}`, metrics: null, hypotheses: null, latencyPercentiles: null };
    }
    records.push(record);
    await persist();
    const elapsedMs = clock.monotonic() - started;
    const done = records.length;
    components.onProgress?.({
      done,
      total: mine.length,
      errors: records.filter((r) => r.status === 'error').length,
      failedVerdicts,
      elapsedMs,
      runsPerMinute: done / Math.max(elapsedMs / 60_000, 1e-9),
      remainingMs: done > 0 ? (elapsedMs / done) * (mine.length - done) : null,
      last: record,
    });
  };

  const worker = async (): Promise<void> => {
    while (!signal.aborted && next < mine.length) await one(mine[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, Math.max(mine.length, 1)) }, () => worker()));
  await persist();
  return { plan, studyPlan, runs: records.sort((a, b) => a.index - b.index), outDir: options.outDir, wallMs: clock.monotonic() - started, aborted: signal.aborted };
}
