import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Distribution } from '@zonesim/common';
import { attemptRan, listLedgerFiles, readLedger, type LedgerRecord } from '@zonesim/ledger';
import { CalibrationError, CalibrationErrorCode } from './calibration-errors.js';
import { DEFAULT_SYNTHETIC_MEMORY } from './defaults.js';
import { readRunInfo } from './ndjson.js';
import { DEFAULT_EXACT_VALUES, DEFAULT_RELATIVE_ACCURACY, ExactValueBudget, QuantileSketch } from './quantile-sketch.js';
import { RunFile, type RunInfo } from './run-files.js';
import type { SyntheticSpec } from './types.js';

/**
 * `zonesim calibrate` (issue 16): a real run's ledger turned into synthetic profiles, one per
 * function, so that a function measured once can be studied at scale. From the attempts that ran
 * function code (`attemptRan`: successes, function errors, lost attempts that were billed), it
 * takes the empirical distributions of INIT (cold starts only), handler duration and Max Memory
 * Used at a fixed percentile grid, and the rate of function errors the synthetic function must
 * draw itself. The ledger is streamed; quantiles are exact up to a budget of values kept in memory
 * and within 0.5 % beyond it ({@link QuantileSketch}).
 */

/** The percentiles each distribution is given at. */
export const CALIBRATION_PERCENTILES: readonly number[] = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];
/** Functions kept apart; a ledger with more is refused (`CALIBRATE_TOO_MANY_FUNCTIONS`). @default 10,000 */
export const DEFAULT_CALIBRATION_MAX_FUNCTIONS = 10_000;

/** The error types the synthetic function reproduces from its distributions, not from `errorRate`. */
const TIMEOUT_ERROR = 'Sandbox.Timedout';
const OUT_OF_MEMORY_ERROR = 'Runtime.OutOfMemory';

/** Settings of {@link calibrateRun}; every one optional. */
export interface CalibrateOptions {
  /** Percentiles (0..100) of each distribution; must include 0 and 100. @default {@link CALIBRATION_PERCENTILES} */
  percentiles?: readonly number[];
  /** Values kept exactly, over all functions and metrics, before sketches become histograms. @default 1,000,000 */
  maxExactValues?: number;
  /** Relative error of a quantile once a sketch is a histogram. @default 0.005 */
  relativeAccuracy?: number;
  /** @default 10,000 */
  maxFunctions?: number;
  signal?: AbortSignal;
}

/** {@link CalibrateOptions} with defaults filled in. */
export interface ResolvedCalibrateOptions {
  percentiles: readonly number[];
  maxExactValues: number;
  relativeAccuracy: number;
  maxFunctions: number;
  signal: AbortSignal | undefined;
}

/** Fills defaults and validates; throws a {@link CalibrationError} (`CALIBRATE_OPTIONS`) naming the field. */
export function resolveCalibrateOptions(options: CalibrateOptions = {}): ResolvedCalibrateOptions {
  const bad = (field: string, message: string) => new CalibrationError(CalibrationErrorCode.Options, undefined, `${field}: ${message}`);
  const percentiles = [...(options.percentiles ?? CALIBRATION_PERCENTILES)];
  for (const [i, p] of percentiles.entries()) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 100)) throw bad('percentiles', `${String(p)} is not a percentile from 0 to 100`);
    if (i > 0 && p <= percentiles[i - 1]!) throw bad('percentiles', 'must be increasing');
  }
  if (percentiles[0] !== 0 || percentiles[percentiles.length - 1] !== 100) throw bad('percentiles', 'must start at 0 and end at 100 (the minimum and maximum bound the draws)');
  const maxExactValues = options.maxExactValues ?? DEFAULT_EXACT_VALUES;
  if (!Number.isInteger(maxExactValues) || maxExactValues < 0) throw bad('maxExactValues', `must be an integer >= 0, got ${String(maxExactValues)}`);
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 0.5)) throw bad('relativeAccuracy', `must be in (0, 0.5), got ${String(relativeAccuracy)}`);
  const maxFunctions = options.maxFunctions ?? DEFAULT_CALIBRATION_MAX_FUNCTIONS;
  if (!Number.isInteger(maxFunctions) || maxFunctions < 1) throw bad('maxFunctions', `must be an integer >= 1, got ${String(maxFunctions)}`);
  return { percentiles, maxExactValues, relativeAccuracy, maxFunctions, signal: options.signal };
}

/** What the ledger said about one function. */
export interface CalibrationSamples {
  /** Attempts recorded, whatever their outcome. */
  attempts: number;
  /** Attempts that ran function code: the denominator of `errorRate`. */
  ran: number;
  /** Ran attempts that started their environment and reported an INIT time. */
  coldStarts: number;
  /** Ran attempts with a handler duration. */
  durations: number;
  /** Ran attempts with a Max Memory Used. */
  memory: number;
  /** Ran attempts that ended in a function error (any kind). */
  functionErrors: number;
  /** Of those, `Sandbox.Timedout` (reproduced by durations past the timeout, not by `errorRate`). */
  timeouts: number;
  /** Of those, `Runtime.OutOfMemory` (reproduced by memory draws above the memory size). */
  outOfMemory: number;
  /** Not ran: refused for concurrency. */
  throttled: number;
  /** Not ran: the platform failed first. */
  serviceErrors: number;
  /** Lost with their link (billed ones count as ran). */
  lost: number;
}

/** One function's calibrated profile. */
export interface FunctionProfile {
  name: string;
  /** MemorySize (MB) of its last ran attempt (of any attempt when none ran). */
  memoryMb: number;
  /**
   * The scenario format's `synthetic:` block; absent when no ran attempt had a duration (a
   * function that was only throttled cannot be measured).
   */
  synthetic?: SyntheticSpec;
  samples: CalibrationSamples;
  /** Versions that ran (`$LATEST`, `1`, ...), sorted. Scenario functions have one; the profile covers them all. */
  versions: string[];
  /** True when every percentile is exact (no sketch outgrew the budget). */
  exact: boolean;
}

/** What {@link calibrateRun} found. */
export interface CalibrationResult {
  /** The results directory, absolute. */
  dir: string;
  /** `run.json`, when the directory has one (it names the scenario file). */
  run?: RunInfo;
  ledger: { files: number; records: number; truncatedLines: number };
  percentiles: readonly number[];
  /** Sorted by name. */
  functions: FunctionProfile[];
  /** Things a user should know (a function without cold starts, a memory size that changed ...). */
  warnings: string[];
}

/** The per-function accumulator. */
class FunctionTally {
  readonly samples: CalibrationSamples = { attempts: 0, ran: 0, coldStarts: 0, durations: 0, memory: 0, functionErrors: 0, timeouts: 0, outOfMemory: 0, throttled: 0, serviceErrors: 0, lost: 0 };
  readonly init: QuantileSketch;
  readonly duration: QuantileSketch;
  readonly memory: QuantileSketch;
  readonly versions = new Set<string>();
  readonly memorySizes = new Set<number>();
  memoryMb = 0;

  constructor(
    readonly name: string,
    budget: ExactValueBudget,
    relativeAccuracy: number,
  ) {
    this.init = new QuantileSketch({ budget, relativeAccuracy });
    this.duration = new QuantileSketch({ budget, relativeAccuracy });
    this.memory = new QuantileSketch({ budget, relativeAccuracy });
  }

  add(r: LedgerRecord): void {
    const s = this.samples;
    s.attempts++;
    if (s.ran === 0) this.memoryMb = r.memoryMb;
    if (r.outcome === 'throttled') s.throttled++;
    else if (r.outcome === 'service-error') s.serviceErrors++;
    else if (r.outcome === 'lost') s.lost++;
    if (!attemptRan(r)) return;
    s.ran++;
    this.memoryMb = r.memoryMb;
    this.memorySizes.add(r.memoryMb);
    this.versions.add(r.version);
    // INIT from cold starts only: a warm attempt has no initMs, and a provisioned environment's
    // INIT ran before any invocation (it is not in the invocation ledger).
    if (r.cold === true && r.initMs !== undefined) {
      s.coldStarts++;
      this.init.add(r.initMs);
    }
    if (r.durationMs !== undefined) {
      s.durations++;
      this.duration.add(r.durationMs);
    }
    if (r.maxMemoryUsedMb !== undefined) {
      s.memory++;
      this.memory.add(r.maxMemoryUsedMb);
    }
    if (r.outcome === 'function-error') {
      s.functionErrors++;
      if (r.errorType === TIMEOUT_ERROR) s.timeouts++;
      else if (r.errorType === OUT_OF_MEMORY_ERROR) s.outOfMemory++;
    }
  }

  profile(percentiles: readonly number[], warnings: string[]): FunctionProfile {
    const s = this.samples;
    const profile: FunctionProfile = {
      name: this.name,
      memoryMb: this.memoryMb,
      samples: { ...s },
      versions: [...this.versions].sort(),
      exact: this.init.exact && this.duration.exact && this.memory.exact,
    };
    if (s.durations === 0) {
      warnings.push(s.ran === 0
        ? `${this.name}: no attempt ran code (${s.attempts} attempt(s): throttled ${s.throttled}, service errors ${s.serviceErrors}, lost ${s.lost}); no profile`
        : `${this.name}: ${s.ran} attempt(s) ran but none reported a duration; no profile`);
      return profile;
    }
    if (s.coldStarts === 0) warnings.push(`${this.name}: no cold start in the ledger (provisioned or already warm): INIT is calibrated as 0 ms`);
    if (s.memory === 0) warnings.push(`${this.name}: no Max Memory Used in the ledger: memory is the synthetic default`);
    if (this.memorySizes.size > 1) warnings.push(`${this.name}: its memory size changed during the run (${[...this.memorySizes].sort((a, b) => a - b).join(', ')} MB): the profile mixes them and names the last`);
    // Timeouts and out-of-memory kills come back by themselves from the duration and memory
    // distributions (a draw past the timeout times out, one above the memory size is killed), so
    // only the other function errors are drawn at random: counting those twice would inflate them.
    const handled = s.functionErrors - s.timeouts - s.outOfMemory;
    profile.synthetic = {
      init: s.coldStarts > 0 ? empirical(this.init, percentiles) : { kind: 'constant', value: 0 },
      duration: empirical(this.duration, percentiles),
      memory: s.memory > 0 ? empirical(this.memory, percentiles) : DEFAULT_SYNTHETIC_MEMORY,
      errorRate: roundRate(handled / s.ran),
    };
    return profile;
  }
}

/** An `empirical` distribution of a sketch at the grid, to the microsecond (ms) or the kB (MB). */
export function empirical(sketch: QuantileSketch, percentiles: readonly number[]): Distribution {
  const out: Record<string, number> = {};
  for (const p of percentiles) out[String(p)] = Math.round(sketch.quantile(p)! * 1000) / 1000;
  return { kind: 'empirical', percentiles: out };
}

/** Six significant digits: enough for any measured rate, short to read. */
function roundRate(rate: number): number {
  return Number(rate.toPrecision(6));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads a results directory (`zonesim run --out DIR`, or a coordinator's data directory: anything
 * with `ledger/` in it) and calibrates a profile per function.
 * @throws CalibrationError `CALIBRATE_NO_RESULTS`, `CALIBRATE_NO_LEDGER`, `CALIBRATE_NO_RAN_ATTEMPTS`,
 *   `CALIBRATE_TOO_MANY_FUNCTIONS`, `CALIBRATE_OPTIONS`; a LedgerRecordError (`LEDGER_*`) for a bad line.
 */
export async function calibrateRun(dir: string, options: CalibrateOptions = {}): Promise<CalibrationResult> {
  const o = resolveCalibrateOptions(options);
  const absolute = resolve(dir);
  if (!(await isDirectory(absolute))) throw new CalibrationError(CalibrationErrorCode.NoResults, dir, `${dir} is not a directory (give the results directory of a run: zonesim run FILE --out DIR)`);
  const ledgerDir = join(absolute, RunFile.LedgerDir);
  if (!(await isDirectory(ledgerDir)) || (await listLedgerFiles(ledgerDir)).length === 0) {
    throw new CalibrationError(CalibrationErrorCode.NoLedger, ledgerDir, `${dir} has no ledger (expected ${join(dir, RunFile.LedgerDir)}/ledger-NNNNNN.ndjson, written by the run's coordinator)`);
  }
  const run = await readRunInfo(join(absolute, RunFile.Run)).catch(() => undefined);

  const budget = new ExactValueBudget(o.maxExactValues);
  const tallies = new Map<string, FunctionTally>();
  const reader = readLedger(ledgerDir, { ...(o.signal && { signal: o.signal }) });
  for await (const r of reader) {
    let tally = tallies.get(r.functionName);
    if (tally === undefined) {
      if (tallies.size >= o.maxFunctions) {
        throw new CalibrationError(CalibrationErrorCode.TooManyFunctions, ledgerDir, `the ledger names more than ${o.maxFunctions} functions; calibrate keeps at most that many apart`);
      }
      tally = new FunctionTally(r.functionName, budget, o.relativeAccuracy);
      tallies.set(r.functionName, tally);
    }
    tally.add(r);
  }
  const ran = [...tallies.values()].reduce((n, t) => n + t.samples.ran, 0);
  if (ran === 0) {
    throw new CalibrationError(
      CalibrationErrorCode.NoRanAttempts,
      ledgerDir,
      `the ledger of ${dir} has ${reader.stats.records} record(s) but no attempt that ran function code (all throttled, failed in the platform or lost): nothing to measure`,
    );
  }
  const warnings: string[] = [];
  if (reader.stats.truncatedLines > 0) warnings.push(`skipped ${reader.stats.truncatedLines} ledger line(s) cut short by a crash`);
  const functions = [...tallies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => t.profile(o.percentiles, warnings));
  return {
    dir: absolute,
    ...(run && { run }),
    ledger: { ...reader.stats },
    percentiles: o.percentiles,
    functions,
    warnings,
  };
}
