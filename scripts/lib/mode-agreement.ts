/**
 * Agreement of the real and the virtual mode (issue 16): what is measured in a run's results
 * directory, the tolerances each metric is held to (one table, each with its reason), and the
 * comparison of a real run with a virtual run of the same scenario and seed, row by row.
 * Used by `scripts/compare-modes.ts` and `test/compare-modes.test.ts`; docs/virtual-time-agreement.md
 * publishes the table.
 */
import { join } from 'node:path';
import { readRunOutcome } from '@zonesim/research';
import { LatencyHistogram, RunFile, readHistory, type ResolvedScenario, type Verdict } from '@zonesim/scenario';

/** The zone watcher's poll (`DEFAULT_ZONE_POLL_MS` in @zonesim/runner): detection is measured to within one poll in both modes. */
export const ZONE_POLL_MS = 50;

/** What one run (real or virtual) measured, read from its results directory. */
export interface ModeMetrics {
  verdict: Verdict['status'];
  /** Hypothesis id -> whether it held. */
  hypotheses: Record<string, boolean>;
  /** `check.windows.all.successRate`: ok / ops after the warm-up, every invocation type, fault windows included. */
  successRate: number | null;
  /** Per fault target (`faultId/zone` or `faultId/node`): ms from the fault to the coordinator marking it down; null when never marked down. */
  detection: Record<string, number | null>;
  /** `report/summary.json` counts: every attempt of the run, warm-up included. */
  coldStarts: number;
  retries: number;
  /** Async events and queue messages delivered more than once (the checker's `duplicates.count`). */
  duplicates: number;
  /** Sync invocations after the warm-up, intended send to answer (what a caller waits), every result; null without sync load. */
  syncLatency: { count: number; p50: number; p99: number } | null;
  /** The run's bill, `billing.run.usd.total` (provisioned concurrency included). */
  costUsd: number;
}

/** What a tolerance rule may depend on besides the real value. */
export interface ToleranceContext {
  heartbeatMs: number;
}

/** How far the virtual value may be from the real one. */
export interface Tolerance {
  /** The bounds on virtual - real: it must lie in [-below, +above]; [0, 0] for equality. */
  bounds(real: number, virtual: number, ctx: ToleranceContext): { below: number; above: number };
  /** The rule in words, for the table. */
  text(ctx: ToleranceContext): string;
  /** Why this bound: what the real mode has that the virtual one does not (or the noise it measures). */
  reason: string;
}

const symmetric = (allowed: number): { below: number; above: number } => ({ below: allowed, above: allowed });

/** |virtual - real| within `rel` of the real value or `abs`, whichever is larger. */
const relOrAbs = (rel: number, abs: number, unit: string, reason: string): Tolerance => ({
  bounds: (real) => symmetric(Math.max(rel * Math.abs(real), abs)),
  text: () => `${rel * 100}% or ${abs}${unit}`,
  reason,
});

/**
 * A count of events drawn at random, independently in each mode: |virtual - real| within 25 % of
 * the real count, or 3, or three standard deviations of the difference of two such counts
 * (3 x sqrt(real + virtual), the Poisson approximation), whichever is largest.
 */
const countOfDraws = (reason: string): Tolerance => ({
  bounds: (real, virtual) => symmetric(Math.max(0.25 * Math.abs(real), 3, 3 * Math.sqrt(Math.abs(real) + Math.abs(virtual)))),
  text: () => '25% or 3 or 3 sd',
  reason,
});

/**
 * Every tolerance in one place. The real run is the reference: the bound is on |virtual - real|,
 * relative bounds are of the real value. Chosen from full and --quick runs on a 2-core machine
 * shared with other work (see docs/virtual-time-agreement.md for the numbers behind each).
 */
export const TOLERANCES = {
  verdict: {
    bounds: () => symmetric(0),
    text: () => 'equal',
    reason: 'the hypotheses are the scenario\'s claims; both modes must reach the same verdict on each',
  },
  successRate: {
    bounds: () => symmetric(0.01),
    text: () => '1 pp',
    reason:
      'failures come from the faults, which both modes apply at the same instants to the same targets; a few sync calls in flight in a killed or cut-off zone fail in one mode and not the other depending on which calls are running there at that instant, and gray failures are drawn independently in each mode (at these volumes, well under 1 pp of noise)',
  },
  detection: {
    bounds: (_real, _virtual, ctx) => symmetric(Math.max(250, ctx.heartbeatMs + ZONE_POLL_MS)),
    text: (ctx) => `${Math.max(250, ctx.heartbeatMs + ZONE_POLL_MS)} ms`,
    reason:
      'a timeout detection (pause, partition) ends at the first sweep after missLimit missed heartbeats, so it depends on the heartbeat phase at the fault, anywhere in one interval; the runner sees the mark at its next 50 ms poll; real detection adds OS scheduling delays (max(250 ms, heartbeat + poll))',
  },
  coldStarts: relOrAbs(
    0.25,
    3,
    '',
    'a cold start happens when a request finds no free environment, so the count follows concurrency, which follows latency: the real per-call cost (HTTP, loopback TCP, IPC) opens a few more environments in a burst; the time a real environment takes to be created is not covered (see KNOWN_DISAGREEMENTS)',
  ),
  retries: countOfDraws(
    'retries follow failed attempts: function errors, drawn per environment from a generator seeded with the environment id, and attempts lost with a zone; a real run\'s environment ids are random, so the two modes draw different errors and the counts differ by sampling noise (standard deviation about the square root of the count)',
  ),
  duplicates: countOfDraws(
    'a duplicate is an event run again after an attempt that was lost with a zone or timed out and finished anyway; how many depends on which attempts were in flight at the fault, and on the error draws that decided the retries (sampling noise as for retries)',
  ),
  syncP50: {
    // Asymmetric: the real mode's own costs only add latency, so a virtual p50 above the real one
    // has no such excuse and gets the tighter bound.
    bounds: (real) => ({ below: Math.max(0.25 * real, 10), above: Math.max(0.25 * real, 5) }),
    text: () => '-(25% or 10 ms) +(25% or 5 ms)',
    reason:
      'durations are drawn from the same distributions in both modes; the real mode adds a per-call cost the virtual one does not have (HTTP from the runner to the front door, the zone link WebSocket over loopback TCP through the runner fault proxy both ways, IPC with the environment process, timers firing late on a loaded event loop), measured 3 to 8 ms at p50 on 2 shared cores; a virtual p50 above the real one has no such cause',
  },
  syncP99: relOrAbs(
    0.5,
    50,
    ' ms',
    'the tail holds the cold starts and the calls caught by a fault; the real mode adds process spawn before INIT, HTTP, loopback TCP and CPU contention between environments and processes on 2 cores',
  ),
  cost: {
    bounds: (real) => symmetric(0.1 * Math.abs(real)),
    text: () => '10%',
    reason:
      'requests and billed duration follow the same load and the same duration distributions (drawn independently per environment: a sum over hundreds of invocations varies by a few %); retries, INIT of cold starts and attempts lost with a zone add or remove a little with timing',
  },
} as const satisfies Record<string, Tolerance>;

/**
 * Differences the virtual mode does not model yet, seen on this machine (docs/virtual-time-agreement.md
 * gives the numbers). A row listed here that is out of tolerance still fails: the table marks it
 * FAIL* and prints the reason, and the test marks its assertion `todo` with it. Remove an entry
 * once the virtual mode models what it names.
 */
export const KNOWN_DISAGREEMENTS: ReadonlyArray<{ metric: string; scenarios: readonly string[]; reason: string }> = [
  {
    metric: 'cold starts',
    // Seen out of tolerance in a full or a --quick run; the cause is in every scenario with load
    // from t = 0 (cold-start-storm starts idle and agrees).
    scenarios: ['az-power-loss', 'az-freeze', 'az-partition', 'async-retries-to-dlq', 'baseline', 'coordinator-restart', 'flapping-zone', 'gray-zone', 'slow-link'],
    reason:
      'virtual environments are created at once; a real one spends time between dispatch and INIT (fork of the runtime process, package unpack, sandbox), 142 ms at p50 and 327 ms at p90 (up to 824 ms) in the start-up burst of the first second (5 ms at p50 later, from spare runtimes), while the load keeps arriving: the real start-up opens about twice the environments, and later finds them warm where the virtual run opens a few more',
  },
  {
    metric: 'success rate',
    scenarios: ['coordinator-restart'],
    reason:
      'a coordinator restart is instantaneous in virtual time; the real one boots a Node.js process and reopens its SQLite files, so the front door is down 0.9 to 1.3 s longer (3.9 to 4.3 s instead of 3.0 s) and the calls of that time fail (connection refused)',
  },
  {
    metric: 'sync p99',
    scenarios: ['coordinator-restart'],
    reason:
      'the calls sent just after the real restart wait for the zone nodes to re-register with the new process (0.7 to 1.1 s), up to 0.8 s; about a fifth of the calls fail fast while the front door is down, so the p99 sits among those few slow calls; virtual time restarts the coordinator at once',
  },
  {
    metric: 'sync p50',
    scenarios: ['two-zones-down'],
    reason:
      'a real zone-node restart (a process to boot and re-register) keeps its zone out 0.9 to 1.6 s longer than the instantaneous virtual restart, two at once on 2 cores saturated by the surviving zone up to 6.5 s longer (14.5 s instead of 8 s); meanwhile the surviving zone runs at full utilisation (api 40/s x 150-250 ms on 8 environments, plus the worker), where the real per-call cost makes its queue grow faster; seen once in two full runs (p50 1,323 ms against 232 ms; the other run agreed, 246 ms)',
  },
  {
    metric: 'sync p50',
    scenarios: ['gray-zone'],
    reason:
      'the real run was slower on every zone and outside the fault window too (front-door platformOverhead p50 4.9 ms against 1.8 to 2.5 ms in the other real runs), after opening 25 environment processes in its first 0.5 s against 10 in virtual time: the cold-start difference above, paid as CPU contention on 2 cores',
  },
];

/** The reason a row of `scenario` and `metric` is known to disagree, if it is. */
export function knownDisagreement(scenario: string, metric: string): string | undefined {
  return KNOWN_DISAGREEMENTS.find((k) => k.metric === metric && k.scenarios.includes(scenario))?.reason;
}

/** One metric of one scenario, both modes. */
export interface AgreementRow {
  scenario: string;
  metric: string;
  /** Numbers for numeric metrics; `pass`/`fail`/`holds`/`fails` for verdicts; null when not measured. */
  real: number | string | null;
  virtual: number | string | null;
  /** virtual - real, numeric metrics only. */
  difference: number | null;
  /** The bound on |difference| on the side it fell (0 for equality); null for N/A. */
  allowed: number | null;
  tolerance: string;
  unit: 'pp' | 'ms' | 'usd' | '' | 'ratio';
  status: 'PASS' | 'FAIL' | 'N/A';
  /** Why a row is N/A or failed without numbers. */
  note?: string;
}

const TOLERANCE_KEYS = Object.keys(TOLERANCES) as Array<keyof typeof TOLERANCES>;
export type ToleranceKey = (typeof TOLERANCE_KEYS)[number];

/** The tolerance key a row's metric is judged by (`detection x/y` -> `detection`, `hypothesis x` -> `verdict`). */
export function toleranceKeyOf(metric: string): ToleranceKey {
  if (metric === 'verdict' || metric.startsWith('hypothesis ')) return 'verdict';
  if (metric.startsWith('detection ')) return 'detection';
  const byName: Record<string, ToleranceKey> = {
    'success rate': 'successRate',
    'cold starts': 'coldStarts',
    retries: 'retries',
    duplicates: 'duplicates',
    'sync p50': 'syncP50',
    'sync p99': 'syncP99',
    cost: 'cost',
  };
  const key = byName[metric];
  if (!key) throw new Error(`no tolerance for metric ${metric}`);
  return key;
}

/** Reads what {@link ModeMetrics} holds from a finished run's directory (verdict.json, report/summary.json, history.ndjson). */
export async function readModeMetrics(dir: string): Promise<ModeMetrics> {
  const { verdict, check, summary } = await readRunOutcome(dir);
  const detection: Record<string, number | null> = {};
  for (const d of check.detection) {
    // A target already down when the fault began has no detection to compare.
    if (d.alreadyDownAt !== undefined) continue;
    detection[`${d.faultId}/${d.zone ?? d.nodeId ?? '?'}`] = d.detectionMs ?? null;
  }
  const histogram = new LatencyHistogram();
  for await (const op of readHistory(join(dir, RunFile.History))) {
    if (op.invocation === 'sync' && op.intendedAt >= check.judgedFrom) histogram.add(op.endedAt - op.intendedAt);
  }
  return {
    verdict: verdict.status,
    hypotheses: Object.fromEntries(verdict.results.map((r) => [r.id, r.holds])),
    successRate: check.windows['all']?.successRate ?? null,
    detection,
    coldStarts: summary.counts.coldStarts,
    retries: summary.counts.retries,
    duplicates: check.duplicates.count,
    syncLatency: histogram.count === 0 ? null : { count: histogram.count, p50: histogram.percentile(50)!, p99: histogram.percentile(99)! },
    costUsd: summary.billing.run.usd.total,
  };
}

function numericRow(
  scenario: string,
  metric: string,
  unit: AgreementRow['unit'],
  real: number | null,
  virtual: number | null,
  ctx: ToleranceContext,
): AgreementRow {
  const tol = TOLERANCES[toleranceKeyOf(metric)];
  const base = { scenario, metric, real, virtual, unit, tolerance: tol.text(ctx) };
  if (real === null && virtual === null) return { ...base, difference: null, allowed: null, status: 'N/A', note: 'not measured in either mode' };
  if (real === null || virtual === null) {
    return { ...base, difference: null, allowed: null, status: 'FAIL', note: `measured only in the ${real === null ? 'virtual' : 'real'} mode` };
  }
  const difference = virtual - real;
  const { below, above } = tol.bounds(real, virtual, ctx);
  const allowed = difference < 0 ? below : above;
  // A hair of slack for floating point (cost in USD, rates).
  return { ...base, difference, allowed, status: Math.abs(difference) <= allowed * (1 + 1e-9) + 1e-12 ? 'PASS' : 'FAIL' };
}

function equalRow(scenario: string, metric: string, real: string | null, virtual: string | null): AgreementRow {
  const tolerance = TOLERANCES.verdict.text();
  if (real === null || virtual === null) {
    return { scenario, metric, real, virtual, difference: null, allowed: null, tolerance, unit: '', status: 'FAIL', note: `only in the ${real === null ? 'virtual' : 'real'} run` };
  }
  return { scenario, metric, real, virtual, difference: null, allowed: 0, tolerance, unit: '', status: real === virtual ? 'PASS' : 'FAIL' };
}

/**
 * The rows of one scenario: verdict and each hypothesis (equal), success rate, detection per fault
 * target, cold starts, retries, duplicates, sync p50 and p99, cost.
 */
export function compareMetrics(scenario: Pick<ResolvedScenario, 'name' | 'cluster'>, real: ModeMetrics, virtual: ModeMetrics): AgreementRow[] {
  const name = scenario.name;
  const ctx: ToleranceContext = { heartbeatMs: scenario.cluster.heartbeatMs };
  const rows: AgreementRow[] = [equalRow(name, 'verdict', real.verdict, virtual.verdict)];
  const holds = (h: boolean | undefined): string | null => (h === undefined ? null : h ? 'holds' : 'fails');
  for (const id of new Set([...Object.keys(real.hypotheses), ...Object.keys(virtual.hypotheses)])) {
    rows.push(equalRow(name, `hypothesis ${id}`, holds(real.hypotheses[id]), holds(virtual.hypotheses[id])));
  }
  rows.push(numericRow(name, 'success rate', 'ratio', real.successRate, virtual.successRate, ctx));
  for (const key of [...new Set([...Object.keys(real.detection), ...Object.keys(virtual.detection)])].sort()) {
    const r = real.detection[key];
    const v = virtual.detection[key];
    const row = numericRow(name, `detection ${key}`, 'ms', r ?? null, v ?? null, ctx);
    // Not detected (null) differs from not a detectable target in this run (undefined).
    if (r === undefined || v === undefined) row.note = `a fault target only in the ${r === undefined ? 'virtual' : 'real'} run`;
    else if (r === null && v === null) row.note = 'not marked down in either mode';
    rows.push(row);
  }
  rows.push(numericRow(name, 'cold starts', '', real.coldStarts, virtual.coldStarts, ctx));
  rows.push(numericRow(name, 'retries', '', real.retries, virtual.retries, ctx));
  rows.push(numericRow(name, 'duplicates', '', real.duplicates, virtual.duplicates, ctx));
  rows.push(numericRow(name, 'sync p50', 'ms', real.syncLatency?.p50 ?? null, virtual.syncLatency?.p50 ?? null, ctx));
  rows.push(numericRow(name, 'sync p99', 'ms', real.syncLatency?.p99 ?? null, virtual.syncLatency?.p99 ?? null, ctx));
  rows.push(numericRow(name, 'cost', 'usd', real.costUsd, virtual.costUsd, ctx));
  return rows;
}

function formatValue(v: number | string | null, unit: AgreementRow['unit']): string {
  if (v === null) return '-';
  if (typeof v === 'string') return v;
  switch (unit) {
    case 'ratio':
      return `${(v * 100).toFixed(2)}%`;
    case 'ms':
      return `${v.toFixed(1)} ms`;
    case 'usd':
      return `$${v.toFixed(7)}`;
    default:
      return String(v);
  }
}

function formatDifference(row: AgreementRow): string {
  const d = row.difference;
  if (d === null) return row.status === 'PASS' && row.allowed === 0 ? 'same' : row.status === 'FAIL' && row.allowed === 0 ? 'differ' : '-';
  const sign = d > 0 ? '+' : d < 0 ? '-' : '';
  const a = Math.abs(d);
  switch (row.unit) {
    case 'ratio':
      return `${sign}${(a * 100).toFixed(2)} pp`;
    case 'ms':
      return `${sign}${a.toFixed(1)} ms`;
    case 'usd': {
      const real = typeof row.real === 'number' ? row.real : 0;
      return real === 0 ? `${sign}$${a.toFixed(7)}` : `${sign}${((a / Math.abs(real)) * 100).toFixed(1)}%`;
    }
    default: {
      const real = typeof row.real === 'number' ? row.real : 0;
      return `${sign}${a}${real !== 0 ? ` (${sign}${((a / Math.abs(real)) * 100).toFixed(0)}%)` : ''}`;
    }
  }
}

/** The table's cells, one array per row (header first). */
export function tableCells(rows: readonly AgreementRow[]): string[][] {
  const out = [['scenario', 'metric', 'real', 'virtual', 'difference', 'tolerance', 'result']];
  for (const r of rows) {
    const known = r.status === 'FAIL' && knownDisagreement(r.scenario, r.metric) !== undefined;
    out.push([r.scenario, r.metric, formatValue(r.real, r.unit), formatValue(r.virtual, r.unit), formatDifference(r), r.tolerance, known ? 'FAIL*' : r.status]);
  }
  return out;
}

/** The rows as a plain-text table (columns padded). */
export function formatTable(rows: readonly AgreementRow[]): string {
  const cells = tableCells(rows);
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The rows as a Markdown table (for docs/virtual-time-agreement.md). */
export function formatMarkdownTable(rows: readonly AgreementRow[]): string {
  const [head, ...body] = tableCells(rows);
  const line = (c: string[]): string => `| ${c.join(' | ')} |`;
  return [line(head!), line(head!.map(() => '---')), ...body.map(line)].join('\n');
}

/** The reasons of the known disagreements among `rows` that failed, one line each (`* metric (scenarios): reason`). */
export function knownFailures(rows: readonly AgreementRow[]): string[] {
  const out: string[] = [];
  for (const k of KNOWN_DISAGREEMENTS) {
    const hit = rows.filter((r) => r.status === 'FAIL' && r.metric === k.metric && k.scenarios.includes(r.scenario)).map((r) => r.scenario);
    if (hit.length > 0) out.push(`* ${k.metric} (${hit.join(', ')}): ${k.reason}`);
  }
  return out;
}

/** Each tolerance with its reason, as Markdown list items. */
export function formatTolerances(ctx: ToleranceContext = { heartbeatMs: 200 }): string {
  return TOLERANCE_KEYS.map((k) => `- **${k}** (${TOLERANCES[k].text(ctx)}): ${TOLERANCES[k].reason}.`).join('\n');
}
