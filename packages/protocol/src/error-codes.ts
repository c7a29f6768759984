/**
 * The one table of error codes that cross the wire. Processes tell errors apart by these codes,
 * never by `instanceof` (errors are data once they leave a process).
 */
export const WireErrorCode = {
  /** The frame was not valid msgpack. */
  MalformedFrame: 'MALFORMED_FRAME',
  /** The frame decoded but is not a known message, or a field is wrong. */
  InvalidMessage: 'INVALID_MESSAGE',
  /** The cluster token was missing or wrong. */
  Unauthorized: 'UNAUTHORIZED',
  /** The protocol versions differ. */
  VersionMismatch: 'VERSION_MISMATCH',
  /** The frame was larger than the link allows. */
  FrameTooLarge: 'FRAME_TOO_LARGE',
  /** The zone node has no room for another environment right now; the router tries elsewhere. */
  NodeAtCapacity: 'NODE_AT_CAPACITY',
  /** The zone node could not fetch or unpack the function's code. */
  CodeUnavailable: 'CODE_UNAVAILABLE',
  /** The zone node is draining and accepts no new work. */
  NodeDraining: 'NODE_DRAINING',
  /** The execution environment could not be created (spawn failure, not a user-code error). */
  EnvironmentFailed: 'ENVIRONMENT_FAILED',
  /** The invocation reached the zone node after its `acceptBy` time; it did not run. */
  DispatchExpired: 'DISPATCH_EXPIRED',
  /** The link to the zone node closed while the request was in flight. */
  LinkLost: 'LINK_LOST',
  /** Anything else. */
  Internal: 'INTERNAL',
} as const;

/** One of the values of {@link WireErrorCode}. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(WireErrorCode));

/** True when `code` is one of {@link WireErrorCode}. */
export function isWireErrorCode(code: string): code is WireErrorCode {
  return KNOWN_CODES.has(code);
}
