import type { SecondRow } from '@zonesim/ledger';

/** A second as written to the CSV: the zones padded to every column, the gauges known at the end. */
export interface FinalRow extends SecondRow {
  /** Attempts received and not yet answered at the start of the second; null when unknown. */
  inFlight: number | null;
  /** The run's cost up to the end of the second: invocations plus provisioned concurrency accrued. */
  costUsd: number;
}
