import type { Availability } from './availability.js';
import type { CheckResult } from './check-run.js';
import { formatDuration } from './duration.js';
import type { HypothesisResult, Verdict } from './hypotheses.js';

/** Options of {@link formatVerdict}. */
export interface FormatVerdictOptions {
  /** ANSI colours (PASS green, FAIL red). @default false */
  color?: boolean;
  /** Cut the detail column to this many characters. @default 100 */
  maxDetail?: number;
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

function observedText(r: HypothesisResult): string {
  if (r.observed === null) return '-';
  switch (r.kind) {
    case 'successRate':
      return `${(Math.round(r.observed * 10_000) / 100).toFixed(2)}%`;
    case 'p99':
    case 'detection':
      return formatDuration(r.observed);
    case 'throttles':
      return Number.isInteger(r.observed) ? String(r.observed) : `${(Math.round(r.observed * 10_000) / 100).toFixed(2)}%`;
    default:
      return String(r.observed);
  }
}

/**
 * The verdict as a table for the terminal: one row per hypothesis (PASS/FAIL, id, kind, expected,
 * observed, detail), a headline, and, given the check, a summary of what happened to every
 * operation and event.
 *
 * @example
 * process.stdout.write(formatVerdict(v, check, { color: process.stdout.isTTY }));
 */
export function formatVerdict(verdict: Verdict, check?: CheckResult, options: FormatVerdictOptions = {}): string {
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${RESET}` : text);
  const maxDetail = options.maxDetail ?? 100;
  const head = verdict.status === 'pass' ? paint(GREEN + BOLD, 'PASS') : verdict.status === 'fail' ? paint(RED + BOLD, 'FAIL') : paint(YELLOW + BOLD, 'STOPPED');
  const lines = [`${verdict.scenario} (seed ${verdict.seed}): ${head}`];
  if (verdict.stopped) lines.push(`  stopped by ${verdict.stopped.by}: ${verdict.stopped.reason}`);
  const rows = verdict.results.map((r) => [r.holds ? 'PASS' : 'FAIL', r.id, r.kind, r.expected, observedText(r), r.detail.length > maxDetail ? `${r.detail.slice(0, maxDetail - 3)}...` : r.detail]);
  const header = ['', 'hypothesis', 'kind', 'expected', 'observed', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[], colorize: boolean): string =>
    `  ${row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
        if (i === 0 && colorize) return paint(cell === 'PASS' ? GREEN : RED, padded);
        return padded;
      })
      .join('  ')}`.trimEnd();
  if (rows.length === 0) lines.push('  (no hypotheses)');
  else {
    lines.push(fmt(header, false));
    for (const row of rows) lines.push(fmt(row, true));
  }
  if (check) {
    const s = check.ops.sync;
    const a = check.ops.async;
    const e = check.events;
    lines.push(
      `  ops ${check.ops.total}: sync ok ${s.ok} (function errors ${s.functionErrors}), fail ${s.fail} (throttled ${s.throttles}), unknown ${s.unknown}; async accepted ${a.ok}, fail ${a.fail}, unknown ${a.unknown}`,
    );
    const q = check.ops.queue;
    const m = check.messages;
    if (q.ok + q.fail + q.unknown > 0) {
      lines.push(`  messages sent ${q.ok}, fail ${q.fail}, unknown ${q.unknown}: processed ${m.processed}, dead-lettered ${m.deadLettered}, still queued ${m.queued}, ${m.lost > 0 ? paint(RED, `lost ${m.lost}`) : 'lost 0'}, duplicated ${m.duplicated}`);
    }
    if (e.accepted > 0) {
      lines.push(`  events ${e.accepted}: delivered ${e.delivered}, with function error ${e.deliveredWithError}, dead-lettered ${e.deadLettered}, pending ${e.pending}, ${e.lost > 0 ? paint(RED, `lost ${e.lost}`) : 'lost 0'}`);
    }
    if (check.duplicates.count > 0) lines.push(`  duplicates ${check.duplicates.count}: ${check.duplicates.ids.slice(0, 5).join(', ')}`);
    // Stochastic failures can make thousands of detections: the first ten, then a count.
    const listed = check.detection.slice(0, 10);
    for (const d of listed) {
      const undetected = d.alreadyDownAt === undefined ? 'never marked down' : `not measured: already down when the fault began`;
      lines.push(`  detection ${d.faultId} ${d.zone ?? d.nodeId}: ${d.detectionMs === undefined ? undetected : formatDuration(d.detectionMs)}`);
    }
    if (check.detection.length > listed.length) {
      const measured = check.detection.filter((d) => d.detectionMs !== undefined).map((d) => d.detectionMs!);
      const worst = measured.length > 0 ? `, the longest ${formatDuration(Math.max(...measured))}` : '';
      const already = check.detection.filter((d) => d.detectionMs === undefined && d.alreadyDownAt !== undefined).length;
      const never = check.detection.length - measured.length - already;
      lines.push(`  ... ${check.detection.length - listed.length} more detections (${never} of all never marked down, ${already} already down when their fault began${worst})`);
    }
    // Older results (before issue 18) have no availability section.
    if (check.availability) lines.push(...availabilityLines(check.availability));
    for (const note of check.anomalies) lines.push(`  note: ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

const pct2 = (x: number): string => `${(Math.round(x * 10_000) / 100).toFixed(2)}%`;

/** The availability lines of the verdict: the whole run, then at most a few incidents (the rest counted). */
function availabilityLines(a: Availability): string[] {
  const o = a.overall;
  if (o.ops === 0 || o.successRatio === null) return [];
  const nines = o.nines === null ? 'no failure' : `${o.nines.toFixed(1)} nines`;
  const budget = o.errorBudgetBurned === null ? '' : `, ${pct2(o.errorBudgetBurned)} of the error budget burned`;
  const goodput = o.goodputPerSecond === null ? '' : `; goodput ${o.goodputPerSecond.toFixed(1)}/s`;
  const lines = [`  availability ${pct2(o.successRatio)} (${nines}) against an SLO of ${pct2(a.slo)}${budget}${goodput}`];
  const shown = a.incidents.slice(0, 5);
  for (const i of shown) {
    const recovery = i.recoveredAt === undefined ? (i.endAt === undefined ? 'not healed in the run' : 'never recovered after it was healed') : `recovered ${formatDuration(i.recoveryMs!)} after it began (${formatDuration(i.recoveryAfterHealMs ?? 0)} after it was healed)`;
    const tenants = i.tenantsAffected === i.functionsAffected ? '' : ` of ${i.tenantsAffected} tenant${i.tenantsAffected === 1 ? '' : 's'}`;
    lines.push(`  incident ${i.faultId}: ${recovery}; ${i.affected} requests affected, ${i.functionsAffected} function${i.functionsAffected === 1 ? '' : 's'}${tenants}`);
  }
  if (a.incidents.length > shown.length) {
    const never = a.incidents.filter((i) => i.endAt !== undefined && i.recoveredAt === undefined).length;
    lines.push(`  ... ${a.incidents.length - shown.length} more incidents (${never} of all never recovered); verdict.json has each`);
  }
  return lines;
}
