/**
 * Errors of `zonesim calibrate` (issue 16): one class, told apart by `code`. Kept beside the
 * calibration code rather than in errors.ts because they are about a run's results, not about a
 * scenario file.
 */

/** Stable codes of {@link CalibrationError}. */
export const CalibrationErrorCode = {
  /** The results directory does not exist or is not a directory. */
  NoResults: 'CALIBRATE_NO_RESULTS',
  /** The directory holds no ledger (`ledger/ledger-NNNNNN.ndjson`). */
  NoLedger: 'CALIBRATE_NO_LEDGER',
  /** The ledger holds no attempt that ran function code (every one was throttled or failed in the platform). */
  NoRanAttempts: 'CALIBRATE_NO_RAN_ATTEMPTS',
  /** More distinct functions than the calibration keeps apart. */
  TooManyFunctions: 'CALIBRATE_TOO_MANY_FUNCTIONS',
  /** The scenario to rewrite is missing or not a valid scenario. */
  Scenario: 'CALIBRATE_SCENARIO',
  /** An option out of range. */
  Options: 'CALIBRATE_OPTIONS',
} as const;
/** One of {@link CalibrationErrorCode}. */
export type CalibrationErrorCode = (typeof CalibrationErrorCode)[keyof typeof CalibrationErrorCode];

/** Why a calibration could not be made; `path` names the directory or file at fault. */
export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
  constructor(
    readonly code: CalibrationErrorCode,
    readonly path: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
