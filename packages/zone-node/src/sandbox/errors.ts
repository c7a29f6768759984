/**
 * Errors of the sandbox layer, told apart by `code` (STYLE 10-11).
 */
export const SandboxErrorCode = {
  /** A sandbox option failed validation. */
  InvalidOption: 'INVALID_OPTION',
  /** `--sandbox on` (or `--cpu-model lambda`) asked for containment this machine cannot give. */
  Unavailable: 'SANDBOX_UNAVAILABLE',
} as const;
/** One of {@link SandboxErrorCode}. */
export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/** A sandbox option failed validation; `field` names it. */
export class SandboxSettingsError extends Error {
  override readonly name = 'SandboxSettingsError';
  readonly code = SandboxErrorCode.InvalidOption;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`zone-node option ${field}: ${message}`);
  }
}

/** The zone node was asked for containment the machine cannot give; `missing` says what is absent. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  readonly code = SandboxErrorCode.Unavailable;
  constructor(
    readonly missing: string[],
    message: string,
  ) {
    super(message);
  }
}
