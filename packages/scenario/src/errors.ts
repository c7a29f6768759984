/**
 * Errors of the scenario package, one class per category:
 *
 * - {@link ScenarioError}: something wrong in a scenario file. Always names the file, the line and
 *   column, and the field (`faults[1].at`). Loading collects every one of them in a list before
 *   anything starts; they are values, not thrown.
 * - {@link ScenarioLoadError}: thrown by {@link loadScenarioOrThrow} with the whole list.
 * - {@link RunFileError}: a run directory file (history, faults, zones, async-final) is malformed.
 *   Names the file, the line and the field.
 *
 * Across packages, tell errors apart by `code`, not `instanceof`.
 *
 * @module
 */

/** Stable error codes of this package. */
export const ScenarioErrorCode = {
  /** The file cannot be read. */
  File: 'SCENARIO_FILE',
  /** The file is not valid YAML (syntax, duplicate keys). */
  Yaml: 'SCENARIO_YAML',
  /** A field the format does not know. */
  UnknownField: 'SCENARIO_UNKNOWN_FIELD',
  /** A required field is absent. */
  MissingField: 'SCENARIO_MISSING_FIELD',
  /** A value of the wrong type, or out of range. */
  InvalidValue: 'SCENARIO_INVALID_VALUE',
  /** A duration that does not parse (`20x`) or is out of range. */
  Duration: 'SCENARIO_DURATION',
  /** A reference to a zone, node, function or fault that does not exist. */
  UnknownReference: 'SCENARIO_UNKNOWN_REFERENCE',
  /** Two functions, faults or hypotheses with the same name or id. */
  Duplicate: 'SCENARIO_DUPLICATE',
  /** `after` chains that loop. */
  Cycle: 'SCENARIO_CYCLE',
  /** A fault or workload entry that starts or ends outside the run. */
  OutsideRun: 'SCENARIO_OUTSIDE_RUN',
  /** A distribution whose parameters are not usable. */
  Distribution: 'SCENARIO_DISTRIBUTION',
  /** A referenced file (code, trace) is missing or not in the expected format. */
  Path: 'SCENARIO_PATH',
  /** A run-directory file is malformed. */
  RunFile: 'SCENARIO_RUN_FILE',
} as const;
/** One of {@link ScenarioErrorCode}. */
export type ScenarioErrorCode = (typeof ScenarioErrorCode)[keyof typeof ScenarioErrorCode];

/** One problem in a scenario file, with its place. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code: ScenarioErrorCode;
  /** The file as the caller named it (relative paths stay relative, as users typed them). */
  readonly file: string;
  /** 1-based line; 0 when the problem is the whole file. */
  readonly line: number;
  /** 1-based column; 0 when unknown. */
  readonly column: number;
  /** The field as a path, e.g. `faults[1].at`; empty for the whole file. */
  readonly field: string;
  /** The problem without the place, e.g. `"20x" is not a duration (use 500ms, 20s, 2m)`. */
  readonly detail: string;

  constructor(fields: { code: ScenarioErrorCode; file: string; line: number; column: number; field: string; detail: string }) {
    const where = fields.line > 0 ? `${fields.file}:${fields.line}:${fields.column}` : fields.file;
    super(`${where}: ${fields.field ? `${fields.field}: ` : ''}${fields.detail}`);
    this.code = fields.code;
    this.file = fields.file;
    this.line = fields.line;
    this.column = fields.column;
    this.field = fields.field;
    this.detail = fields.detail;
  }
}

/** Every problem of a scenario file at once (thrown by `loadScenarioOrThrow`). */
export class ScenarioLoadError extends Error {
  override readonly name = 'ScenarioLoadError';
  readonly code = 'SCENARIO_INVALID' as const;
  constructor(readonly errors: readonly ScenarioError[]) {
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} in the scenario:\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
}

/** A line of a run-directory file that is not what the format says. */
export class RunFileError extends Error {
  override readonly name = 'RunFileError';
  readonly code = ScenarioErrorCode.RunFile;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${detail}`, options);
  }
}

/** The list of errors as the terminal shows them, one per line. */
export function formatScenarioErrors(errors: readonly ScenarioError[]): string {
  return errors.map((e) => e.message).join('\n');
}
