import { formatOverride, formatPath, type ScenarioOverride } from '@zonesim/scenario';
import { ResearchError } from './errors.js';

/**
 * The runs of a sweep: every combination of the axes' values (a cell) times every seed. The plan
 * depends only on the axes, the values' order and the seeds, so that every shard of a sweep, on any
 * machine, numbers the runs the same way.
 */

/** One `--set FIELD=V1,V2,...`. */
export interface SweepAxis {
  /** The field, as `--set` writes it (`cluster.heartbeat`). */
  field: string;
  values: readonly ScenarioOverride[];
}

/** One combination of the axes' values. */
export interface SweepCell {
  /** `c01`, `c02`, ... in plan order (the first axis varies slowest). */
  id: string;
  /** One override per axis, in the axes' order. */
  overrides: readonly ScenarioOverride[];
  /** Field -> value as typed, per axis. */
  values: Readonly<Record<string, string>>;
}

/** One run of the plan. */
export interface PlannedRun {
  /** `c01-s01`: the cell and the seed's place. */
  id: string;
  /** 0-based place in the plan (what `--shard` divides). */
  index: number;
  cell: SweepCell;
  /** 0-based place of the seed. */
  seedIndex: number;
  seed: number | string;
}

export interface SweepPlan {
  axes: readonly SweepAxis[];
  cells: readonly SweepCell[];
  seeds: ReadonlyArray<number | string>;
  runs: readonly PlannedRun[];
}

/** At most this many runs in one plan: a grid past it is a typo, not a study. */
export const MAX_SWEEP_RUNS = 100_000;

/**
 * The seeds of a sweep: the scenario's own seed first (so seed 1 of the sweep is the file's run),
 * then the next integers, or `seed-2`, `seed-3` ... for a text seed.
 */
export function sweepSeeds(base: number | string, count: number): Array<number | string> {
  if (!Number.isInteger(count) || count < 1) throw new ResearchError('SWEEP_SEEDS', `--seeds must be a whole number of at least 1, got ${count}`);
  return Array.from({ length: count }, (_, k) => (typeof base === 'number' ? base + k : k === 0 ? base : `${base}-${k + 1}`));
}

function pad(n: number, of: number): string {
  return String(n).padStart(Math.max(2, String(of).length), '0');
}

/** Every cell times every seed, in a fixed order. */
export function planSweep(axes: readonly SweepAxis[], seeds: ReadonlyArray<number | string>): SweepPlan {
  const fields = new Set<string>();
  for (const a of axes) {
    if (fields.has(a.field)) throw new ResearchError('SWEEP_AXIS', `--set ${a.field} is given twice: give all its values in one --set (${a.field}=A,B,C)`);
    fields.add(a.field);
    if (a.values.length === 0) throw new ResearchError('SWEEP_AXIS', `--set ${a.field} has no value`);
  }
  let combos: ScenarioOverride[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, v]));
  if (combos.length * seeds.length > MAX_SWEEP_RUNS) {
    throw new ResearchError('SWEEP_TOO_LARGE', `${combos.length} cells x ${seeds.length} seeds is ${combos.length * seeds.length} runs; at most ${MAX_SWEEP_RUNS}`);
  }
  const cells: SweepCell[] = combos.map((overrides, i) => ({
    id: `c${pad(i + 1, combos.length)}`,
    overrides,
    values: Object.fromEntries(overrides.map((o) => [formatPath(o.path), o.text])),
  }));
  const runs: PlannedRun[] = [];
  for (const cell of cells) {
    seeds.forEach((seed, seedIndex) => runs.push({ id: `${cell.id}-s${pad(seedIndex + 1, seeds.length)}`, index: runs.length, cell, seedIndex, seed }));
  }
  return { axes, cells, seeds, runs };
}

/** `--shard I/N`: the I-th of N shares, 1-based (as Kubernetes' index + 1 or a Slurm task id). */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ResearchError('SWEEP_SHARD', `--shard must be I/N with 1 <= I <= N (e.g. 2/4), got ${text}`);
  }
  return { index, count };
}

/** The runs of one shard: every N-th run of the plan, starting at the I-th (so each shard gets every cell's seeds spread out). */
export function shardRuns(runs: readonly PlannedRun[], shard: Shard | undefined): PlannedRun[] {
  if (!shard) return [...runs];
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}

/** The `--set` arguments that make one run (for `zonesim run`, and for people replaying it). */
export function runSetArguments(cell: SweepCell): string[] {
  return cell.overrides.map(formatOverride);
}
