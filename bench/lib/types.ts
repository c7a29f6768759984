import type { MachineInfo } from './proc.js';

/** bench/results.json. */
export interface ResultsFile {
  machine: MachineInfo;
  node: string;
  /** When the file was last written (each benchmark has its own date). */
  date: string;
  loadAverageAtStart: string;
  benchmarks: BenchResult[];
}

/** What every benchmark gets from the runner. */
export interface BenchContext {
  /** A short pass (each benchmark under ~20 s); figures are rougher. */
  quick: boolean;
  /** Progress lines (stderr). */
  log: (message: string) => void;
  /** Aborted on SIGINT: benchmarks stop early and clean up. */
  signal: AbortSignal;
}

/** One line of a benchmark's table: a platform figure, its same-run baseline and their ratio. */
export interface ResultRow {
  what: string;
  value: number;
  unit: string;
  /** The raw baseline's figure for the same quantity, measured in the same run. */
  baseline?: number;
  /** What the baseline is, e.g. `bare node:http`. */
  baselineName?: string;
  /** value / baseline. */
  ratio?: number;
  note?: string;
}

/** A target from issue 10 (or 5) and whether this run met it. */
export interface TargetCheck {
  target: string;
  actual: string;
  /** null: not measurable in this run. */
  met: boolean | null;
  note?: string;
}

/** One benchmark's outcome, as stored in bench/results.json and shown in docs/benchmarks.md. */
export interface BenchResult {
  name: string;
  title: string;
  /** What it measures and how (one paragraph of markdown). */
  measures: string;
  /** The command that reproduces it. */
  command: string;
  date: string;
  quick: boolean;
  seconds: number;
  rows: ResultRow[];
  /** Raw platform numbers (for machines reading results.json). */
  numbers: Record<string, number>;
  /** Raw baseline numbers measured in the same run. */
  baseline: Record<string, number>;
  targets: TargetCheck[];
  notes: string[];
}

/** A benchmark module's contract: one file per benchmark under bench/. */
export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<Omit<BenchResult, 'name' | 'title' | 'command' | 'date' | 'quick' | 'seconds'>>;
}

/** A row with its ratio filled in. */
export function row(what: string, value: number, unit: string, baseline?: { value: number; name: string }, note?: string): ResultRow {
  const r: ResultRow = { what, value, unit };
  if (baseline !== undefined) {
    r.baseline = baseline.value;
    r.baselineName = baseline.name;
    if (baseline.value !== 0) r.ratio = value / baseline.value;
  }
  if (note !== undefined) r.note = note;
  return r;
}
