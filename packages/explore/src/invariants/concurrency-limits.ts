import type { LedgerRecord } from '@zonesim/ledger';
import type { Invariant, Violation } from './types.js';

interface Peak {
  peak: number;
  at: number;
}

/** The most intervals open at once (an end at the same instant as a start is counted first). */
function peakOf(intervals: ReadonlyArray<readonly [number, number]>): Peak {
  const points: Array<[number, number]> = [];
  for (const [start, end] of intervals) points.push([start, 1], [end, -1]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let best: Peak = { peak: 0, at: 0 };
  for (const [t, d] of points) {
    open += d;
    if (open > best.peak) best = { peak: open, at: t };
  }
  return best;
}

/** When an attempt held an environment: from INIT (a cold start) or the handler's start, to its end. */
function busyInterval(r: LedgerRecord): readonly [number, number] | undefined {
  const start = r.initStartAt ?? r.execStartAt;
  const end = r.execEndAt ?? r.initEndAt;
  return start === undefined || end === undefined || end < start ? undefined : [start, end];
}

/**
 * Reserved concurrency of each function, provisioned concurrency (invocations served by
 * provisioned environments) and the account's concurrency are never exceeded, judged from the
 * executions the ledger records.
 */
export const concurrencyLimits: Invariant = {
  name: 'concurrency-limits',
  description: 'reserved, provisioned and account concurrency are never exceeded',
  check({ scenario, records }) {
    const out: Violation[] = [];
    const all: Array<readonly [number, number]> = [];
    const byFunction = new Map<string, Array<readonly [number, number]>>();
    const provisioned = new Map<string, Array<readonly [number, number]>>();
    for (const r of records) {
      const interval = busyInterval(r);
      if (!interval) continue;
      all.push(interval);
      let list = byFunction.get(r.functionName);
      if (!list) byFunction.set(r.functionName, (list = []));
      list.push(interval);
      if (r.provisioned) {
        let p = provisioned.get(r.functionName);
        if (!p) provisioned.set(r.functionName, (p = []));
        p.push(interval);
      }
    }
    const account = peakOf(all);
    if (account.peak > scenario.cluster.accountConcurrency) {
      out.push({ invariant: this.name, message: `${account.peak} executions at once in the account, above its concurrency of ${scenario.cluster.accountConcurrency}`, at: account.at });
    }
    for (const fn of scenario.functions) {
      if (fn.reservedConcurrency !== undefined) {
        const p = peakOf(byFunction.get(fn.name) ?? []);
        if (p.peak > fn.reservedConcurrency) {
          out.push({ invariant: this.name, message: `${fn.name} ran ${p.peak} executions at once, above its reserved concurrency of ${fn.reservedConcurrency}`, at: p.at, ids: [fn.name] });
        }
      }
      if (fn.provisionedConcurrency !== undefined) {
        const p = peakOf(provisioned.get(fn.name) ?? []);
        if (p.peak > fn.provisionedConcurrency) {
          out.push({ invariant: this.name, message: `${fn.name} ran ${p.peak} executions at once on provisioned environments, above its provisioned concurrency of ${fn.provisionedConcurrency}`, at: p.at, ids: [fn.name] });
        }
      }
    }
    return out;
  },
};
