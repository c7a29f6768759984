import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { OverrideSyntaxError, QUICK_TIME_FACTOR, formatPath, parseOverrideAxis } from '@zonesim/scenario';
import { ResearchError, mergeStudies, parseShard, planSweep, runSweep, sweepSeeds, validateCells, type LaunchResult, type RunLauncher, type SweepAxis, type SweepProgress } from '@zonesim/research';
import { ZONESIM_BIN } from '../zonesim-bin.js';
import { ERROR_TAIL_BYTES, workerLauncher } from './sweep-worker.js';

/** Exit codes of `zonesim sweep`. */
export const SweepExit = { Done: 0, RunErrors: 1, BadInput: 2, Interrupted: 130 } as const;

export interface SweepFlags {
  set?: string[];
  seeds?: string;
  jobs?: string;
  real?: boolean;
  out?: string;
  shard?: string;
  quick?: boolean;
  timeFactor?: string;
  quiet?: boolean;
}


/** Each run is `zonesim run ...` in a process of its own: a crash or a leak stays in its run. */
const processLauncher: RunLauncher = {
  launch(args, signal): Promise<LaunchResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [ZONESIM_BIN, 'run', ...args, '--quiet', '--json'], { stdio: ['ignore', 'ignore', 'pipe'], signal, killSignal: 'SIGTERM' });
      let tail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-ERROR_TAIL_BYTES);
      });
      child.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ABORT_ERR') tail += `\n${err.message}`;
      });
      child.on('close', (code) => resolve({ exitCode: code, errorTail: tail }));
    });
  },
};

function formatMinutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** `7/12 runs [#######     ] 2 failed hypotheses, 0 errors, 5.1 runs/min, about 1m 00s left`. */
export function progressLine(p: SweepProgress, width = 20): string {
  const filled = Math.round((p.done / Math.max(p.total, 1)) * width);
  const bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}]`;
  const left = p.remainingMs === null ? '' : p.done === p.total ? ', done' : `, about ${formatMinutes(p.remainingMs)} left`;
  return `${p.done}/${p.total} runs ${bar} ${p.failedVerdicts} with a failed hypothesis, ${p.errors} error${p.errors === 1 ? '' : 's'}, ${p.runsPerMinute.toFixed(1)} runs/min${left}`;
}

function parseCount(text: string | undefined, fallback: number, what: string, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ResearchError('SWEEP_SEEDS', `${what} must be a whole number from 1 to ${max}, got ${text}`);
  return n;
}

/**
 * `zonesim sweep FILE --set FIELD=V1,V2 ... --seeds N`: every combination of the values times N
 * seeds, each a `zonesim run` (virtual time unless `--real`), `--jobs` at a time; writes runs.csv,
 * cells.csv (mean, sd, 95 % interval, n per cell and metric) and study.json. Every cell is
 * checked before anything runs. Exit 0 when every run completed (whatever the hypotheses said), 1
 * when a run could not, 2 for bad input, 130 when interrupted.
 */
export async function runSweepCommand(file: string, flags: SweepFlags): Promise<number> {
  let axes: SweepAxis[];
  let seeds: number;
  let jobs: number;
  let timeFactor: number;
  let shard;
  try {
    axes = (flags.set ?? []).map((arg) => {
      const axis = parseOverrideAxis(arg);
      return { field: formatPath(axis.path), values: axis.values };
    });
    seeds = parseCount(flags.seeds, 1, '--seeds', 10_000);
    const mode = flags.real ? 'real' : 'virtual';
    // Real runs each start a cluster of processes: one at a time unless asked.
    jobs = parseCount(flags.jobs, mode === 'real' ? 1 : Math.max(1, availableParallelism()), '--jobs', 64);
    timeFactor = flags.timeFactor !== undefined ? Number(flags.timeFactor) : flags.quick ? QUICK_TIME_FACTOR : 1;
    if (!Number.isFinite(timeFactor) || timeFactor <= 0 || timeFactor > 100) throw new ResearchError('SWEEP_AXIS', `--time-factor must be a number in (0, 100], got ${String(flags.timeFactor)}`);
    shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
    // Refuses a repeated axis or a grid past the limit, before any scenario is read.
    planSweep(axes, sweepSeeds(1, seeds));
  } catch (err) {
    if (err instanceof OverrideSyntaxError || err instanceof ResearchError) {
      process.stderr.write(`zonesim sweep: ${err.message}\n`);
      return SweepExit.BadInput;
    }
    throw err;
  }
  const mode = flags.real ? 'real' : 'virtual';
  // Every cell is loaded and checked before the first run starts.
  const check = mode === 'virtual' ? await virtualRefusal() : () => undefined;
  const probe = planSweep(axes, [1]);
  const { base, problems } = await validateCells(file, probe, check);
  if (problems.length > 0 || !base) {
    process.stderr.write(`zonesim sweep: ${file}: nothing was run:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return SweepExit.BadInput;
  }
  const outDir = flags.out ?? join('results', `sweep-${base.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nzonesim sweep: ${signal}: stopping the runs in progress; the study keeps what finished\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  const total = probe.cells.length * seeds;
  if (!flags.quiet) {
    process.stderr.write(`zonesim sweep: ${base.name}: ${probe.cells.length} cell${probe.cells.length === 1 ? '' : 's'} x ${seeds} seed${seeds === 1 ? '' : 's'} = ${total} runs${shard ? `, shard ${shard.index}/${shard.count}` : ''}, ${mode === 'virtual' ? 'virtual time' : 'real processes'}, ${jobs} at a time -> ${outDir}\n`);
  }
  // Virtual runs go to long-lived workers (start-up is most of a short run's wall time); real runs
  // each start a cluster of processes anyway, and get a process of their own.
  const workers = mode === 'virtual' ? workerLauncher() : undefined;
  try {
    const result = await runSweep(
      { file, axes, seeds, jobs, mode, timeFactor, outDir, ...(shard ? { shard } : {}) },
      base,
      {
        launcher: workers ?? processLauncher,
        signal: controller.signal,
        onProgress: (p) => {
          if (flags.quiet) return;
          if (p.last.status === 'error') process.stderr.write(`${tty ? '\r\x1b[K' : ''}run ${p.last.id} failed: ${p.last.error?.split('\n').slice(-3).join(' | ')}\n`);
          process.stderr.write(tty ? `\r\x1b[K${progressLine(p)}` : `${progressLine(p)}\n`);
        },
      },
    );
    if (tty && !flags.quiet) process.stderr.write('\n');
    const errors = result.runs.filter((r) => r.status === 'error').length;
    const rel = result.outDir;
    process.stdout.write(`study: ${rel}/study.json\nruns:  ${rel}/runs.csv (${result.runs.length} runs, ${errors} error${errors === 1 ? '' : 's'})\ncells: ${rel}/cells.csv\n`);
    if (result.aborted) return SweepExit.Interrupted;
    return errors > 0 ? SweepExit.RunErrors : SweepExit.Done;
  } catch (err) {
    if (err instanceof ResearchError) {
      process.stderr.write(`zonesim sweep: ${err.message}\n`);
      return SweepExit.BadInput;
    }
    throw err;
  } finally {
    workers?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Virtual time's refusals (handler code), without loading the simulator unless asked for. */
async function virtualRefusal(): Promise<(s: Parameters<typeof import('@zonesim/runner/virtual').checkVirtualScenario>[0]) => string | undefined> {
  const { checkVirtualScenario, VirtualRunRefusedError } = await import('@zonesim/runner/virtual');
  return (scenario) => {
    try {
      checkVirtualScenario(scenario);
      return undefined;
    } catch (err) {
      if (err instanceof VirtualRunRefusedError) return err.message;
      throw err;
    }
  };
}

/** `zonesim sweep merge DIR... --out DIR`. */
export async function runSweepMergeCommand(dirs: string[], flags: { out?: string }): Promise<number> {
  if (!flags.out) {
    process.stderr.write('zonesim sweep merge: --out DIR is required (where the merged study goes)\n');
    return SweepExit.BadInput;
  }
  try {
    const { doc } = await mergeStudies(dirs, flags.out);
    process.stdout.write(`merged ${dirs.length} shard${dirs.length === 1 ? '' : 's'}: ${doc.recorded.runs} runs (${doc.recorded.errors} error${doc.recorded.errors === 1 ? '' : 's'}) -> ${flags.out}/study.json\n`);
    return doc.recorded.errors > 0 ? SweepExit.RunErrors : SweepExit.Done;
  } catch (err) {
    if (err instanceof ResearchError) {
      process.stderr.write(`zonesim sweep merge: ${err.message}\n`);
      return SweepExit.BadInput;
    }
    throw err;
  }
}
