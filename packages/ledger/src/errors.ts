/**
 * Errors of the ledger package, one class per category:
 *
 * - {@link LedgerRecordError}: a ledger line or value is not a valid {@link LedgerRecord} (not JSON,
 *   or a field is missing or of the wrong type). Names the field; when read from disk, also the file
 *   and line.
 * - {@link LedgerOptionsError}: an option given to a ledger component is out of range. Names the field.
 * - {@link PriceTableError}: a price file cannot be used. Names the field (a JSON path) and the file.
 * - {@link LedgerStateError}: a saved state (`aggregate.json`, `detail.json`) cannot be used. Names
 *   the field (a JSON path) and the file.
 *
 * Across packages, tell errors apart by `code`, not `instanceof`.
 *
 * @module
 */

/** Stable error codes of this package. */
export const LedgerErrorCode = {
  /** A ledger line is not JSON. */
  MalformedRecord: 'LEDGER_MALFORMED_RECORD',
  /** A ledger value is JSON but not a valid record (missing field, wrong type, inconsistent fields). */
  InvalidRecord: 'LEDGER_INVALID_RECORD',
  /** A ledger line is longer than the reader's bound (a corrupt file, not a record). */
  LineTooLong: 'LEDGER_LINE_TOO_LONG',
  /** An option is out of range or of the wrong type. */
  InvalidOption: 'LEDGER_INVALID_OPTION',
  /** A price file is missing, not JSON, or fails validation. */
  InvalidPriceTable: 'LEDGER_INVALID_PRICE_TABLE',
  /** A saved aggregate or detail file is not JSON or not of the expected shape. */
  InvalidState: 'LEDGER_INVALID_STATE',
} as const;
/** One of the values of {@link LedgerErrorCode}. */
export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];

/** Where a bad record was found, when it was read from a ledger file. */
export interface RecordLocation {
  file?: string;
  /** 1-based line number within `file`. */
  line?: number;
}

/** A ledger line or value is not a valid record. */
export class LedgerRecordError extends Error {
  override readonly name = 'LedgerRecordError';
  readonly code: typeof LedgerErrorCode.MalformedRecord | typeof LedgerErrorCode.InvalidRecord | typeof LedgerErrorCode.LineTooLong;
  /** The offending field as a JSON pointer (e.g. `/billedMs`), when one field is at fault. */
  readonly field: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(
    code: LedgerRecordError['code'],
    message: string,
    fields: { field?: string; cause?: unknown } & RecordLocation = {},
  ) {
    const where = fields.file !== undefined ? ` (${fields.file}${fields.line !== undefined ? `:${fields.line}` : ''})` : '';
    super(message + where, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.code = code;
    this.field = fields.field;
    this.file = fields.file;
    this.line = fields.line;
  }
}

/** An option given to a ledger component is invalid. */
export class LedgerOptionsError extends Error {
  override readonly name = 'LedgerOptionsError';
  readonly code = LedgerErrorCode.InvalidOption;
  /** The option's name, e.g. `maxFileBytes`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** A price table cannot be used. */
export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
  readonly code = LedgerErrorCode.InvalidPriceTable;
  /** The offending field as a JSON pointer, e.g. `/duration/arm64/tiers/1/usdPerGbSecond`. */
  readonly field: string | undefined;
  /** The file it came from, when loaded from disk. */
  readonly file: string | undefined;

  constructor(message: string, fields: { field?: string; file?: string; cause?: unknown } = {}) {
    super(
      `${fields.file !== undefined ? `${fields.file}: ` : ''}${fields.field !== undefined ? `${fields.field}: ` : ''}${message}`,
      fields.cause !== undefined ? { cause: fields.cause } : undefined,
    );
    this.field = fields.field;
    this.file = fields.file;
  }
}

/** A saved state (the run's aggregate, the detail file) cannot be used. */
export class LedgerStateError extends Error {
  override readonly name = 'LedgerStateError';
  readonly code = LedgerErrorCode.InvalidState;
  /** The offending field as a JSON pointer, e.g. `/collector/billing/run/mbMs`. */
  readonly field: string | undefined;
  /** The file it came from, when read from disk. */
  readonly file: string | undefined;
  /** What is wrong, without the field and file. */
  readonly reason: string;

  constructor(reason: string, fields: { field?: string; file?: string; cause?: unknown } = {}) {
    super(
      `${fields.file !== undefined ? `${fields.file}: ` : ''}${fields.field !== undefined ? `${fields.field}: ` : ''}${reason}`,
      fields.cause !== undefined ? { cause: fields.cause } : undefined,
    );
    this.field = fields.field;
    this.file = fields.file;
    this.reason = reason;
  }
}

/** Runs `read`, naming `file` in a {@link LedgerStateError} it throws without one. */
export function inStateFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof LedgerStateError && err.file === undefined) {
      throw new LedgerStateError(err.reason, { ...(err.field !== undefined && { field: err.field }), file, ...(err.cause !== undefined && { cause: err.cause }) });
    }
    throw err;
  }
}

/** True when `err` is one of this package's errors (by `code`, so it works across copies of the package). */
export function isLedgerError(err: unknown): err is LedgerRecordError | LedgerOptionsError | PriceTableError | LedgerStateError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(LedgerErrorCode) as string[]).includes(code);
}
