/**
 * @zonesim/protocol: the wire contract between the coordinator and zone nodes.
 *
 * It holds the message unions for each direction (`ZoneMessage`, `CoordinatorMessage`), the msgpackr
 * codec with its options pinned in one place, one validating parser per direction, the protocol
 * version, the wire error codes and the WebSocket close codes. It imports no other package of the
 * repository; every other package imports it.
 */
export { PROTOCOL_VERSION } from './version.js';
export { CloseCode, FATAL_CLOSE_CODES, MAX_CLOSE_REASON_BYTES, closeCodeName, closeReason } from './close-codes.js';
export { WireErrorCode, isWireErrorCode } from './error-codes.js';
export { WireError, toWireErrorData, fromWireErrorData } from './errors.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  MAX_IMAGE_PACKAGE_BYTES,
  MAX_IMAGE_UNPACKED_BYTES,
  MAX_LOG_LINE_CHARS,
  MAX_LOG_TAIL_BYTES,
  DEFAULT_STREAM_RESPONSE_LIMIT_BYTES,
  MAX_SYNC_PAYLOAD_BYTES,
  MAX_SYNC_RESPONSE_BYTES,
} from './limits.js';
export { MSGPACK_OPTIONS, MsgpackCodec, msgpackCodec, type Codec } from './codec.js';
export { ValueFrame, frameWireBytes, valueCodec } from './value-codec.js';
export type { DialEvents, Dialer, LinkConnection, LinkEvents } from './link-connection.js';
export { FunctionSpecSchema, IMAGE_RUNTIME, ImageRunConfigSchema, type FunctionSpec, type ImageRunConfig } from './function-spec.js';
export {
  FunctionErrorSchema,
  InvocationOutcome,
  type FunctionError,
  type InvocationTimings,
  type Placement,
} from './invocation.js';
export * from './messages.js';
export {
  parseCoordinatorFrame,
  parseZoneFrame,
  validateCoordinatorMessage,
  validateZoneMessage,
  type ParseResult,
} from './validate.js';
