import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { SafetySwitch } from '@zonesim/common';
import { ScenarioLoadError, parseDuration } from '@zonesim/scenario';
import { drawFaultSchedule, drawScenario, type ScenarioDocument } from './draw-scenario.js';
import { runDocument, writeScenarioFile, type ExploreRunResult } from './explore-run.js';
import type { Violation } from './invariants/index.js';
import { shrinkDocument, type ShrinkResult } from './shrink.js';

/** Options of {@link explore}. */
export interface ExploreOptions {
  /** The first seed. @default 1 */
  from?: number;
  /** How many seeds (one of `seeds` and `timeMs`). */
  seeds?: number;
  /** Run seeds until this much wall time has passed (ms). */
  timeMs?: number;
  /** Where failing seeds and their minimal scenarios go. */
  outDir: string;
  /** Start every seed from this scenario (its region and workload), with a fault schedule drawn per seed. */
  base?: ScenarioDocument;
  /** Go on after a violation instead of stopping. @default false */
  keepGoing?: boolean;
  /** Shrink a failing seed to a minimal scenario. @default true */
  shrink?: boolean;
  /** Safety mechanisms switched off (explore's self-test). */
  breakSafety?: readonly SafetySwitch[];
  /** Only these invariants. */
  invariants?: ReadonlySet<string>;
  /** Called after each seed. */
  onSeed?: (outcome: SeedOutcome) => void;
  /** Called as shrinking goes (a line per accepted step). */
  onShrinkStep?: (line: string) => void;
  signal?: AbortSignal;
}

/** One seed's outcome. */
export interface SeedOutcome {
  seed: number;
  ok: boolean;
  violations: Violation[];
  ops: number;
  virtualMs: number;
  wallMs: number;
}

/** A violation found, with where its minimal scenario was written. */
export interface Finding {
  seed: number;
  violations: Violation[];
  /** The seed's scenario as drawn. */
  drawnFile: string;
  /** The shrunk scenario, which replays the failure from its seed (absent without shrinking). */
  minimalFile?: string;
  shrink?: ShrinkResult;
  /** What the minimal scenario violates when replayed, and the digest of that run (a replay gives the same). */
  minimalViolations?: Violation[];
  minimalDigest?: string;
}

/** What a campaign did. */
export interface ExploreReport {
  from: number;
  /** The last seed run. */
  to: number;
  seeds: number;
  findings: Finding[];
  wallMs: number;
  seedsPerMinute: number;
  /** Operations sent and virtual time covered over every seed. */
  ops: number;
  virtualMs: number;
  /** True when a signal ended it early. */
  aborted: boolean;
}

/** The document a seed runs: drawn whole, or the base scenario with a fault schedule drawn for it. */
export function documentForSeed(seed: number, base?: ScenarioDocument): ScenarioDocument {
  if (!base) return drawScenario(seed);
  const cluster = (base['cluster'] ?? {}) as Record<string, unknown>;
  const zones = (cluster['zones'] as number | string[] | undefined) ?? 3;
  const nodesPerZone = (cluster['nodesPerZone'] as number | undefined) ?? 1;
  const durationMs = parseDuration(base['duration']) ?? 30_000;
  // The file's hypotheses and stop conditions are about its own faults (a detection bound needs a
  // fault to detect): explore judges its invariants instead.
  const { hypotheses: _hypotheses, stopConditions: _stops, ...rest } = base;
  return { ...rest, name: `${base.name}-explore-${seed}`, seed, mode: 'virtual', faults: drawFaultSchedule(seed, { zones, nodesPerZone, durationMs }) };
}

/** Reads a scenario file as a document to start seeds from (`zonesim explore FILE`). */
export async function readBaseScenario(file: string): Promise<ScenarioDocument> {
  const doc = parse(await readFile(file, 'utf8')) as ScenarioDocument;
  if (!doc || typeof doc !== 'object' || typeof doc.name !== 'string') throw new Error(`${file} is not a scenario file`);
  return { ...doc, functions: doc.functions ?? [], workload: doc.workload ?? [], faults: doc.faults ?? [] };
}

/**
 * Runs seeds one after another (issue 19): each seed's scenario in virtual time, every invariant
 * checked. On a violation the seed's scenario is kept, shrunk to a minimal scenario that still
 * violates one of the same invariants, and written with its seed; the campaign stops there unless
 * `keepGoing`. Deterministic: the same seeds find the same violations.
 */
export async function explore(options: ExploreOptions): Promise<ExploreReport> {
  if ((options.seeds === undefined) === (options.timeMs === undefined)) throw new TypeError('explore needs one of seeds and timeMs');
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const from = options.from ?? 1;
  const started = performance.now();
  const findings: Finding[] = [];
  let seed = from;
  let ops = 0;
  let virtualMs = 0;
  const more = (): boolean =>
    !options.signal?.aborted && (options.seeds !== undefined ? seed < from + options.seeds : performance.now() - started < options.timeMs!);
  const runOptions = (workDir: string) => ({
    workDir,
    ...(options.breakSafety ? { breakSafety: options.breakSafety } : {}),
    ...(options.invariants ? { invariants: options.invariants } : {}),
  });
  for (; more(); seed++) {
    const doc = documentForSeed(seed, options.base);
    const workDir = join(outDir, 'work', `seed-${seed}`);
    let result: SeedRun;
    try {
      result = await runDocument(doc, runOptions(workDir));
    } catch (err) {
      // A run that cannot finish (a deploy refused, the world failing) is a finding of its own.
      result = failedRun(seed, err);
    }
    ops += result.ops;
    virtualMs += result.virtualMs;
    options.onSeed?.({ seed, ok: result.violations.length === 0, violations: result.violations, ops: result.ops, virtualMs: result.virtualMs, wallMs: result.wallMs });
    if (result.violations.length === 0) {
      await rm(workDir, { recursive: true, force: true });
      continue;
    }
    const drawnFile = join(outDir, `seed-${seed}.yaml`);
    await writeScenarioFile(drawnFile, doc, header(seed, result.violations, 'drawn'));
    const finding: Finding = { seed, violations: result.violations, drawnFile };
    if (options.shrink !== false) {
      const names = new Set(result.violations.map((v) => v.invariant));
      let attempt = 0;
      const shrink = await shrinkDocument(doc, async (candidate) => {
        const dir = join(outDir, 'work', `seed-${seed}-shrink-${attempt++}`);
        // A candidate that is not a valid scenario (the load halved below the warm-up) does not fail the same way.
        const r = await runDocument(candidate, runOptions(dir)).catch((err: unknown) => (err instanceof ScenarioLoadError ? undefined : failedRun(seed, err)));
        await rm(dir, { recursive: true, force: true });
        if (!r) return false;
        const still = r.violations.some((v) => names.has(v.invariant));
        if (still) options.onShrinkStep?.(`  still fails with ${candidate.faults.length} faults, ${candidate.workload.length} workload entries, ${String(candidate['duration'])}`);
        return still;
      });
      const replay = await runDocument(shrink.doc, runOptions(join(outDir, 'work', `seed-${seed}-minimal`))).catch((err: unknown) => failedRun(seed, err));
      const minimalFile = join(outDir, `seed-${seed}-minimal.yaml`);
      await writeScenarioFile(minimalFile, shrink.doc, header(seed, replay.violations, 'minimal'));
      Object.assign(finding, { minimalFile, shrink, minimalViolations: replay.violations, minimalDigest: replay.digest });
    }
    findings.push(finding);
    if (!options.keepGoing) {
      seed++;
      break;
    }
  }
  await rm(join(outDir, 'work'), { recursive: true, force: true }).catch(() => undefined);
  const wallMs = performance.now() - started;
  const seeds = seed - from;
  return { from, to: seed - 1, seeds, findings, wallMs, seedsPerMinute: seeds / (wallMs / 60_000), ops, virtualMs, aborted: options.signal?.aborted === true };
}

function header(seed: number, violations: readonly Violation[], kind: 'drawn' | 'minimal'): string {
  return [
    `${kind === 'minimal' ? 'Minimal scenario' : 'Scenario'} found by zonesim explore (seed ${seed}) that violates:`,
    ...violations.map((v) => `  ${v.invariant}: ${v.message}`),
    'Replay it exactly (virtual time, same seed): zonesim explore --replay THIS_FILE',
  ].join('\n');
}

/** A run that threw: the `run-completes` finding, with the error as its message. */
function failedRun(seed: number, err: unknown): SeedRun {
  const violation: Violation = { invariant: RUN_COMPLETES, message: `the run failed: ${(err as Error).message ?? String(err)}`.slice(0, 2000) };
  return { seed, violations: [violation], digest: '', ops: 0, virtualMs: 0, wallMs: 0 };
}

/** What the campaign keeps of one run. */
type SeedRun = Pick<ExploreRunResult, 'seed' | 'violations' | 'digest' | 'ops' | 'virtualMs' | 'wallMs'>;

/** The finding of a run that could not finish. */
export const RUN_COMPLETES = 'run-completes';
