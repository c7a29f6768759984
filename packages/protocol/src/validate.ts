import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Codec } from './codec.js';
import { WireErrorCode } from './error-codes.js';
import {
  DropEnvironmentsSchema,
  EnvironmentEvictedSchema,
  EnvironmentReadySchema,
  ErrorMessageSchema,
  HelloSchema,
  InvokeAcceptedSchema,
  InvokeRejectedSchema,
  InvokeResultSchema,
  InvokeChunkSchema,
  InvokeSchema,
  PingSchema,
  PongSchema,
  ProvisionSchema,
  KeepWarmSchema,
  DegradeSchema,
  ProvisionedStatusSchema,
  LogEventsSchema,
  WelcomeSchema,
  ZoneHeartbeatSchema,
  type CoordinatorMessage,
  type ZoneMessage,
} from './messages.js';

/** The outcome of parsing one frame: a valid message, or a wire error saying what was wrong. */
export type ParseResult<T> =
  | { ok: true; message: T }
  | { ok: false; code: typeof WireErrorCode.MalformedFrame | typeof WireErrorCode.InvalidMessage; reason: string };

type CheckTable = Record<string, TypeCheck<TSchema>>;

function compileTable(schemas: readonly TSchema[]): CheckTable {
  const table: CheckTable = Object.create(null);
  for (const schema of schemas) {
    const literal = (schema as unknown as { properties: { type: { const: string } } }).properties.type.const;
    table[literal] = TypeCompiler.Compile(schema);
  }
  return table;
}

// Compiled once: one checker per message type, looked up by the `type` tag, so a frame costs one
// property read plus one compiled check (no union search, and the error names the message type).
const ZONE_CHECKS = compileTable([
  HelloSchema,
  ZoneHeartbeatSchema,
  PongSchema,
  InvokeAcceptedSchema,
  InvokeResultSchema,
  InvokeChunkSchema,
  InvokeRejectedSchema,
  EnvironmentEvictedSchema,
  EnvironmentReadySchema,
  ProvisionedStatusSchema,
  LogEventsSchema,
]);
const COORDINATOR_CHECKS = compileTable([WelcomeSchema, PingSchema, InvokeSchema, DropEnvironmentsSchema, ProvisionSchema, KeepWarmSchema, DegradeSchema, ErrorMessageSchema]);

function check<T>(table: CheckTable, value: unknown): ParseResult<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: WireErrorCode.InvalidMessage, reason: 'frame is not a map' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, code: WireErrorCode.InvalidMessage, reason: 'frame has no string "type"' };
  }
  const checker = table[type];
  if (checker === undefined) {
    return { ok: false, code: WireErrorCode.InvalidMessage, reason: `unknown message type ${JSON.stringify(type.slice(0, 64))}` };
  }
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    const where = first ? `${first.path || '/'}: ${first.message}` : 'invalid';
    return { ok: false, code: WireErrorCode.InvalidMessage, reason: `${type} ${where}` };
  }
  return { ok: true, message: value as T };
}

function decodeFrame(codec: Codec, frame: Uint8Array): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: codec.decode(frame) };
  } catch (err) {
    return { ok: false, reason: `undecodable frame: ${(err as Error).message}` };
  }
}

/** Decodes and validates one frame received by the coordinator. Never throws. */
export function parseZoneFrame(codec: Codec, frame: Uint8Array): ParseResult<ZoneMessage> {
  const decoded = decodeFrame(codec, frame);
  if (!decoded.ok) return { ok: false, code: WireErrorCode.MalformedFrame, reason: decoded.reason };
  return check<ZoneMessage>(ZONE_CHECKS, decoded.value);
}

/** Decodes and validates one frame received by a zone node. Never throws. */
export function parseCoordinatorFrame(codec: Codec, frame: Uint8Array): ParseResult<CoordinatorMessage> {
  const decoded = decodeFrame(codec, frame);
  if (!decoded.ok) return { ok: false, code: WireErrorCode.MalformedFrame, reason: decoded.reason };
  return check<CoordinatorMessage>(COORDINATOR_CHECKS, decoded.value);
}

/** Validates an already-decoded value as a zone message (for tests and in-process links). */
export function validateZoneMessage(value: unknown): ParseResult<ZoneMessage> {
  return check<ZoneMessage>(ZONE_CHECKS, value);
}

/** Validates an already-decoded value as a coordinator message. */
export function validateCoordinatorMessage(value: unknown): ParseResult<CoordinatorMessage> {
  return check<CoordinatorMessage>(COORDINATOR_CHECKS, value);
}

export type { Static };
