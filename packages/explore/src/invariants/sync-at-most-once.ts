import { MAX_IDS, type Invariant } from './types.js';

/**
 * A synchronous invocation runs at most once. Lambda never retries a synchronous invocation that
 * may have run: a node that accepted it and was lost fails it for the caller, and only one that was
 * lost before accepting it is re-dispatched. Judged against what the environments were handed
 * (observed from outside the platform), not against the platform's own records.
 */
export const syncAtMostOnce: Invariant = {
  name: 'sync-at-most-once',
  description: 'a synchronous invocation never runs twice: one a node accepted is never re-dispatched, one that failed over never ran before',
  check({ records, executions }) {
    const syncIds = new Set<string>();
    for (const r of records) if (r.invocationType === 'RequestResponse') syncIds.add(r.requestId);
    const twice: string[] = [];
    let first: number | undefined;
    for (const id of syncIds) {
      const runs = executions.get(id);
      if (runs && runs.length > 1) {
        twice.push(`${id} (${runs.map((e) => e.nodeId).join(', ')})`);
        first = Math.min(first ?? Infinity, runs[1]!.at);
      }
    }
    if (twice.length === 0) return [];
    return [{ invariant: this.name, message: `${twice.length} synchronous invocations ran more than once`, ids: twice.slice(0, MAX_IDS), ...(first === undefined ? {} : { at: first }) }];
  },
};
