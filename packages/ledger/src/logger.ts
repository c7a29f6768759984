/**
 * The part of a pino logger the ledger uses. Any pino `Logger` (see `@zonesim/common`'s
 * `createLogger`) fits; tests pass a fake that collects lines.
 */
export interface LedgerLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const noopLogger: LedgerLogger = {
  warn() {},
  error() {},
  info() {},
};
