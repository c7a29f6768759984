import type { HistoryOp } from './run-files.js';

/**
 * Availability as an operator or a researcher states it (issue 18): the success ratio and its
 * nines, the error budget an SLO allows and how much of it the run burned, goodput, and per incident
 * (each fault, scheduled or drawn) when it was detected, when the region recovered, how many
 * requests it affected and which functions and tenants it touched (its blast radius).
 */

/** Default success-ratio objective of `slo` (three nines). */
export const DEFAULT_SLO = 0.999;
/** A region has recovered once every second of this long after a moment meets the SLO (or every second left of the load, when less is left). */
export const RECOVERY_CONFIRM_MS = 5_000;
/** Functions (and tenants) listed per incident at most (the counts stay exact). */
const MAX_LISTED = 20;

/** Success ratio and what it means against the SLO. */
export interface AvailabilityStats {
  ops: number;
  /** Failed or unknown answers (a function error is the platform doing its job: not a failure). */
  failed: number;
  successRatio: number | null;
  /** -log10(1 - successRatio): 3 for 99.9 %; null with no failure (no finite number of nines) or no ops. */
  nines: number | null;
  /** Failures allowed by the SLO over these ops: (1 - slo) x ops. */
  errorBudget: number;
  /** failed / errorBudget: 1 is the whole budget; null with no budget. */
  errorBudgetBurned: number | null;
  /** Ops answered ok without a function error, per second of the judged time. */
  goodputPerSecond: number | null;
}

/** One fault, as an incident. */
export interface Incident {
  faultId: string;
  startAt: number;
  /** When the fault was healed; undefined when it lasted to the end. */
  endAt?: number;
  /** The first moment from which every second for {@link RECOVERY_CONFIRM_MS} met the SLO, at or after the fault's end; undefined: never. */
  recoveredAt?: number;
  /** recoveredAt - startAt. */
  recoveryMs?: number;
  /** recoveredAt - endAt: how long the failure outlived its trigger. */
  recoveryAfterHealMs?: number;
  /** Failed or unknown ops sent from the second the fault started to its recovery (or the end of the load), by whole seconds. */
  affected: number;
  /** The functions of those ops: the blast radius. */
  functionsAffected: number;
  functions: string[];
  /** The tenants (customers) owning those functions: the blast radius as customers feel it. */
  tenantsAffected: number;
  tenants: string[];
}

export interface Availability {
  slo: number;
  overall: AvailabilityStats;
  byFunction: Record<string, AvailabilityStats>;
  incidents: Incident[];
}

interface Counts {
  ops: number;
  failed: number;
  good: number;
}

const isFailure = (op: Pick<HistoryOp, 'result'>): boolean => op.result !== 'ok';

function stats(c: Counts, slo: number, judgedMs: number): AvailabilityStats {
  const ratio = c.ops === 0 ? null : (c.ops - c.failed) / c.ops;
  const budget = (1 - slo) * c.ops;
  return {
    ops: c.ops,
    failed: c.failed,
    successRatio: ratio,
    nines: ratio === null || c.failed === 0 ? null : -Math.log10(1 - ratio),
    errorBudget: budget,
    errorBudgetBurned: budget > 0 ? c.failed / budget : null,
    goodputPerSecond: judgedMs > 0 ? c.good / (judgedMs / 1000) : null,
  };
}

/**
 * Fed every operation of a run once (in any order), then the fault windows: the run's
 * {@link Availability}. Memory: per-second counts of the judged time and per-function counts.
 */
export class AvailabilityAccumulator {
  readonly #slo: number;
  readonly #judgedFrom: number;
  readonly #overall: Counts = { ops: 0, failed: 0, good: 0 };
  readonly #byFunction = new Map<string, Counts>();
  /** Second (from judgedFrom) -> ops, failed, and the functions of the failed ones (the blast radius). */
  readonly #seconds = new Map<number, { ops: number; failed: number; functions?: Set<string> }>();

  readonly #tenantOf: (fn: string) => string;

  /** `tenantOf`: the tenant owning a function (default: each function is its own tenant). */
  constructor(judgedFrom: number, slo = DEFAULT_SLO, tenantOf: (fn: string) => string = (fn) => fn) {
    this.#judgedFrom = judgedFrom;
    this.#slo = slo;
    this.#tenantOf = tenantOf;
  }

  add(op: Pick<HistoryOp, 'intendedAt' | 'result' | 'functionError' | 'function'>): void {
    if (op.intendedAt < this.#judgedFrom) return;
    const failed = isFailure(op);
    for (const c of [this.#overall, this.#counts(op.function)]) {
      c.ops++;
      if (failed) c.failed++;
      else if (op.functionError === undefined) c.good++;
    }
    const second = Math.floor((op.intendedAt - this.#judgedFrom) / 1000);
    let s = this.#seconds.get(second);
    if (!s) this.#seconds.set(second, (s = { ops: 0, failed: 0 }));
    s.ops++;
    if (failed) {
      s.failed++;
      (s.functions ??= new Set()).add(op.function);
    }
  }

  #counts(fn: string): Counts {
    let c = this.#byFunction.get(fn);
    if (!c) this.#byFunction.set(fn, (c = { ops: 0, failed: 0, good: 0 }));
    return c;
  }

  /** `faults`: each fault's window; `loadEndAt`: the end of the judged time. */
  result(faults: ReadonlyArray<{ id: string; startAt: number; endAt?: number }>, loadEndAt: number): Availability {
    const judgedMs = Math.max(0, loadEndAt - this.#judgedFrom);
    const lastSecond = Math.ceil(judgedMs / 1000);
    const meets = (second: number): boolean => {
      const s = this.#seconds.get(second);
      return !s || s.ops === 0 || (s.ops - s.failed) / s.ops >= this.#slo;
    };
    const confirm = Math.ceil(RECOVERY_CONFIRM_MS / 1000);
    const incidents = faults.map((f): Incident => {
      const from = Math.max(0, Math.ceil(((f.endAt ?? Infinity) - this.#judgedFrom) / 1000));
      let recoveredAt: number | undefined;
      if (f.endAt !== undefined) {
        // Near the end of the load the confirmation is what is left of it.
        for (let second = from; second < lastSecond; second++) {
          const window = Math.min(confirm, lastSecond - second);
          let ok = true;
          for (let k = 0; k < window && ok; k++) ok = meets(second + k);
          if (ok) {
            recoveredAt = Math.max(f.endAt, this.#judgedFrom + second * 1000);
            break;
          }
        }
      }
      // Counted by whole seconds of the judged time, from the fault's second to the recovery's.
      const until = Math.ceil(((recoveredAt ?? loadEndAt) - this.#judgedFrom) / 1000);
      const fns = new Set<string>();
      let affected = 0;
      for (let second = Math.max(0, Math.floor((f.startAt - this.#judgedFrom) / 1000)); second < until; second++) {
        const s = this.#seconds.get(second);
        if (!s || s.failed === 0) continue;
        affected += s.failed;
        for (const fn of s.functions!) fns.add(fn);
      }
      const tenants = new Set([...fns].map((fn) => this.#tenantOf(fn)));
      const incident: Incident = {
        faultId: f.id,
        startAt: f.startAt,
        affected,
        functionsAffected: fns.size,
        functions: [...fns].sort().slice(0, MAX_LISTED),
        tenantsAffected: tenants.size,
        tenants: [...tenants].sort().slice(0, MAX_LISTED),
      };
      if (f.endAt !== undefined) incident.endAt = f.endAt;
      if (recoveredAt !== undefined) {
        incident.recoveredAt = recoveredAt;
        incident.recoveryMs = recoveredAt - f.startAt;
        if (f.endAt !== undefined) incident.recoveryAfterHealMs = recoveredAt - f.endAt;
      }
      return incident;
    });
    return {
      slo: this.#slo,
      overall: stats(this.#overall, this.#slo, judgedMs),
      byFunction: Object.fromEntries([...this.#byFunction].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, c]) => [k, stats(c, this.#slo, judgedMs)])),
      incidents,
    };
  }
}
