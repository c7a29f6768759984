/**
 * The work-aware half of the failure detector (issue 18): a node that keeps failing the invocations
 * it accepted is ejected from placement, whatever its heartbeats say. A gray failure (Huang et al.,
 * HotOS'17) is exactly that: the heartbeat detector sees a healthy node, callers see errors.
 * The rules are Envoy's outlier detection (consecutive_5xx and failure_percentage), on the
 * coordinator's own view of each node's answers; the ejection itself, its probation and the
 * doubling are Membership's, shared with the suspicion of nodes that refuse work.
 */

/** Settings of outlier ejection; absent means heartbeats only. */
export interface OutlierSettings {
  /** Failures in a row (no success between) after which a node is ejected. Envoy's consecutive_5xx. */
  consecutiveFailures: number;
  /** Share of failures, in percent, among at least `minRequests` answers within one interval, that ejects. */
  failurePercent: number;
  /** Answers an interval needs before its failure share counts. */
  minRequests: number;
  /** Length of one counting interval, ms. */
  intervalMs: number;
  /** The first ejection's length, ms; it doubles per ejection since the node last had a clean interval, at most 16 times. */
  ejectionMs: number;
  /** Most nodes ejected at once, in percent of the live nodes; at least one may always be ejected (as in Envoy). */
  maxEjectedPercent: number;
}

/** Defaults (docs/limits.md): Envoy's consecutive_5xx 5, failure_percentage with 50 % and 10 requests, a 30 s base ejection. */
export const DEFAULT_OUTLIER: OutlierSettings = {
  consecutiveFailures: 5,
  failurePercent: 50,
  minRequests: 10,
  intervalMs: 1_000,
  ejectionMs: 30_000,
  maxEjectedPercent: 10,
};

/** What the detector keeps of one node's answers (per session). */
export interface WorkRecord {
  failuresInARow: number;
  windowStartedAt: number;
  windowRequests: number;
  windowFailures: number;
  /** Failures since the session began. */
  failures: number;
  /** Ejections since the node last finished a clean interval; each doubles the next ejection. */
  ejections: number;
  /** Monotonic ms at which the current ejection ends (Membership sets it). */
  ejectedUntil: number | undefined;
}

export function newWorkRecord(): WorkRecord {
  return { failuresInARow: 0, windowStartedAt: 0, windowRequests: 0, windowFailures: 0, failures: 0, ejections: 0, ejectedUntil: undefined };
}

/** Why a node should be ejected, for the log and the placement trace. */
export type OutlierVerdict = { eject: false } | { eject: true; why: string };

/**
 * Counts one answer of a node to an invocation it accepted: `failed` is a platform failure the
 * caller saw (not a function error: those are the function's). Returns whether the node is now an
 * outlier. Pure: the time comes in.
 */
export function observeWork(s: OutlierSettings, r: WorkRecord, failed: boolean, now: number): OutlierVerdict {
  if (now - r.windowStartedAt >= s.intervalMs) {
    // A clean, busy interval forgives earlier ejections: the next one starts short again.
    if (r.windowRequests >= s.minRequests && r.windowFailures * 100 < s.failurePercent * r.windowRequests) r.ejections = 0;
    r.windowStartedAt = now;
    r.windowRequests = 0;
    r.windowFailures = 0;
  }
  r.windowRequests++;
  if (!failed) {
    r.failuresInARow = 0;
    return { eject: false };
  }
  r.failures++;
  r.windowFailures++;
  r.failuresInARow++;
  if (r.failuresInARow >= s.consecutiveFailures) return { eject: true, why: `${r.failuresInARow} failures in a row` };
  if (r.windowRequests >= s.minRequests && r.windowFailures * 100 >= s.failurePercent * r.windowRequests) {
    return { eject: true, why: `${r.windowFailures} of ${r.windowRequests} answers failed within ${s.intervalMs} ms` };
  }
  return { eject: false };
}

/**
 * After its ejection, a node is on probation: one more failure ejects it again (for twice as long),
 * and its interval starts afresh.
 */
export function startProbation(s: OutlierSettings, r: WorkRecord, now: number): void {
  r.ejectedUntil = undefined;
  r.failuresInARow = s.consecutiveFailures - 1;
  r.windowStartedAt = now;
  r.windowRequests = 0;
  r.windowFailures = 0;
}

/** How many nodes of `live` may be ejected at once. */
export function maxEjected(s: OutlierSettings, live: number): number {
  return Math.max(1, Math.floor((live * s.maxEjectedPercent) / 100));
}

/** Checks settings once (the error names the field). */
export function resolveOutlierSettings(partial: Partial<OutlierSettings>, prefix = 'outlier'): OutlierSettings {
  const s = { ...DEFAULT_OUTLIER, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as OutlierSettings;
  for (const name of ['consecutiveFailures', 'minRequests', 'intervalMs', 'ejectionMs'] as const) {
    if (!Number.isInteger(s[name]) || s[name] <= 0) throw new TypeError(`${prefix}.${name} must be a positive integer, got ${String(s[name])}`);
  }
  for (const name of ['failurePercent', 'maxEjectedPercent'] as const) {
    if (typeof s[name] !== 'number' || !(s[name] > 0) || s[name] > 100) throw new TypeError(`${prefix}.${name} must be a percentage above 0 and at most 100, got ${String(s[name])}`);
  }
  return s;
}
