import { readFile, writeFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import {
  CalibrationError,
  CalibrationErrorCode,
  calibrateRun,
  calibrateScenarioText,
  formatProfiles,
  formatScenarioErrors,
  loadScenario,
  parseScenario,
  type CalibratedScenario,
  type CalibrationResult,
} from '@zonesim/scenario';
import { renderTable } from '../table.js';

/** Exit codes of `zonesim calibrate`. */
export const CalibrateExit = { Ok: 0, BadInput: 2 } as const;

/** The profiles file's name in the results directory when `--out` is not given. */
export const DEFAULT_PROFILES_FILE = 'profiles.yaml';

/** Flags of `zonesim calibrate`. */
export interface CalibrateFlags {
  /** The profiles file (`.json`: JSON, else YAML). @default RESULTS_DIR/profiles.yaml */
  out?: string;
  /** The scenario to rewrite. @default the one run.json names */
  scenario?: string;
  /** Where the calibrated scenario goes. @default RESULTS_DIR/<name>-calibrated.yaml */
  scenarioOut?: string;
  /** false (`--no-scenario`): write the profiles only. @default true */
  writeScenario?: boolean;
  /** Print the result as JSON on stdout. */
  json?: boolean;
}

/**
 * `zonesim calibrate RESULTS_DIR` (issue 16): turns a run's ledger into synthetic profiles, one per
 * function (empirical INIT, duration and memory distributions, and an error rate), writes them,
 * and writes the run's scenario again with every code function replaced by its profile. Exit 0;
 * 2 for bad input (no directory, no ledger, nothing that ran, a bad scenario), with the error's
 * code; warnings (a function never invoked, no cold start ...) go to stderr.
 */
export async function runCalibrateCommand(
  dir: string,
  flags: CalibrateFlags,
  options: { signal?: AbortSignal; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream } = {},
): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  try {
    const result = await calibrateRun(dir, { ...(options.signal && { signal: options.signal }) });
    const scenarioFile = flags.writeScenario === false ? undefined : (flags.scenario ?? result.run?.file);
    // Everything is checked before anything is written.
    const calibrated = scenarioFile === undefined ? undefined : await calibratedScenario(result, scenarioFile, flags.scenarioOut, dir);
    const profilesPath = flags.out ?? join(dir, DEFAULT_PROFILES_FILE);
    await writeFile(profilesPath, formatProfiles(result, extname(profilesPath).toLowerCase() === '.json' ? 'json' : 'yaml'));
    if (calibrated) await writeFile(calibrated.file, calibrated.text);

    const warnings = [...result.warnings, ...(calibrated?.warnings ?? [])];
    for (const w of warnings) err.write(`zonesim calibrate: warning: ${w}\n`);
    if (flags.json) {
      out.write(`${JSON.stringify({
        profilesFile: profilesPath,
        ...(calibrated && { scenarioFile: calibrated.file, sourceScenario: calibrated.source, replaced: calibrated.replaced, kept: calibrated.kept }),
        ledger: result.ledger,
        percentiles: result.percentiles,
        functions: result.functions,
        warnings,
      }, null, 2)}\n`);
      return CalibrateExit.Ok;
    }
    out.write(summaryTable(result));
    out.write(`\nprofiles    ${show(profilesPath)}\n`);
    if (calibrated) {
      out.write(`scenario    ${show(calibrated.file)} (from ${show(calibrated.source)}; synthetic now: ${calibrated.replaced.join(', ') || 'none'})\n`);
      out.write(`run it with: zonesim run ${show(calibrated.file)}\n`);
    } else if (flags.writeScenario !== false) {
      out.write('scenario    none (run.json names no scenario file: give one with --scenario FILE)\n');
    }
    return CalibrateExit.Ok;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (e instanceof CalibrationError || code.startsWith('LEDGER_') || code.startsWith('SCENARIO_'))) {
      err.write(`zonesim calibrate: ${code}: ${(e as Error).message}\n`);
      return CalibrateExit.BadInput;
    }
    throw e;
  }
}

/** Loads and checks the source scenario, rewrites it, and checks that the result loads. */
async function calibratedScenario(
  result: CalibrationResult,
  source: string,
  target: string | undefined,
  dir: string,
): Promise<CalibratedScenario & { file: string; source: string }> {
  const loaded = await loadScenario(source);
  if (!loaded.scenario) {
    throw new CalibrationError(CalibrationErrorCode.Scenario, source, `the scenario to calibrate does not load:\n${formatScenarioErrors(loaded.errors)}`);
  }
  const file = target ?? join(dir, `${loaded.scenario.name}-calibrated${extname(source) || '.yaml'}`);
  const text = await readFile(source, 'utf8');
  const calibrated = calibrateScenarioText(text, result.functions, { sourceFile: source, outFile: file, resultsDir: dir });
  // The rewritten file must load as it will be read (paths relative to its own place); a failure
  // here is a bug of the rewrite, reported before anything is written.
  const check = await parseScenario(calibrated.text, { file });
  if (!check.scenario) {
    throw new CalibrationError(CalibrationErrorCode.Scenario, file, `the calibrated scenario would not load (please report this):\n${formatScenarioErrors(check.errors)}`);
  }
  return { ...calibrated, file, source };
}

function summaryTable(result: CalibrationResult): string {
  const ms = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  const p = (d: { kind: string; percentiles?: Record<string, number> } | undefined, q: string) => (d?.kind === 'empirical' ? d.percentiles?.[q] : undefined);
  const rows = result.functions.map((f) => [
    f.name,
    f.samples.ran,
    f.samples.coldStarts,
    f.synthetic ? `${(f.synthetic.errorRate * 100).toFixed(2)}%` : '-',
    ms(p(f.synthetic?.init, '50')),
    ms(p(f.synthetic?.duration, '50')),
    ms(p(f.synthetic?.duration, '99')),
    ms(p(f.synthetic?.memory, '50')),
    f.memoryMb,
  ]);
  return renderTable(['function', 'ran', 'cold', 'errors', 'init p50', 'dur p50', 'dur p99', 'mem p50', 'memory'], rows);
}

function show(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') || r === '' ? p : r;
}
