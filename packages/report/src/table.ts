import type { AttemptCounts } from '@zonesim/ledger';
import type { RunSummary } from './summary.js';

/**
 * Renders rows as a plain aligned text table: numeric columns right-aligned, a rule under the
 * header. (The same idea as the CLI's `renderTable`, kept here so that the report package does not
 * depend on the CLI.)
 */
export function renderTextTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^(\$?-?[\d,]+(\.\d+)?%?|-|)$/.test(String(r[i] ?? ''))));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(headers), rule, ...cells.map(fmt)].join('\n') + '\n';
}

/** Dollars with 6 decimals: a simulated run costs fractions of a cent, and a column must line up. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(6)}`;
}

/** A percentage with one decimal, or `-` when there is nothing to divide. */
export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

/** Milliseconds with up to 1 decimal, or `-` when unknown. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

/** A time span as `1h 02m 03s`, `4m 05s` or `6.7 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

/** An epoch-ms time as `YYYY-MM-DD HH:MM:SS UTC`. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * The terminal summary of a run: a heading line, then per function and in total: invocations,
 * attempts, success rate, errors, throttles, cold starts, p50/p99 end to end and cost (its
 * provisioned-concurrency allocation included).
 */
export function renderRunTable(summary: RunSummary): string {
  const { run, counts, billing, latency } = summary;
  const lines: string[] = [];
  const window = run.start !== null && run.end !== null ? `${formatTime(run.start)} to ${formatTime(run.end)} (${formatDuration(run.durationSeconds)})` : 'empty ledger';
  lines.push(`Run: ${window}; prices ${summary.prices.region} as of ${summary.prices.asOf}${summary.prices.freeTier ? ', free tier applied' : ''}`);
  const row = (name: string, c: AttemptCounts, usd: number, e2e: { p50: number; p99: number } | undefined): Array<string | number> => [
    name,
    c.invocations,
    c.attempts,
    formatPercent(c.byOutcome.success, c.attempts),
    c.byOutcome['function-error'] + c.byOutcome['service-error'] + c.byOutcome.lost,
    c.byOutcome.throttled,
    c.coldStarts,
    formatMs(e2e?.p50),
    formatMs(e2e?.p99),
    formatUsd(usd),
  ];
  const functions = Object.keys(summary.byFunction).sort();
  const rows = functions.map((fn) =>
    row(fn, summary.byFunction[fn]!, billing.byFunction[fn]?.usd.total ?? 0, latency.byFunction[fn]?.endToEnd),
  );
  // Provisioned concurrency of a function that no record mentions is still in the total.
  for (const fn of Object.keys(billing.byFunction).sort()) {
    if (!(fn in summary.byFunction)) rows.push([fn, 0, 0, '-', 0, 0, 0, '-', '-', formatUsd(billing.byFunction[fn]!.usd.total)]);
  }
  rows.push(row('TOTAL', counts, billing.run.usd.total, latency.overall.endToEnd));
  lines.push(
    renderTextTable(['function', 'invocations', 'attempts', 'success', 'errors', 'throttles', 'cold starts', 'p50 ms', 'p99 ms', 'cost'], rows).trimEnd(),
  );
  const notes: string[] = [];
  if (counts.retries > 0 || counts.duplicates > 0) notes.push(`${counts.retries} retries, ${counts.duplicates} duplicate deliveries`);
  if (billing.run.usd.provisionedConcurrency > 0) notes.push(`provisioned concurrency ${formatUsd(billing.run.usd.provisionedConcurrency)} of the total`);
  const faultUsd = summary.faults.reduce((s, f) => s + f.cost.totalUsd, 0);
  if (summary.faults.length > 0) notes.push(`${summary.faults.length} fault window${summary.faults.length === 1 ? '' : 's'} cost ${formatUsd(faultUsd)} in retries, duplicates and cold starts`);
  if (notes.length > 0) lines.push(notes.join('; '));
  const detail = summary.input.detail;
  if (detail && detail.level !== 'full') {
    const written = detail.level === 'sampled' ? `${detail.recordsWritten} of ${summary.input.records} records written (sampled at ${detail.rate})` : 'no records written (aggregate)';
    lines.push(`Ledger: ${written}; totals ${detail.source === 'aggregate' ? 'from the saved aggregate' : 'from the written records'}${detail.exact ? ', exact' : ', NOT exact'}`);
  }
  if (detail && !detail.exact) for (const note of detail.notes) lines.push(`  ${note}`);
  return lines.join('\n') + '\n';
}
