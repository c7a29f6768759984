import { LedgerStateError } from './errors.js';
import type { SecondRow } from './run-collector.js';

/**
 * One closed second of a {@link RunCollector}, one compact JSON array a line. The report streams
 * them to a scratch file between its two passes (the zone columns and the run's end are only
 * known when the ledger is done); a ledger at detail `sampled` or `aggregate` streams them to
 * `seconds.ndjson` beside its aggregate, where the report reads them instead of the records.
 */
export function encodeSecondRow(r: SecondRow): string {
  return JSON.stringify([r.t, r.invocations, r.successes, r.functionErrors, r.serviceErrors, r.throttles, r.coldStarts, r.p50Ms, r.p99Ms, r.invocationCostUsd, r.zones]) + '\n';
}

/** The inverse of {@link encodeSecondRow}; throws a {@link LedgerStateError} for a line that is not one. */
export function decodeSecondRow(line: string): SecondRow {
  let a: [number, number, number, number, number, number, number, number | null, number | null, number, number[]];
  try {
    a = JSON.parse(line);
  } catch (err) {
    throw new LedgerStateError('a per-second row is not JSON', { cause: err });
  }
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (
    !Array.isArray(a) ||
    a.length !== 11 ||
    ![0, 1, 2, 3, 4, 5, 6, 9].every((i) => num(a[i])) ||
    !(a[7] === null || num(a[7])) ||
    !(a[8] === null || num(a[8])) ||
    !Array.isArray(a[10]) ||
    !a[10].every(num)
  ) {
    throw new LedgerStateError(`not a per-second row: ${line.slice(0, 200)}`);
  }
  return {
    t: a[0],
    invocations: a[1],
    successes: a[2],
    functionErrors: a[3],
    serviceErrors: a[4],
    throttles: a[5],
    coldStarts: a[6],
    p50Ms: a[7],
    p99Ms: a[8],
    invocationCostUsd: a[9],
    zones: a[10],
  };
}
