import { SqsError, invalidParameter } from './errors.js';
import { attributeBytes, type MessageAttribute } from './md5.js';

/** What a sender gives for one message (already decoded from the wire). */
export interface SendInput {
  body: unknown;
  delaySeconds?: unknown;
  messageAttributes?: unknown;
  /** `MessageSystemAttributes.AWSTraceHeader.StringValue`, if sent. */
  traceHeader?: string;
}

/** A message checked against SQS's rules and the queue's size limit. */
export interface CheckedMessage {
  body: string;
  delaySeconds: number | undefined;
  attributes: Record<string, MessageAttribute> | undefined;
  sizeBytes: number;
}

/** SQS's most message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

// SQS allows #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]{1,250})?$/;

/** Checks one message as SQS does; throws SQS's error for the first problem. */
export function checkMessage(input: SendInput, maximumMessageSize: number): CheckedMessage {
  if (input.body === undefined || input.body === null) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (typeof input.body !== 'string') throw invalidParameter('MessageBody must be a string.');
  const body = input.body;
  if (body.length === 0) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (INVALID_CHARS.test(body)) {
    throw new SqsError('InvalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
  }
  let delaySeconds: number | undefined;
  if (input.delaySeconds !== undefined && input.delaySeconds !== null) {
    const d = input.delaySeconds;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 900) {
      throw invalidParameter(`Value ${String(d)} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
    }
    delaySeconds = d;
  }
  const attributes = checkAttributes(input.messageAttributes);
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes ?? {})) size += attributeBytes(name, a);
  if (size > maximumMessageSize) {
    throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${maximumMessageSize} bytes.`);
  }
  return { body, delaySeconds, attributes, sizeBytes: size };
}

/** Message attributes from the wire (`{Name: {DataType, StringValue | BinaryValue (base64)}}`). */
export function checkAttributes(raw: unknown): Record<string, MessageAttribute> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter('MessageAttributes must be a map of names to values.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameter(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`);
  }
  const out: Record<string, MessageAttribute> = {};
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(AWS\.|Amazon\.)/i.test(name)) {
      throw invalidParameter(`Message (user) attribute name '${name.slice(0, 256)}' is invalid.`);
    }
    const v = value as Record<string, unknown> | null;
    const dataType = v?.['DataType'];
    if (typeof dataType !== 'string' || !DATA_TYPE.test(dataType)) {
      throw invalidParameter(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (v?.['StringListValues'] !== undefined || v?.['BinaryListValues'] !== undefined) {
      throw new SqsError('UnsupportedOperation', `Message attribute list values in SendMessage are not supported (attribute '${name}').`);
    }
    if (dataType.startsWith('Binary')) {
      const b = v?.['BinaryValue'];
      if (typeof b !== 'string' || b.length === 0) throw invalidParameter(`Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`);
      out[name] = { dataType, binaryValue: Buffer.from(b, 'base64') };
    } else {
      const s = v?.['StringValue'];
      if (typeof s !== 'string' || s.length === 0) throw invalidParameter(`Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`);
      if (dataType.startsWith('Number') && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      if (INVALID_CHARS.test(s)) throw new SqsError('InvalidMessageContents', `Message attribute '${name}' contains invalid characters.`);
      out[name] = { dataType, stringValue: s };
    }
  }
  return out;
}

/** The attributes a receive returns: `All`, `.*`, exact names and `prefix.*` patterns (SQS's `MessageAttributeNames`). */
export function selectAttributes(attributes: Record<string, MessageAttribute> | undefined, names: readonly string[]): Record<string, MessageAttribute> | undefined {
  if (!attributes || names.length === 0) return undefined;
  const all = names.some((n) => n === 'All' || n === '.*');
  const picked = Object.entries(attributes).filter(([name]) =>
    all || names.some((n) => (n.endsWith('.*') ? name.startsWith(n.slice(0, -1)) : n === name)),
  );
  return picked.length === 0 ? undefined : Object.fromEntries(picked);
}
