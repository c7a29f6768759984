import { join } from 'node:path';
import { OverrideSyntaxError, QUICK_TIME_FACTOR, scaleScenarioTime, RunFile, checkRun, formatScenarioErrors, formatVerdict, loadScenario, parseOverride, readRunInfo, verdict as judge, loadScenarioOrThrow, type ScenarioOverride } from '@zonesim/scenario';
import { runScenario } from '@zonesim/runner';
import type { ResolvedScenario } from '@zonesim/scenario';

/** Exit codes of `zonesim run` and `zonesim check`. */
export const RunExit = { Pass: 0, Fail: 1, BadScenario: 2, Interrupted: 130 } as const;

/**
 * `zonesim run FILE`: validates the scenario (every error, with file, line and field, before
 * anything starts), runs it, prints the verdict and exits 0 when every hypothesis holds, 1 when one
 * fails or a stop condition ended the run, 2 for a bad scenario, 130 when interrupted.
 */
export async function runRunCommand(
  file: string,
  flags: { out?: string; quiet?: boolean; json?: boolean; quick?: boolean; timeFactor?: string; virtual?: boolean; checkDeterminism?: boolean; seed?: string; set?: string[] },
): Promise<number> {
  let overrides: ScenarioOverride[];
  try {
    overrides = (flags.set ?? []).map(parseOverride);
  } catch (err) {
    if (!(err instanceof OverrideSyntaxError)) throw err;
    process.stderr.write(`zonesim run: ${err.message}\n`);
    return RunExit.BadScenario;
  }
  const loaded = await loadScenario(file, { overrides });
  if (!loaded.scenario) {
    process.stderr.write(`${formatScenarioErrors(loaded.errors)}\n`);
    return RunExit.BadScenario;
  }
  const factor = flags.timeFactor !== undefined ? Number(flags.timeFactor) : flags.quick ? QUICK_TIME_FACTOR : 1;
  if (!Number.isFinite(factor) || factor <= 0 || factor > 100) {
    process.stderr.write(`zonesim run: --time-factor must be a number in (0, 100], got ${String(flags.timeFactor)}\n`);
    return RunExit.BadScenario;
  }
  const scaled = scaleScenarioTime(loaded.scenario, factor);
  const scenario = flags.seed === undefined ? scaled : { ...scaled, seed: /^-?\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed };
  if (flags.virtual || scenario.mode === 'virtual' || flags.checkDeterminism) return runVirtual(scenario, flags);
  if (scenario.cluster.nodesPerZone > 64) {
    process.stderr.write(`zonesim run: ${scenario.file}: cluster.nodesPerZone is ${scenario.cluster.nodesPerZone}: a real run starts one process per zone node and takes at most 64 per zone; run it with --virtual (or mode: virtual)\n`);
    return RunExit.BadScenario;
  }
  if (loaded.warnings.length > 0) process.stderr.write(`${formatScenarioErrors(loaded.warnings)}\n`);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++interrupts > 1) {
      process.stderr.write(`zonesim run: ${signal} again; exiting now (child processes exit with this one)\n`);
      process.exit(RunExit.Interrupted);
    }
    process.stderr.write(`\nzonesim run: ${signal}: healing faults and stopping the cluster ...\n`);
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runScenario(scenario, {
      ...(flags.out ? { outDir: flags.out } : {}),
      quiet: flags.quiet === true || flags.json === true,
      signal: controller.signal,
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ outDir: result.outDir, verdict: result.verdict, check: result.check }, null, 2)}\n`);
    } else {
      if (result.report && !flags.quiet) process.stdout.write(`\n${result.report.table}\n`);
      process.stdout.write(`\n${result.text}\n`);
      process.stdout.write(`\nresults: ${result.outDir}${result.report ? `\nreport:  ${result.report.files.html}` : ''}\n`);
    }
    if (result.aborted) return RunExit.Interrupted;
    return result.verdict.status === 'pass' ? RunExit.Pass : RunExit.Fail;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `zonesim check DIR [--scenario FILE]`: re-runs the checker and the hypotheses on a run's files. */
export async function runCheckCommand(dir: string, flags: { scenario?: string; json?: boolean }): Promise<number> {
  const info = await readRunInfo(join(dir, RunFile.Run)).catch(() => undefined);
  const file = flags.scenario ?? info?.file;
  // The fields the run set over its file (`--set`) are set again, so the run is judged as it ran.
  const overrides = (info?.overrides ?? []).map(parseOverride);
  const scenario = file ? await loadScenarioOrThrow(file, { overrides }) : undefined;
  const check = await checkRun(dir, scenario ? { scenario } : {});
  if (!scenario) {
    process.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
    return check.events.lost > 0 ? RunExit.Fail : RunExit.Pass;
  }
  const v = judge(scenario, check);
  if (flags.json) process.stdout.write(`${JSON.stringify({ verdict: v, check }, null, 2)}\n`);
  else process.stdout.write(`${formatVerdict(v, check, { color: process.stdout.isTTY === true })}\n`);
  return v.status === 'pass' ? RunExit.Pass : RunExit.Fail;
}

/** `zonesim run FILE --virtual` (or `mode: virtual`): the run in virtual time, its digest, and with `--check-determinism` a second run compared. */
async function runVirtual(scenario: ResolvedScenario, flags: { out?: string; quiet?: boolean; json?: boolean; checkDeterminism?: boolean }): Promise<number> {
  const { runVirtualScenario, checkVirtualScenario, VirtualRunRefusedError } = await import('@zonesim/runner/virtual');
  try {
    checkVirtualScenario(scenario);
  } catch (err) {
    if (err instanceof VirtualRunRefusedError) {
      process.stderr.write(`zonesim run --virtual: ${err.message}\n`);
      return RunExit.BadScenario;
    }
    throw err;
  }
  const quiet = flags.quiet === true || flags.json === true;
  const result = await runVirtualScenario(scenario, { ...(flags.out ? { outDir: flags.out } : {}), quiet });
  let again: { digest: string; outDir: string } | undefined;
  if (flags.checkDeterminism) {
    const second = await runVirtualScenario(scenario, { outDir: `${result.outDir}-replay`, quiet: true });
    again = { digest: second.digest, outDir: second.outDir };
  }
  const deterministic = again ? again.digest === result.digest : undefined;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ outDir: result.outDir, mode: 'virtual', digest: result.digest, wall: result.wall, ...(again ? { replay: again, deterministic } : {}), verdict: result.verdict, check: result.check }, null, 2)}\n`);
  } else {
    if (result.report && !flags.quiet) process.stdout.write(`\n${result.report.table}\n`);
    process.stdout.write(`\n${result.text}\n`);
    const w = result.wall;
    process.stdout.write(`\nvirtual time: ${(w.virtualMs / 1000).toFixed(1)} s in ${(w.ms / 1000).toFixed(2)} s of wall time (${w.speedup}x, ${w.events} events)\n`);
    process.stdout.write(`digest:  ${result.digest}\n`);
    if (again) process.stdout.write(`replay:  ${again.digest} ${deterministic ? '(identical: deterministic)' : 'DIFFERENT: the run is not deterministic'}\n`);
    process.stdout.write(`results: ${result.outDir}${result.report ? `\nreport:  ${result.report.files.html}` : ''}\n`);
  }
  if (deterministic === false) return RunExit.Fail;
  if (result.aborted) return RunExit.Interrupted;
  return result.verdict.status === 'pass' ? RunExit.Pass : RunExit.Fail;
}
