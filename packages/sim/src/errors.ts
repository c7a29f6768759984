/**
 * Errors of the simulation package, one class per category:
 *
 * - {@link SimOptionsError}: an option is missing, out of range or of the wrong type. Names the field.
 * - {@link SimStateError}: the call does not fit the simulation's state (a run inside a run, a run
 *   after a callback failed).
 * - {@link SimRunError}: a run ended without its target settling: the virtual deadline passed
 *   (`SIM_DEADLINE`), nothing was left to run (`SIM_IDLE`), or an event's callback threw
 *   (`SIM_CALLBACK_FAILED`, the thrown value as `cause`).
 * - {@link SimLinkError}: a dial failed (`SIM_LINK_REFUSED`, `SIM_LINK_ABORTED`) or a frame was sent
 *   on a link that is gone (`SIM_LINK_CLOSED`).
 *
 * Across packages, tell errors apart by `code`, not `instanceof`.
 *
 * @module
 */

/** Stable error codes of this package. */
export const SimErrorCode = {
  /** An option is missing, out of range or of the wrong type. */
  InvalidOption: 'SIM_INVALID_OPTION',
  /** The call does not fit the simulation's state. */
  InvalidState: 'SIM_INVALID_STATE',
  /** The run reached its virtual deadline (`maxVirtualMs`) before its target settled. */
  Deadline: 'SIM_DEADLINE',
  /** No event was left to run and the target had not settled: it never will. */
  Idle: 'SIM_IDLE',
  /** An event's callback threw; the simulation stops, as a process would on an uncaught exception. */
  CallbackFailed: 'SIM_CALLBACK_FAILED',
  /** A dial was refused: a `refuse` toxic, or nothing listening. */
  LinkRefused: 'SIM_LINK_REFUSED',
  /** A dial was aborted through its signal before it completed. */
  LinkAborted: 'SIM_LINK_ABORTED',
  /** A frame was sent on an endpoint that is closed (or whose process was killed). */
  LinkClosed: 'SIM_LINK_CLOSED',
} as const;
/** One of the values of {@link SimErrorCode}. */
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

/** An option given to a simulation component is invalid. */
export class SimOptionsError extends Error {
  override readonly name = 'SimOptionsError';
  readonly code = SimErrorCode.InvalidOption;
  constructor(
    /** The option at fault, e.g. `maxVirtualMs` or `latency.upstream`. */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** The call does not fit the simulation's state. */
export class SimStateError extends Error {
  override readonly name = 'SimStateError';
  readonly code = SimErrorCode.InvalidState;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A run ended before its target settled; `virtualMs` is the simulation's time when it ended. */
export class SimRunError extends Error {
  override readonly name = 'SimRunError';
  constructor(
    readonly code: typeof SimErrorCode.Deadline | typeof SimErrorCode.Idle | typeof SimErrorCode.CallbackFailed,
    /** Virtual ms since the simulation's start when the run ended. */
    readonly virtualMs: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dial failed, or a frame could not be sent. `link` names the {@link SimLink}. */
export class SimLinkError extends Error {
  override readonly name = 'SimLinkError';
  constructor(
    readonly code: typeof SimErrorCode.LinkRefused | typeof SimErrorCode.LinkAborted | typeof SimErrorCode.LinkClosed,
    readonly link: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for any error of this package (by `code`, so it holds across package copies). */
export function isSimError(err: unknown): err is SimOptionsError | SimStateError | SimRunError | SimLinkError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(SimErrorCode) as string[]).includes(code);
}
