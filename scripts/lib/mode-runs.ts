/**
 * Runs a scenario in both modes, one after the other, through the `zonesim` command a user runs
 * (`zonesim run FILE --out DIR --quiet [--quick] [--virtual] [--seed S]`), and compares the two
 * results directories with {@link compareMetrics}. Also decides which shipped scenarios can run
 * both ways (synthetic functions, no trace workload).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScenarioErrors, loadScenario, scaleScenarioTime, QUICK_TIME_FACTOR, type ResolvedScenario } from '@zonesim/scenario';
import { compareMetrics, readModeMetrics, type AgreementRow, type ModeMetrics } from './mode-agreement.js';

/** The repository's root (scripts/lib/ is two levels below). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The `zonesim` command (built by `npx tsc -b`). */
export const ZONESIM_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'zonesim.js');
/** The shipped scenarios. */
export const SCENARIOS_DIR = join(REPO_ROOT, 'sim-scenarios');

/** A real run's bound: the scenario's own timeline plus start-up, restarts and the report. */
const RUN_SLACK_MS = 120_000;

/** Why a scenario cannot run both ways, or undefined when it can. */
export function skipReason(scenario: ResolvedScenario): string | undefined {
  const code = scenario.functions.filter((f) => f.kind !== 'synthetic').map((f) => f.name);
  if (code.length > 0) return `handler code (${code.join(', ')}): virtual time runs synthetic functions only`;
  if (scenario.workload.some((w) => w.arrival.kind === 'trace')) return 'trace workload: not in the comparison (its functions come from a trace, not from synthetic definitions in the file)';
  return undefined;
}

/** A scenario file, loaded, with whether it takes part. */
export interface ScenarioChoice {
  file: string;
  scenario?: ResolvedScenario;
  skip?: string;
}

/** Loads the scenario files given, or every `*.yaml` in sim-scenarios/, and says which can run both ways. */
export async function chooseScenarios(files: readonly string[]): Promise<ScenarioChoice[]> {
  const list = files.length > 0 ? [...files] : (await readdir(SCENARIOS_DIR)).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(SCENARIOS_DIR, f));
  const out: ScenarioChoice[] = [];
  for (const given of list) {
    // A bare name means a shipped scenario.
    const file = /[/\\]|\.ya?ml$/.test(given) ? given : join(SCENARIOS_DIR, `${given}.yaml`);
    const loaded = await loadScenario(file);
    if (!loaded.scenario) {
      out.push({ file, skip: `does not load: ${formatScenarioErrors(loaded.errors).split('\n')[0]}` });
      continue;
    }
    const skip = skipReason(loaded.scenario);
    out.push({ file, scenario: loaded.scenario, ...(skip && { skip }) });
  }
  return out;
}

/** One mode's run. */
export interface ModeRun {
  mode: 'real' | 'virtual';
  dir: string;
  /** zonesim's exit status: 0 pass, 1 a hypothesis failed; anything else is an error. */
  exitCode: number | null;
  wallMs: number;
  /** zonesim's output (progress, verdict, errors). */
  log: string;
  metrics?: ModeMetrics;
}

/** Both runs of one scenario and their comparison. */
export interface ScenarioComparison {
  scenario: string;
  file: string;
  seed: number | string;
  real: ModeRun;
  virtual: ModeRun;
  rows: AgreementRow[];
}

/** Options of {@link compareScenario}. */
export interface CompareOptions {
  /** Results go to `<outDir>/real` and `<outDir>/virtual`. */
  outDir: string;
  /** `--quick`: the timeline at half length. @default false */
  quick?: boolean;
  /** Override the scenario's seed (both modes get the same). */
  seed?: string;
  signal?: AbortSignal;
  /** Called before each run starts. */
  onRun?: (scenario: string, mode: 'real' | 'virtual') => void;
}

function runZonesim(args: string[], logFile: string, timeoutMs: number, signal?: AbortSignal): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZONESIM_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(logFile);
    let log = '';
    const take = (c: Buffer): void => {
      log += c.toString();
      file.write(c);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const kill = (): void => void child.kill('SIGTERM');
    const timer = setTimeout(() => {
      log += `\n[compare-modes] zonesim ${args.join(' ')} did not finish within ${timeoutMs} ms: killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      file.end(() => resolve({ code, log }));
    });
  });
}

async function runMode(scenario: ResolvedScenario, mode: 'real' | 'virtual', options: CompareOptions): Promise<ModeRun> {
  const dir = join(options.outDir, mode);
  const args = ['run', scenario.file, '--out', dir, '--quiet'];
  if (options.quick) args.push('--quick');
  if (mode === 'virtual') args.push('--virtual');
  if (options.seed !== undefined) args.push('--seed', options.seed);
  options.onRun?.(scenario.name, mode);
  const timeline = options.quick ? scaleScenarioTime(scenario, QUICK_TIME_FACTOR).runEndMs : scenario.runEndMs;
  const start = performance.now();
  const { code, log } = await runZonesim(args, join(options.outDir, `${mode}.log`), timeline + RUN_SLACK_MS, options.signal);
  const wallMs = Math.round(performance.now() - start);
  const run: ModeRun = { mode, dir, exitCode: code, wallMs, log };
  if (code === 0 || code === 1) run.metrics = await readModeMetrics(dir);
  return run;
}

function errorRow(scenario: string, run: ModeRun): AgreementRow {
  const last = run.log.trim().split('\n').slice(-3).join(' | ');
  return { scenario, metric: `${run.mode} run`, real: null, virtual: null, difference: null, allowed: null, tolerance: 'exit 0 or 1', unit: '', status: 'FAIL', note: `exit ${run.exitCode}: ${last}` };
}

/** Runs a scenario for real, then in virtual time (same seed), and compares the results. */
export async function compareScenario(scenario: ResolvedScenario, options: CompareOptions): Promise<ScenarioComparison> {
  await mkdir(options.outDir, { recursive: true });
  const real = await runMode(scenario, 'real', options);
  const virtual = await runMode(scenario, 'virtual', options);
  const seed = options.seed ?? scenario.seed;
  const rows: AgreementRow[] = [];
  if (!real.metrics) rows.push(errorRow(scenario.name, real));
  if (!virtual.metrics) rows.push(errorRow(scenario.name, virtual));
  if (real.metrics && virtual.metrics) rows.push(...compareMetrics(scenario, real.metrics, virtual.metrics));
  return { scenario: scenario.name, file: scenario.file, seed, real, virtual, rows };
}

/** The name of a scenario file without its directory and extension. */
export function scenarioName(file: string): string {
  return basename(file).replace(/\.ya?ml$/, '');
}

/** The virtual run's wall-clock record from run.json (`wall`), when present. */
export async function virtualWall(dir: string): Promise<{ ms: number; virtualMs: number; speedup: number } | undefined> {
  const info = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { wall?: { ms: number; virtualMs: number; speedup: number } };
  return info.wall;
}
