import { WireErrorCode } from '@zonesim/protocol';

/**
 * Errors of the environment layer. Each category has a stable `name` and a string `code`; callers
 * tell them apart by `code` (codes that cross the wire reuse {@link WireErrorCode} values).
 * User-code failures are never thrown: they come back as `function-error` results.
 */
export const EnvironmentErrorCode = {
  /** `invoke` was called while the environment was running another invocation. */
  Busy: 'ENVIRONMENT_BUSY',
  /** `invoke` was called on a discarded environment. */
  Dead: 'ENVIRONMENT_DEAD',
  /** The environment could not be created at all (spawn failure). */
  Failed: WireErrorCode.EnvironmentFailed,
  /** The zone node has no free slot or memory for another environment. */
  NodeAtCapacity: WireErrorCode.NodeAtCapacity,
  /** The pool was stopped. */
  NodeDraining: WireErrorCode.NodeDraining,
  /** An option failed validation. */
  InvalidOption: 'INVALID_OPTION',
} as const;
/** One of {@link EnvironmentErrorCode}. */
export type EnvironmentErrorCode = (typeof EnvironmentErrorCode)[keyof typeof EnvironmentErrorCode];

/** Misuse of one environment: busy or dead. */
export class EnvironmentStateError extends Error {
  override readonly name = 'EnvironmentStateError';
  constructor(
    readonly code: typeof EnvironmentErrorCode.Busy | typeof EnvironmentErrorCode.Dead,
    readonly environmentId: string,
    message: string,
  ) {
    super(message);
  }
}

/** The runtime could not be started (fork / Worker failed). */
export class EnvironmentSpawnError extends Error {
  override readonly name = 'EnvironmentSpawnError';
  readonly code = EnvironmentErrorCode.Failed;
  constructor(
    readonly environmentId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The pool cannot place another environment. */
export class NodeCapacityError extends Error {
  override readonly name = 'NodeCapacityError';
  constructor(
    readonly code: typeof EnvironmentErrorCode.NodeAtCapacity | typeof EnvironmentErrorCode.NodeDraining,
    message: string,
    readonly specKey?: string,
  ) {
    super(message);
  }
}

/** An option failed validation; `field` names it. */
export class EnvironmentSettingsError extends Error {
  override readonly name = 'EnvironmentSettingsError';
  readonly code = EnvironmentErrorCode.InvalidOption;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
