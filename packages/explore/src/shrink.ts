import { parseDuration } from '@zonesim/scenario';
import type { FaultDoc, ScenarioDocument } from './draw-scenario.js';

/** Whether a candidate document still fails the way the original did. */
export type StillFails = (doc: ScenarioDocument) => Promise<boolean>;

/** What {@link shrinkDocument} did. */
export interface ShrinkResult {
  doc: ScenarioDocument;
  /** Runs made while shrinking. */
  runs: number;
  /** Sizes before and after. */
  before: DocumentSize;
  after: DocumentSize;
}

/** How big a failing document is: what shrinking reduces. */
export interface DocumentSize {
  faults: number;
  workload: number;
  functions: number;
  queues: number;
  durationMs: number;
}

const durationOf = (doc: ScenarioDocument): number => parseDuration(doc['duration']) ?? 0;

export function sizeOf(doc: ScenarioDocument): DocumentSize {
  return { faults: doc.faults.length, workload: doc.workload.length, functions: doc.functions.length, queues: doc.queues?.length ?? 0, durationMs: durationOf(doc) };
}

/**
 * Delta debugging (Zeller's ddmin) over a list: the smallest sub-list (1-minimal: removing any one
 * more item makes it pass) for which `fails` still holds. `fails(items)` is known true on entry.
 */
export async function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => Promise<boolean>, minimum = 0): Promise<T[]> {
  let current = [...items];
  let n = 2;
  while (current.length > minimum && current.length >= 2) {
    const chunk = Math.ceil(current.length / n);
    const parts: T[][] = [];
    for (let i = 0; i < current.length; i += chunk) parts.push(current.slice(i, i + chunk));
    let reduced = false;
    // A part alone still fails: keep only it.
    for (const part of parts) {
      if (part.length >= minimum && part.length < current.length && (await fails(part))) {
        current = part;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      // The rest without one part still fails: drop that part.
      for (let i = 0; i < parts.length; i++) {
        const complement = parts.filter((_, j) => j !== i).flat();
        if (complement.length >= minimum && complement.length < current.length && (await fails(complement))) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  // A single item left: try none at all (a failure that needs no fault, for one).
  if (current.length === 1 && minimum === 0 && (await fails([]))) return [];
  return current;
}

/**
 * Shrinks a failing scenario document to a minimal one that still fails, keeping its seed: first
 * the fault schedule (ddmin), then the workload entries, then functions and queues nothing uses any
 * more, then the load phase (halved while it still fails and the faults still fit).
 */
export async function shrinkDocument(doc: ScenarioDocument, stillFails: StillFails): Promise<ShrinkResult> {
  const before = sizeOf(doc);
  let runs = 0;
  const fails = async (candidate: ScenarioDocument): Promise<boolean> => {
    runs++;
    return stillFails(candidate);
  };
  let best = doc;
  const faults = await ddmin(best.faults, (subset) => fails(withFaults(best, subset)));
  best = withFaults(best, faults);
  const workload = await ddmin(best.workload, (subset) => fails(withoutUnused({ ...best, workload: [...subset] })), 1);
  best = withoutUnused({ ...best, workload });
  // The load phase: halve it while every fault still starts inside it and the run still fails.
  for (;;) {
    const half = Math.round(durationOf(best) / 2000) * 1000;
    if (half < 2_000 || best.faults.some((f) => faultStartMs(f) >= half)) break;
    const shorter = { ...best, duration: `${half}ms` };
    if (!(await fails(shorter))) break;
    best = shorter;
  }
  return { doc: best, runs, before, after: sizeOf(best) };
}

function withFaults(doc: ScenarioDocument, faults: readonly FaultDoc[]): ScenarioDocument {
  // A fault chained `after` one that was removed would not resolve: such faults go with it.
  const ids = new Set(faults.map((f) => f.id));
  return { ...doc, faults: faults.filter((f) => typeof f['after'] !== 'string' || ids.has(f['after'])) };
}

/** A fault's `at` (0 for one chained `after` another). */
function faultStartMs(fault: Record<string, unknown>): number {
  return parseDuration(fault['at']) ?? 0;
}

/** Drops functions no workload entry reaches (directly or through a queue) and queues nothing uses. */
function withoutUnused(doc: ScenarioDocument): ScenarioDocument {
  const usedQueues = new Set<string>();
  const usedFunctions = new Set<string>();
  for (const w of doc.workload) {
    if (typeof w['function'] === 'string') usedFunctions.add(w['function']);
    if (typeof w['queue'] === 'string') usedQueues.add(w['queue']);
  }
  const functions = doc.functions.filter((f) => {
    const triggers = (f['triggers'] as Array<{ queue: string }> | undefined) ?? [];
    const fed = triggers.some((t) => usedQueues.has(t.queue));
    if (fed) usedFunctions.add(f.name);
    return usedFunctions.has(f.name);
  });
  // A kept queue's dead-letter queue is kept too.
  for (const q of doc.queues ?? []) if (usedQueues.has(q.name) && typeof q['deadLetterQueue'] === 'string') usedQueues.add(q['deadLetterQueue']);
  const queues = (doc.queues ?? []).filter((q) => usedQueues.has(q.name));
  const out: ScenarioDocument = { ...doc, functions, workload: doc.workload };
  if (queues.length > 0) out.queues = queues;
  else delete out.queues;
  return out;
}
