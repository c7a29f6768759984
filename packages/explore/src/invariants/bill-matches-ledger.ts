import { BillingAccumulator } from '@zonesim/ledger';
import { MAX_IDS, type Invariant, type Violation } from './types.js';

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The bill the coordinator kept live equals the bill of its ledger's records, and every attempt
 * has exactly one record: a request id and attempt number (per invocation type) appear once. A
 * coordinator that crashes loses the records its ledger had not written yet (at most one flush
 * interval's, as docs/limits.md says); those, counted at the crash, are the only allowed gap.
 */
export const billMatchesLedger: Invariant = {
  name: 'bill-matches-ledger',
  description: 'the bill equals the sum of the ledger; every attempt has exactly one record',
  check({ records, liveBills, unwrittenAtCrash, scenario }) {
    const out: Violation[] = [];
    const seen = new Set<string>();
    const twice: string[] = [];
    const fromLedger = new BillingAccumulator();
    for (const r of records) {
      const key = `${r.invocationType}:${r.requestId}:${r.attempt}`;
      if (seen.has(key)) twice.push(`${r.requestId}#${r.attempt}`);
      seen.add(key);
      fromLedger.add(r);
    }
    if (twice.length > 0) out.push({ invariant: this.name, message: `${twice.length} attempts have more than one ledger record`, ids: twice.slice(0, MAX_IDS) });
    // Only at detail `full` does the ledger hold a record per attempt.
    if (scenario.cluster.ledger !== 'full' || liveBills.length === 0) return out;
    const ledger = fromLedger.run();
    const live = liveBills.reduce((sum, b) => ({ attempts: sum.attempts + b.attempts, requests: sum.requests + b.requests, billedMs: sum.billedMs + b.billedMs, gbSeconds: sum.gbSeconds + b.gbSeconds }), { attempts: 0, requests: 0, billedMs: 0, gbSeconds: 0 });
    const differences: string[] = [];
    const lostAtCrash = unwrittenAtCrash.reduce((n, u) => n + u.unwritten, 0);
    for (const u of unwrittenAtCrash) {
      if (u.unwritten > u.withinFlushInterval) {
        out.push({ invariant: this.name, message: `a coordinator crash lost ${u.unwritten} ledger records it had not written, more than the ${u.withinFlushInterval} taken within the ledger's flush interval before it` });
      }
    }
    if (live.attempts !== ledger.attempts + lostAtCrash) {
      differences.push(`attempts ${live.attempts} live, ${ledger.attempts} in the ledger${lostAtCrash > 0 ? ` and ${lostAtCrash} unwritten at a crash` : ''}`);
    }
    if (lostAtCrash === 0) {
      if (live.requests !== ledger.requests) differences.push(`billed requests ${live.requests} live, ${ledger.requests} in the ledger`);
      if (live.billedMs !== ledger.billedMs) differences.push(`billed ms ${live.billedMs} live, ${ledger.billedMs} in the ledger`);
      if (!close(live.gbSeconds, ledger.gbSeconds)) differences.push(`GB-seconds ${live.gbSeconds} live, ${ledger.gbSeconds} in the ledger`);
    }
    if (differences.length > 0) out.push({ invariant: this.name, message: `the live bill and the ledger disagree: ${differences.join('; ')}` });
    return out;
  },
};
