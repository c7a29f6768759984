import type { SecondRow } from './run-collector.js';

/**
 * The rows between the two passes: pass 1 (the ledger) streams each closed second to a scratch
 * file, one compact JSON array a line, because the zone columns and the run's end are only known
 * when the ledger is done; pass 2 reads them back to write the CSV and the chart series.
 */
export function encodeSecondRow(r: SecondRow): string {
  return JSON.stringify([r.t, r.invocations, r.successes, r.functionErrors, r.serviceErrors, r.throttles, r.coldStarts, r.p50Ms, r.p99Ms, r.invocationCostUsd, r.zones]) + '\n';
}

/** The inverse of {@link encodeSecondRow}. */
export function decodeSecondRow(line: string): SecondRow {
  const a = JSON.parse(line) as [number, number, number, number, number, number, number, number | null, number | null, number, number[]];
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

/** A second as written to the CSV: the zones padded to every column, the gauges known at the end. */
export interface FinalRow extends SecondRow {
  /** Attempts received and not yet answered at the start of the second; null when unknown. */
  inFlight: number | null;
  /** The run's cost up to the end of the second: invocations plus provisioned concurrency accrued. */
  costUsd: number;
}
