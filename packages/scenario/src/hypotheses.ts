import type { CheckResult } from './check-run.js';
import { formatDuration } from './duration.js';
import type { HypothesisKind, ResolvedHypothesis, ResolvedScenario } from './types.js';
import { hypothesisWindowKey, type WindowStats } from './window-stats.js';

/** The outcome of one hypothesis. */
export interface HypothesisResult {
  id: string;
  kind: HypothesisKind;
  holds: boolean;
  /** What was measured (a number, or null when nothing could be measured). */
  observed: number | null;
  /** The bound, in words: `>= 99%`, `<= 500ms`. */
  expected: string;
  /** The measurement in words, with what it was measured over. */
  detail: string;
}

/** The verdict of a run: every hypothesis holds, and the run was not stopped early. */
export interface Verdict {
  scenario: string;
  seed: number | string;
  status: 'pass' | 'fail' | 'stopped';
  results: HypothesisResult[];
  /** Set when a stop condition (or the user) ended the run. */
  stopped?: { by: string; reason: string };
}

const pct = (x: number): string => `${(Math.round(x * 10_000) / 100).toFixed(2)}%`;
const list = (ids: string[], total: number): string => (ids.length === 0 ? '' : `: ${ids.slice(0, 5).join(', ')}${total > 5 ? `, ... (${total} in all)` : ''}`);

function windowOf(check: CheckResult, h: Extract<ResolvedHypothesis, { window: unknown }>): { stats: WindowStats | undefined; label: string } {
  const stats = check.windows[hypothesisWindowKey(h.id)] ?? check.windows[h.window.during];
  const label = `${h.window.during}${h.window.functions ? ` [${h.window.functions.join(', ')}]` : ''}${h.window.faultIds ? ` of ${h.window.faultIds.join(', ')}` : ''}`;
  return { stats, label };
}

/** Evaluates each hypothesis of the scenario against what the checker found. */
export function evaluateHypotheses(scenario: Pick<ResolvedScenario, 'hypotheses'>, check: CheckResult): HypothesisResult[] {
  return scenario.hypotheses.map((h): HypothesisResult => {
    const base = { id: h.id, kind: h.kind };
    switch (h.kind) {
      case 'successRate': {
        const { stats, label } = windowOf(check, h);
        const observed = (h.functionErrorsFail ? stats?.cleanSuccessRate : stats?.successRate) ?? null;
        const expected = `>= ${pct(h.min)}`;
        if (!stats || observed === null) return { ...base, holds: false, observed: null, expected, detail: `no operations in the ${label} window` };
        return { ...base, holds: observed >= h.min, observed, expected, detail: `${pct(observed)} of ${stats.ops} ops (${label}; fail ${stats.fail}, unknown ${stats.unknown}${h.functionErrorsFail ? `, function errors ${stats.functionErrors}` : ''})` };
      }
      case 'p99': {
        const { stats, label } = windowOf(check, h);
        const expected = `<= ${formatDuration(h.maxMs)}`;
        if (!stats?.latency) return { ...base, holds: false, observed: null, expected, detail: `no operations in the ${label} window` };
        const p99 = stats.latency.p99;
        return { ...base, holds: p99 <= h.maxMs, observed: p99, expected, detail: `p99 ${formatDuration(p99)} over ${stats.ops} ops (${label}; max ${formatDuration(stats.latency.max)})` };
      }
      case 'lostEvents': {
        // Accepted async events and acknowledged queue messages alike.
        const e = check.events;
        const m = check.messages;
        const expected = `<= ${h.max}`;
        if (e.accepted > 0 && !check.ledger.present) return { ...base, holds: false, observed: null, expected, detail: `no ledger: delivery of ${e.accepted} events cannot be verified` };
        const unaccounted = e.withoutRequestId + m.withoutMessageId;
        const lost = e.lost + m.lost;
        const holds = lost <= h.max && unaccounted === 0;
        const parts: string[] = [];
        if (e.accepted > 0 || m.sent === 0) {
          parts.push(`${e.lost} of ${e.accepted} accepted events lost${list(e.lostIds, e.lost)} (delivered ${e.delivered}, with function error ${e.deliveredWithError}, dead-lettered ${e.deadLettered}, pending ${e.pending})`);
        }
        if (m.sent > 0) {
          parts.push(`${m.lost} of ${m.sent} sent messages lost${list(m.lostIds, m.lost)} (processed ${m.processed}, dead-lettered ${m.deadLettered}, still queued ${m.queued})`);
        }
        if (unaccounted) parts.push(`${unaccounted} accepted without an id`);
        return { ...base, holds, observed: lost, expected, detail: parts.join('; ') };
      }
      case 'detection': {
        const expected = `<= ${formatDuration(h.maxMs)}`;
        const missing = h.faultIds.filter((id) => !check.faults.some((f) => f.id === id));
        const ds = check.detection.filter((d) => h.faultIds.includes(d.faultId));
        const undetected = ds.filter((d) => d.detectionMs === undefined);
        const worst = ds.reduce<number | null>((m, d) => (d.detectionMs === undefined ? m : Math.max(m ?? 0, d.detectionMs)), null);
        const problems = [
          ...missing.map((id) => `fault ${id} was not applied`),
          ...undetected.map((d) =>
            d.alreadyDownAt === undefined
              ? `${d.faultId} on ${d.zone ?? d.nodeId} never marked down`
              : `${d.zone ?? d.nodeId} was already down when ${d.faultId} began (marked down ${formatDuration(d.startAt - d.alreadyDownAt)} before it), so its detection could not be measured`,
          ),
        ];
        if (h.faultIds.length === 0) return { ...base, holds: true, observed: null, expected, detail: 'no fault to detect' };
        const holds = problems.length === 0 && worst !== null && worst <= h.maxMs;
        const each = ds.filter((d) => d.detectionMs !== undefined).map((d) => `${d.faultId}/${d.zone ?? d.nodeId} ${formatDuration(d.detectionMs!)}`);
        return { ...base, holds, observed: worst, expected, detail: [...problems, ...each].join('; ') || 'nothing measured' };
      }
      case 'duplicates': {
        const d = check.duplicates;
        return { ...base, holds: d.count <= h.max, observed: d.count, expected: `<= ${h.max}`, detail: `${d.count} duplicated${d.messages > 0 ? ` (${d.messages} queue messages)` : ''}${list(d.ids, d.count)}` };
      }
      case 'throttles': {
        const all = check.windows['all'];
        const count = all?.throttles ?? 0;
        const rate = all && all.ops > 0 ? count / all.ops : 0;
        const bounds = [h.max !== undefined ? `<= ${h.max}` : '', h.maxRate !== undefined ? `rate <= ${pct(h.maxRate)}` : ''].filter(Boolean).join(', ');
        const holds = (h.max === undefined || count <= h.max) && (h.maxRate === undefined || rate <= h.maxRate);
        return { ...base, holds, observed: h.max !== undefined ? count : rate, expected: bounds, detail: `${count} throttled of ${all?.ops ?? 0} ops (${pct(rate)})` };
      }
      case 'deadLetters': {
        // Async dead letters and queue messages moved to a dead-letter queue.
        const count = check.asyncFinal.deadLetters + check.messages.deadLettered;
        const ids = [...check.events.deadLetterIds, ...check.messages.deadLetterIds];
        return { ...base, holds: count <= h.max, observed: count, expected: `<= ${h.max}`, detail: `${count} dead-lettered${list(ids, count)}` };
      }
    }
  });
}

/** The verdict: `pass` when every hypothesis holds and the run was not stopped. */
export function verdict(scenario: Pick<ResolvedScenario, 'name' | 'seed' | 'hypotheses'>, check: CheckResult): Verdict {
  const results = evaluateHypotheses(scenario, check);
  const stopped = check.run?.stopped;
  const status = stopped ? 'stopped' : results.every((r) => r.holds) ? 'pass' : 'fail';
  return { scenario: scenario.name, seed: scenario.seed, status, results, ...(stopped && { stopped: { by: stopped.by, reason: stopped.reason } }) };
}
