import { join } from 'node:path';
import type { LedgerRecord } from '@zonesim/ledger';
import { readBaseScenario } from './campaign.js';
import { runDocument, type ExploreRunResult } from './explore-run.js';
import type { RunEvidence, Violation } from './invariants/index.js';

/** One line of a replay's step-by-step view. */
export interface ReplayStep {
  /** Epoch ms (virtual). */
  at: number;
  text: string;
}

/** What {@link replayScenario} gives. */
export interface ReplayResult {
  run: ExploreRunResult;
  /** Per violation, what happened around it, in time order. */
  around: Array<{ violation: Violation; steps: ReplayStep[] }>;
}

/** How far before and after a violation's moment the view reaches. */
export const REPLAY_WINDOW_MS = 3_000;
/** Most steps shown per violation. */
const MAX_STEPS = 80;

/**
 * Replays a scenario file written by `zonesim explore` (its seed included) in virtual time, checks
 * every invariant, and for each violation collects what happened around it: faults applied and
 * healed, zone and node health changes, the executions and ledger records of the ids it names, and
 * the calls that failed. The run's results directory is kept.
 */
export async function replayScenario(file: string, options: { workDir: string }): Promise<ReplayResult> {
  const doc = await readBaseScenario(file);
  const run = await runDocument(doc, { workDir: options.workDir, keep: true });
  const t0 = run.evidence.check.t0;
  const around = run.violations.map((violation) => ({ violation, steps: stepsAround(run.evidence, violation, t0) }));
  return { run, around };
}

function stepsAround(e: RunEvidence, v: Violation, t0: number): ReplayStep[] {
  const ids = new Set((v.ids ?? []).map((id) => id.split(' ')[0]!.split('#')[0]!));
  const center = v.at ?? firstMomentOf(e, ids) ?? t0;
  const from = center - REPLAY_WINDOW_MS;
  const to = center + REPLAY_WINDOW_MS;
  const steps: ReplayStep[] = [];
  const inWindow = (t: number): boolean => t >= from && t <= to;
  for (const f of e.faults) {
    const target = [...(f.target.zones ?? []), ...(f.target.nodeIds ?? []), ...(f.target.coordinator ? ['coordinator'] : [])].join(', ');
    if (inWindow(f.startAt)) steps.push({ at: f.startAt, text: `fault ${f.id} (${f.action}) applied to ${target}` });
    if (f.endAt !== undefined && inWindow(f.endAt)) steps.push({ at: f.endAt, text: `fault ${f.id} healed` });
  }
  for (const z of e.zones) if (inWindow(z.t)) steps.push({ at: z.t, text: `${z.nodeId ?? `zone ${z.zone}`} is ${z.health}` });
  for (const id of ids) {
    for (const x of e.executions.get(id) ?? []) steps.push({ at: x.at, text: `${id} handed to an environment on ${x.nodeId}` });
    for (const r of e.records) if (r.requestId === id) steps.push({ at: r.respondedAt, text: describeRecord(r) });
  }
  for (const op of e.syncOps) {
    if (op.result !== 'ok' && inWindow(op.intendedAt)) steps.push({ at: op.endedAt, text: `sync call seq ${op.seq} to ${op.function} ${op.result}: ${op.status ?? 'no answer'} ${op.errorType ?? ''}`.trimEnd() });
  }
  steps.sort((a, b) => a.at - b.at);
  return steps.slice(0, MAX_STEPS).map((s) => ({ at: s.at, text: `[${((s.at - t0) / 1000).toFixed(3)}s] ${s.text}` }));
}

function firstMomentOf(e: RunEvidence, ids: ReadonlySet<string>): number | undefined {
  let first: number | undefined;
  for (const r of e.records) if (ids.has(r.requestId)) first = Math.min(first ?? Infinity, r.receivedAt);
  return first;
}

function describeRecord(r: LedgerRecord): string {
  return `ledger: ${r.requestId} attempt ${r.attempt} (${r.invocationType}) ${r.outcome}${r.nodeId ? ` on ${r.nodeId}` : ''}${r.placement ? `, ${r.placement}` : ''}`;
}

/** The replay's results directory. */
export const replayResultsDir = (workDir: string): string => join(workDir, 'run');
