import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAFETY_SWITCHES, type SafetySwitch } from '@zonesim/common';
import { INVARIANTS, explore, readBaseScenario, replayScenario, type ExploreReport } from '@zonesim/explore';
import { defaultResultsDir } from '@zonesim/runner';
import { parseDuration } from '@zonesim/scenario';

/** Exit codes of `zonesim explore`. */
export const ExploreExit = { NoViolation: 0, Violation: 1, BadInput: 2, Interrupted: 130 } as const;

/** Flags of `zonesim explore`. */
export interface ExploreFlags {
  seeds?: string;
  time?: string;
  from?: string;
  out?: string;
  keepGoing?: boolean;
  shrink?: boolean;
  break?: string[];
  invariant?: string[];
  replay?: string;
  list?: boolean;
  json?: boolean;
}

const bad = (message: string): number => {
  process.stderr.write(`zonesim explore: ${message}\n`);
  return ExploreExit.BadInput;
};

/**
 * `zonesim explore [FILE] --seeds N | --time 10m`: random regions, workloads and fault schedules
 * (or FILE's region and workload with random faults) run in virtual time with every invariant
 * checked; a violation is shrunk and written as a scenario that replays it. `--replay FILE` runs such
 * a scenario again and shows what happened around each violation. Exit 0 when no invariant broke,
 * 1 when one did, 2 for bad input.
 */
export async function runExploreCommand(file: string | undefined, flags: ExploreFlags): Promise<number> {
  if (flags.list) {
    for (const i of INVARIANTS) process.stdout.write(`${i.name.padEnd(24)} ${i.description}\n`);
    process.stdout.write(`\nsafety switches (--break): ${SAFETY_SWITCHES.join(', ')}\n`);
    return ExploreExit.NoViolation;
  }
  const breakSafety = flags.break ?? [];
  const unknown = breakSafety.filter((s) => !(SAFETY_SWITCHES as readonly string[]).includes(s));
  if (unknown.length > 0) return bad(`unknown safety switch ${unknown.join(', ')}; one of ${SAFETY_SWITCHES.join(', ')}`);
  const names = new Set(INVARIANTS.map((i) => i.name));
  const badInvariant = (flags.invariant ?? []).filter((n) => !names.has(n));
  if (badInvariant.length > 0) return bad(`unknown invariant ${badInvariant.join(', ')}; see zonesim explore --list`);

  if (flags.replay) return replay(flags.replay, flags);

  const hasSeeds = flags.seeds !== undefined;
  const hasTime = flags.time !== undefined;
  if (hasSeeds === hasTime) return bad('give one of --seeds N and --time DURATION');
  const seeds = hasSeeds ? Number(flags.seeds) : undefined;
  if (seeds !== undefined && (!Number.isInteger(seeds) || seeds < 1)) return bad(`--seeds must be a whole number >= 1, got ${String(flags.seeds)}`);
  const timeMs = hasTime ? parseDuration(flags.time) : undefined;
  if (hasTime && (timeMs === undefined || timeMs <= 0)) return bad(`--time must be a duration such as 90s or 10m, got ${String(flags.time)}`);
  const from = flags.from === undefined ? 1 : Number(flags.from);
  if (!Number.isInteger(from) || from < 0) return bad(`--from must be a whole number >= 0, got ${String(flags.from)}`);
  let base;
  if (file) {
    try {
      base = await readBaseScenario(file);
    } catch (err) {
      return bad((err as Error).message);
    }
  }
  const outDir = flags.out ?? defaultResultsDir('explore', Date.now());
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const say = (line: string): void => void (flags.json ? undefined : process.stderr.write(`${line}\n`));
  say(`zonesim explore: seeds from ${from}${seeds !== undefined ? ` to ${from + seeds - 1}` : ` for ${flags.time}`}${file ? `, region and workload of ${file}` : ''}${breakSafety.length ? `, safety switched off: ${breakSafety.join(', ')}` : ''}; results in ${outDir}`);
  let report: ExploreReport;
  try {
    report = await explore({
      from,
      ...(seeds !== undefined ? { seeds } : { timeMs: timeMs! }),
      outDir,
      ...(base ? { base } : {}),
      keepGoing: flags.keepGoing === true,
      shrink: flags.shrink !== false,
      ...(breakSafety.length ? { breakSafety: breakSafety as SafetySwitch[] } : {}),
      ...(flags.invariant?.length ? { invariants: new Set(flags.invariant) } : {}),
      signal: controller.signal,
      onSeed: (o) => {
        if (!o.ok) say(`  seed ${o.seed}: ${o.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ')}`);
        else if (o.seed % 50 === 0) say(`  seed ${o.seed}: ok`);
      },
      onShrinkStep: say,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, (k, v: unknown) => (k === 'evidence' ? undefined : v), 2)}\n`);
  } else {
    process.stdout.write(
      `ran seeds ${report.from}..${report.to} (${report.seeds}) in ${(report.wallMs / 1000).toFixed(1)} s: ${report.seedsPerMinute.toFixed(1)} seeds/min, ${report.ops} operations, ${(report.virtualMs / 3_600_000).toFixed(2)} virtual hours\n`,
    );
    for (const f of report.findings) {
      process.stdout.write(`\nseed ${f.seed} violates ${[...new Set(f.violations.map((v) => v.invariant))].join(', ')}\n  drawn:   ${f.drawnFile}\n`);
      if (f.minimalFile && f.shrink) {
        const a = f.shrink.after;
        process.stdout.write(`  minimal: ${f.minimalFile} (${a.faults} faults, ${a.workload} workload entries, ${a.durationMs / 1000} s; ${f.shrink.runs} runs to shrink)\n  replay:  zonesim explore --replay ${f.minimalFile}\n`);
      }
    }
    if (report.findings.length === 0) process.stdout.write('no invariant was violated\n');
  }
  if (report.aborted) return ExploreExit.Interrupted;
  return report.findings.length > 0 ? ExploreExit.Violation : ExploreExit.NoViolation;
}

async function replay(file: string, flags: ExploreFlags): Promise<number> {
  const workDir = flags.out ?? (await mkdtemp(join(tmpdir(), 'zonesim-explore-replay-')));
  let result;
  try {
    result = await replayScenario(file, { workDir });
  } catch (err) {
    return bad(`${file}: ${(err as Error).message}`);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ digest: result.run.digest, violations: result.run.violations, around: result.around, outDir: result.run.outDir }, null, 2)}\n`);
  } else {
    process.stdout.write(`replayed ${file} (seed ${result.run.seed}): ${result.run.ops} operations, ${(result.run.virtualMs / 1000).toFixed(1)} virtual s\ndigest:  ${result.run.digest}\nresults: ${result.run.outDir}\n`);
    if (result.around.length === 0) process.stdout.write('no invariant was violated\n');
    for (const { violation, steps } of result.around) {
      process.stdout.write(`\n${violation.invariant}: ${violation.message}\n`);
      for (const s of steps) process.stdout.write(`  ${s.text}\n`);
    }
  }
  return result.run.violations.length > 0 ? ExploreExit.Violation : ExploreExit.NoViolation;
}
