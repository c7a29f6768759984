/**
 * WebSocket close codes used on the coordinator <-> zone-node link. 1000-1011 keep their RFC 6455
 * meaning; 4000-4999 are zonesim's own. A close always carries a short reason string as well.
 */
export const CloseCode = {
  /** Orderly shutdown of either end. */
  Normal: 1000,
  /** The process is going away (stop, restart). */
  GoingAway: 1001,
  /** A frame could not be decoded or failed validation. */
  Malformed: 1002,
  /** Authentication failed (wrong cluster token) or the peer broke a rule of the protocol. */
  Unauthorized: 1008,
  /** A frame exceeded the configured maximum frame size. */
  TooBig: 1009,
  /** An unexpected failure inside the closing end. */
  InternalError: 1011,
  /** The peer speaks another protocol version. */
  VersionMismatch: 4000,
  /** The zone node did not send `hello` in time. */
  HelloTimeout: 4001,
  /** Another live session already uses this node id; the newer one wins and the older is closed. */
  Superseded: 4002,
  /** The peer missed too many heartbeats. */
  HeartbeatTimeout: 4003,
  /** The first frame was not `hello`, or `hello` was sent twice. */
  HandshakeViolation: 4004,
} as const;

/** One of the values of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which a zone node must not reconnect: retrying cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.VersionMismatch,
]);

/** The name of a close code, for logs. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return `Unknown(${code})`;
}

/** RFC 6455 caps a close frame's reason at 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Cuts a close reason to at most 123 UTF-8 bytes without splitting a character: `ws` throws on a
 * longer reason, and reasons often quote peer-supplied text (found by the frame fuzzer).
 */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break;
    out += ch;
    bytes += size;
  }
  return out;
}
