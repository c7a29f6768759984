import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LatencyHistogram, RunFile, readEnvironmentTotals, readHistory, type CheckResult, type EnvironmentTotals, type Verdict } from '@zonesim/scenario';

/**
 * What a finished run's results directory says, read once for every tool that compares runs
 * (`zonesim sweep`, `scripts/compare-modes.sh`): the verdict with the checker's account, and the
 * report's counts and bill.
 */
export interface RunOutcome {
  verdict: Verdict;
  check: CheckResult;
  summary: RunSummaryCounts;
  /** `environments.json`: the zone nodes' idle memory and pre-warms (virtual runs; absent in real ones). */
  environments?: EnvironmentTotals;
}

/** Points of a run's latency distribution: the 0th, 1st, ... 100th percentile. */
export const LATENCY_ECDF_POINTS = 101;

/** The part of `report/summary.json` studies read. */
export interface RunSummaryCounts {
  counts: { attempts: number; invocations: number; coldStarts: number; retries: number; duplicates: number; byOutcome?: Record<string, number> };
  /** The same counts per function (absent in summaries written before the keep-alive study read them). */
  byFunction?: Record<string, RunSummaryCounts['counts']>;
  billing: { run: { usd: { total: number } } };
}

/** Reads `verdict.json`, `report/summary.json` and, when the run wrote one, `environments.json` of a finished run. */
export async function readRunOutcome(dir: string): Promise<RunOutcome> {
  const { verdict, check } = JSON.parse(await readFile(join(dir, 'verdict.json'), 'utf8')) as { verdict: Verdict; check: CheckResult };
  const summary = JSON.parse(await readFile(join(dir, 'report', 'summary.json'), 'utf8')) as RunSummaryCounts;
  const environments = await readEnvironmentTotals(join(dir, RunFile.Environments)).catch((err: NodeJS.ErrnoException) => {
    // A real run, or one from before issue 18's keep-alive study, has none.
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return { verdict, check, summary, ...(environments ? { environments } : {}) };
}

/**
 * The latency distribution of a run's operations after the warm-up (intended send to answer, every
 * result: what callers waited), as its 0th to 100th percentiles (within 0.1 %); null with no
 * operation. A study draws each cell's ECDF from these.
 */
export async function readLatencyPercentiles(dir: string, judgedFrom: number): Promise<number[] | null> {
  const histogram = new LatencyHistogram();
  for await (const op of readHistory(join(dir, RunFile.History))) {
    if (op.intendedAt >= judgedFrom) histogram.add(op.endedAt - op.intendedAt);
  }
  if (histogram.count === 0) return null;
  return Array.from({ length: LATENCY_ECDF_POINTS }, (_, p) => histogram.percentile(p)!);
}

/**
 * The metrics of a run, in the order of the columns of `runs.csv` and `cells.csv`. Each is a
 * number (rates as fractions, times in ms, money in USD) or null when the run did not measure it.
 */
export const RUN_METRICS = [
  ['passed', 'every hypothesis held (1) or not (0)'],
  ['successRate', 'ok / operations after the warm-up, every invocation type, fault windows included'],
  ['steadySuccessRate', 'ok / operations outside fault windows, after the warm-up'],
  ['faultSuccessRate', 'ok / operations inside fault windows'],
  ['afterSuccessRate', 'ok / operations sent once every fault had ended and settled: did the region recover?'],
  ['offeredPerSecond', 'operations per second the callers asked for after the warm-up (first calls)'],
  ['goodputPerSecond', 'operations per second that succeeded without a function error, after the warm-up'],
  ['callsPerOperation', 'calls the clients made per operation, retries included: the retry amplification'],
  ['nines', '-log10(1 - success ratio) after the warm-up (a function error is a success of the platform); empty when nothing failed'],
  ['errorBudgetBurned', 'failures / the failures the SLO allows (1 - slo of the requests): 1 is the whole budget'],
  ['incidents', 'faults of the run, scheduled or drawn (each an incident)'],
  ['unrecovered', 'incidents after whose heal the region never met its SLO again for 5 s (metastable)'],
  ['recoveryAfterHealMs', 'the longest time from an incident\'s heal to the region meeting its SLO again (recovered incidents)'],
  ['affectedPerIncident', 'failed requests from an incident\'s start to its recovery, mean over incidents'],
  ['blastRadius', 'functions with a failed request in an incident, mean over incidents'],
  ['blastRadiusTenants', 'tenants (the functions\' owners, functions[].tenant) with a failed request in an incident, mean over incidents'],
  ['p50Ms', 'latency of every operation after the warm-up, intended send to answer, median'],
  ['p99Ms', 'the same, 99th percentile'],
  ['operations', 'operations sent after the warm-up'],
  ['failed', 'operations after the warm-up that failed (5xx, timeouts, connection errors)'],
  ['throttles', '429 answers after the warm-up'],
  ['detectionMs', 'mean time from a kill, pause or partition to the coordinator marking its target down (for a gray failure: taking it out of placement), detected targets only'],
  ['detectionMaxMs', 'the longest of those'],
  ['undetected', 'fault targets never marked down (gray: never taken out of placement)'],
  ['detectionGapMs', 'mean time a fault went unnoticed: to its detection, or its whole length when never detected'],
  ['attempts', 'ledger records: every attempt of the run, warm-up included'],
  ['coldStarts', 'attempts that ran INIT'],
  ['coldStartRate', 'cold starts / attempts that ran (neither throttled nor a service error)'],
  ['p75FunctionColdStartRate', 'the 75th percentile over functions of each function\'s cold-start rate (the ATC\'20 paper\'s 3rd quartile of application cold-start percentages)'],
  ['idleMemoryGbSeconds', 'memory x time of environments loaded and idle (kept, pre-warmed, provisioned), GB-s: the ATC\'20 wasted memory time (virtual runs)'],
  ['prewarms', 'environments the keep-alive policy loaded ahead of an expected invocation (virtual runs)'],
  ['retries', 'attempts past the first'],
  ['duplicates', 'async events and queue messages delivered more than once'],
  ['eventsLost', 'accepted async events neither delivered nor dead-lettered'],
  ['deadLettered', 'async events dead-lettered'],
  ['costUsd', 'the run\'s Lambda-style bill, provisioned concurrency included'],
] as const;

export type RunMetricName = (typeof RUN_METRICS)[number][0];

/** One run's metrics and hypotheses, flat. */
export interface RunMetrics {
  metrics: Record<RunMetricName, number | null>;
  /** Hypothesis id -> held. */
  hypotheses: Record<string, boolean>;
}

/** The flat metrics of a run (see {@link RUN_METRICS}). */
export function runMetrics(outcome: RunOutcome): RunMetrics {
  const { verdict, check, summary } = outcome;
  const all = check.windows['all'];
  const loadEnd = check.run?.loadEndAt;
  const judgedSeconds = loadEnd !== undefined && loadEnd > check.judgedFrom ? (loadEnd - check.judgedFrom) / 1000 : undefined;
  const detections = check.detection.filter((d) => d.alreadyDownAt === undefined);
  const detected = detections.map((d) => d.detectionMs).filter((ms): ms is number => typeof ms === 'number');
  const metrics: Record<RunMetricName, number | null> = {
    passed: verdict.status === 'pass' ? 1 : 0,
    successRate: all?.successRate ?? null,
    steadySuccessRate: check.windows['steady']?.successRate ?? null,
    faultSuccessRate: check.windows['faults']?.successRate ?? null,
    afterSuccessRate: check.faults.length > 0 ? (check.windows['after']?.successRate ?? null) : null,
    offeredPerSecond: all && judgedSeconds ? all.ops / judgedSeconds : null,
    goodputPerSecond: all && judgedSeconds ? (all.ok - all.functionErrors) / judgedSeconds : null,
    // Runs from before windows counted calls have no attempts: one call per operation.
    callsPerOperation: all && all.ops > 0 ? (all.attempts ?? all.ops) / all.ops : null,
    p50Ms: all?.latency?.p50 ?? null,
    p99Ms: all?.latency?.p99 ?? null,
    operations: all?.ops ?? null,
    failed: all?.fail ?? null,
    throttles: all?.throttles ?? null,
    detectionMs: detected.length > 0 ? detected.reduce((a, b) => a + b, 0) / detected.length : null,
    detectionMaxMs: detected.length > 0 ? Math.max(...detected) : null,
    undetected: detections.length > 0 ? detections.length - detected.length : null,
    detectionGapMs: detectionGap(check, detections),
    ...availabilityMetrics(check),
    attempts: summary.counts.attempts,
    coldStarts: summary.counts.coldStarts,
    coldStartRate: coldStartRate(summary.counts),
    p75FunctionColdStartRate: p75FunctionColdStartRateOf(summary.byFunction),
    idleMemoryGbSeconds: outcome.environments ? outcome.environments.idleMemoryMbSeconds / 1024 : null,
    prewarms: outcome.environments?.prewarms ?? null,
    retries: summary.counts.retries,
    duplicates: check.duplicates.count,
    eventsLost: check.events.lost,
    deadLettered: check.events.deadLettered,
    costUsd: summary.billing.run.usd.total,
  };
  return { metrics, hypotheses: Object.fromEntries(verdict.results.map((r) => [r.id, r.holds])) };
}

/** Mean of each detection's time to detection, or its fault's whole length (to the load's end at most) when never detected. */
function detectionGap(check: CheckResult, detections: CheckResult['detection']): number | null {
  if (detections.length === 0) return null;
  const endOf = new Map(check.faults.map((f) => [f.id, f.endAt ?? check.run?.loadEndAt]));
  let sum = 0;
  for (const d of detections) {
    const end = endOf.get(d.faultId) ?? d.startAt;
    sum += d.detectionMs ?? Math.max(0, end - d.startAt);
  }
  return sum / detections.length;
}

/** Cold starts over the attempts that ran (a throttle or a service error ran nothing). */
function coldStartRate(counts: RunSummaryCounts['counts']): number | null {
  const ran = counts.attempts - (counts.byOutcome?.['throttled'] ?? 0) - (counts.byOutcome?.['service-error'] ?? 0);
  return ran > 0 ? counts.coldStarts / ran : null;
}

/** The 75th percentile (nearest rank) of the functions' cold-start rates; null without per-function counts. */
function p75FunctionColdStartRateOf(byFunction: RunSummaryCounts['byFunction']): number | null {
  const rates = Object.values(byFunction ?? {})
    .map(coldStartRate)
    .filter((r): r is number => r !== null)
    .sort((a, b) => a - b);
  return rates.length > 0 ? rates[Math.ceil(0.75 * rates.length) - 1]! : null;
}

/** The availability metrics of a run's check (runs checked before issue 18's availability: all null). */
function availabilityMetrics(check: CheckResult): Pick<Record<RunMetricName, number | null>, 'nines' | 'errorBudgetBurned' | 'incidents' | 'unrecovered' | 'recoveryAfterHealMs' | 'affectedPerIncident' | 'blastRadius' | 'blastRadiusTenants'> {
  const a = check.availability as CheckResult['availability'] | undefined;
  if (!a) return { nines: null, errorBudgetBurned: null, incidents: null, unrecovered: null, recoveryAfterHealMs: null, affectedPerIncident: null, blastRadius: null, blastRadiusTenants: null };
  const healed = a.incidents.filter((i) => i.endAt !== undefined);
  const recovered = healed.map((i) => i.recoveryAfterHealMs).filter((ms): ms is number => ms !== undefined);
  const n = a.incidents.length;
  return {
    nines: a.overall.nines,
    errorBudgetBurned: a.overall.errorBudgetBurned,
    incidents: n,
    unrecovered: healed.length - recovered.length,
    recoveryAfterHealMs: recovered.length > 0 ? Math.max(...recovered) : null,
    affectedPerIncident: n > 0 ? a.incidents.reduce((x, i) => x + i.affected, 0) / n : null,
    blastRadius: n > 0 ? a.incidents.reduce((x, i) => x + i.functionsAffected, 0) / n : null,
    // Runs checked before tenants were counted have none: null rather than a wrong 0.
    blastRadiusTenants: n > 0 && a.incidents.every((i) => i.tenantsAffected !== undefined) ? a.incidents.reduce((x, i) => x + i.tenantsAffected, 0) / n : null,
  };
}
