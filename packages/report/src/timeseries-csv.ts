import type { FinalRow } from './final-row.js';

/** Quotes a CSV field when it holds a comma, quote or line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const num = (x: number | null, digits: number): string => (x === null ? '' : String(Number(x.toFixed(digits))));

/** The fixed columns of `timeseries.csv`, before one `zone:<name>` column per zone. */
export const TIMESERIES_CSV_COLUMNS = [
  'time',
  'elapsed_s',
  'invocations',
  'successes',
  'function_errors',
  'service_errors',
  'errors',
  'throttles',
  'cold_starts',
  'p50_ms',
  'p99_ms',
  'in_flight',
  'cost_usd',
] as const;

/** The header line of `timeseries.csv`. */
export function timeseriesCsvHeader(zones: readonly string[]): string {
  return [...TIMESERIES_CSV_COLUMNS, ...zones.map((z) => `zone:${z}`)].map(csvField).join(',') + '\n';
}

/** One line of `timeseries.csv`; `start` is the run's first second (epoch ms), for `elapsed_s`. */
export function timeseriesCsvRow(r: FinalRow, start: number, zoneCount: number): string {
  const cells = [
    new Date(r.t).toISOString(),
    String((r.t - start) / 1000),
    String(r.invocations),
    String(r.successes),
    String(r.functionErrors),
    String(r.serviceErrors),
    String(r.functionErrors + r.serviceErrors),
    String(r.throttles),
    String(r.coldStarts),
    num(r.p50Ms, 3),
    num(r.p99Ms, 3),
    r.inFlight === null ? '' : String(r.inFlight),
    num(r.costUsd, 12),
  ];
  for (let i = 0; i < zoneCount; i++) cells.push(String(r.zones[i] ?? 0));
  return cells.join(',') + '\n';
}
