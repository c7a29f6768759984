import { relative } from 'node:path';
import { ReportErrorCode, buildRunReport, loadPriceTable, type RunReportOptions } from '@zonesim/report';

/** Flags of `zonesim report`. */
export interface ReportFlags {
  out?: string;
  json?: boolean;
  prices?: string;
  freeTier?: boolean;
}

/**
 * `zonesim report DATA_DIR`: rebuilds summary.json, timeseries.csv and report.html from a
 * coordinator's data directory and prints the summary table (or, with `--json`, the summary and
 * the file paths). Exit code 1 when the directory holds no ledger.
 */
export async function runReportCommand(
  dataDir: string,
  flags: ReportFlags,
  options: { signal?: AbortSignal; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream } = {},
): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const reportOptions: RunReportOptions = {
    dataDir,
    ...(flags.out !== undefined && { outDir: flags.out }),
    ...(flags.freeTier && { freeTier: true }),
    ...(options.signal && { signal: options.signal }),
  };
  if (flags.prices !== undefined) reportOptions.prices = await loadPriceTable(flags.prices, { ...(options.signal && { signal: options.signal }) });
  let report;
  try {
    report = await buildRunReport(reportOptions);
  } catch (e) {
    if ((e as { code?: string }).code === ReportErrorCode.NoLedger) {
      err.write(`zonesim report: ${dataDir} has no ledger (expected ${(e as { file: string }).file}/ledger-NNNNNN.ndjson, written by a coordinator run with this data directory)\n`);
      return 1;
    }
    throw e;
  }
  if (flags.json) {
    out.write(JSON.stringify({ files: report.files, summary: report.summary }, null, 2) + '\n');
    return 0;
  }
  const show = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') || r === '' ? p : r;
  };
  out.write(report.table);
  out.write(`\nsummary     ${show(report.files.summary)}\ntime series ${show(report.files.timeseries)}\nHTML report ${show(report.files.html)}\n`);
  if (report.summary.input.truncatedLines > 0) err.write(`zonesim report: skipped ${report.summary.input.truncatedLines} ledger line(s) cut short by a crash\n`);
  return 0;
}
