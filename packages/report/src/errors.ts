/**
 * Errors of the report package, one class per category:
 *
 * - {@link ReportInputError}: the data directory cannot be reported on: no ledger, or a
 *   provisioned-concurrency or fault file with a bad line (names the file, line and field).
 * - {@link ReportOptionsError}: an option is out of range. Names the field.
 *
 * Ledger lines that fail validation surface as the ledger package's `LedgerRecordError`
 * (code `LEDGER_*`). Across packages, tell errors apart by `code`, not `instanceof`.
 *
 * @module
 */

/** Stable error codes of this package. */
export const ReportErrorCode = {
  /** `<dataDir>/ledger` is missing or holds no `ledger-NNNNNN.ndjson` file. */
  NoLedger: 'REPORT_NO_LEDGER',
  /** A line of `provisioned.ndjson` or `faults.ndjson` is not JSON or lacks a valid field. */
  InvalidInput: 'REPORT_INVALID_INPUT',
  /** An option is out of range or of the wrong type. */
  InvalidOption: 'REPORT_INVALID_OPTION',
} as const;
/** One of the values of {@link ReportErrorCode}. */
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

/** The data directory cannot be reported on. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
  readonly code: typeof ReportErrorCode.NoLedger | typeof ReportErrorCode.InvalidInput;
  /** The file at fault (or the directory searched, for `REPORT_NO_LEDGER`). */
  readonly file: string;
  /** 1-based line number, when one line is at fault. */
  readonly line: number | undefined;
  /** The offending field (e.g. `enabledAt`), when one field is at fault. */
  readonly field: string | undefined;

  constructor(
    code: ReportInputError['code'],
    message: string,
    fields: { file: string; line?: number; field?: string; cause?: unknown },
  ) {
    const where = `${fields.file}${fields.line !== undefined ? `:${fields.line}` : ''}`;
    super(`${where}: ${fields.field !== undefined ? `${fields.field}: ` : ''}${message}`, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.code = code;
    this.file = fields.file;
    this.line = fields.line;
    this.field = fields.field;
  }
}

/** An option given to the report builder is invalid. */
export class ReportOptionsError extends Error {
  override readonly name = 'ReportOptionsError';
  readonly code = ReportErrorCode.InvalidOption;
  /** The option's name, e.g. `maxChartPoints`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** True when `err` is one of this package's errors (by `code`, so it works across copies of the package). */
export function isReportError(err: unknown): err is ReportInputError | ReportOptionsError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(ReportErrorCode) as string[]).includes(code);
}
