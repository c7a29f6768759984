import type { Entropy } from '@zonesim/common';
import type { MessageAttribute } from './md5.js';

/** A message to store (validated by the caller). */
export interface NewMessage {
  messageId: string;
  queueId: number;
  body: string;
  /** Body plus attribute bytes, as SQS counts a message's size. */
  sizeBytes: number;
  attributes?: Record<string, MessageAttribute>;
  md5Body: string;
  md5Attributes?: string;
  senderId: string;
  traceHeader?: string;
  sentAt: number;
  visibleAt: number;
}

/** A message handed out by a receive. */
export interface ReceivedMessage {
  messageId: string;
  /** The handle that deletes or changes this receive (a newer receive makes it stale). */
  receiptHandle: string;
  body: string;
  attributes: Record<string, MessageAttribute> | undefined;
  md5Body: string;
  senderId: string;
  traceHeader: string | undefined;
  sentAt: number;
  /** This receive included (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  firstReceiveAt: number;
  /** True when an earlier receive may have been processed: this delivery may be a duplicate. */
  duplicate: boolean;
  /** The source queue's name when the message was moved here by a redrive policy. */
  deadLetterFrom: string | undefined;
}

/** Where a message ended up, for the admin API and a run's checker. */
export type MessageState = 'queued' | 'dead-lettered' | 'deleted' | 'expired' | 'purged';

/** One message's history, without its body. */
export interface MessageRecord {
  seq: number;
  messageId: string;
  queue: string;
  state: MessageState;
  sentAt: number;
  receiveCount: number;
  /** Receives by an event source mapping whose invocation succeeded for this message. */
  successes: number;
  /** Receives after an earlier receive that may have been processed. */
  duplicates: number;
  deadLetterFrom?: string;
  endedAt?: number;
}

/** A row of `messages` as better-sqlite3 returns it. */
export interface MessageRow {
  seq: number;
  message_id: string;
  queue_id: number;
  body: string;
  size_bytes: number;
  attributes: string | null;
  md5_body: string;
  md5_attributes: string | null;
  sender_id: string;
  trace_header: string | null;
  sent_at: number;
  visible_at: number;
  status: 'queued' | 'deleted' | 'expired' | 'purged';
  receive_count: number;
  first_receive_at: number | null;
  receipt_token: string | null;
  maybe_processed: number;
  successes: number;
  duplicates: number;
  dead_letter_from: string | null;
  ended_at: number | null;
}

/** Attributes as stored: JSON with binary values in base64. */
export function encodeAttributes(attributes: Record<string, MessageAttribute> | undefined): string | null {
  if (!attributes || Object.keys(attributes).length === 0) return null;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(attributes).map(([k, a]) => [k, { t: a.dataType, ...(a.stringValue !== undefined ? { s: a.stringValue } : {}), ...(a.binaryValue ? { b: a.binaryValue.toString('base64') } : {}) }]),
    ),
  );
}

export function decodeAttributes(text: string | null): Record<string, MessageAttribute> | undefined {
  if (text === null) return undefined;
  const raw = JSON.parse(text) as Record<string, { t: string; s?: string; b?: string }>;
  return Object.fromEntries(
    Object.entries(raw).map(([k, a]) => [k, { dataType: a.t, ...(a.s !== undefined ? { stringValue: a.s } : {}), ...(a.b !== undefined ? { binaryValue: Buffer.from(a.b, 'base64') } : {}) }]),
  );
}

/** What a receipt handle names: the queue, the message row and the receive. */
export interface Receipt {
  queueId: number;
  seq: number;
  token: string;
}

const RECEIPT_PREFIX = 'zq1';

/** A fresh receive token (one per receive: an older handle of the same message becomes stale). */
export function newReceiptToken(entropy: Entropy): string {
  return entropy.bytes(12).toString('base64url');
}

/** An opaque handle, as SQS's are: base64url of `zq1:<queue>:<seq>:<token>`. */
export function encodeReceipt(r: Receipt): string {
  return Buffer.from(`${RECEIPT_PREFIX}:${r.queueId}:${r.seq}:${r.token}`).toString('base64url');
}

/** The parts of a handle, or undefined when it is not one of ours. */
export function decodeReceipt(handle: string): Receipt | undefined {
  if (typeof handle !== 'string' || handle.length === 0 || handle.length > 1024) return undefined;
  const parts = Buffer.from(handle, 'base64url').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== RECEIPT_PREFIX) return undefined;
  const queueId = Number(parts[1]);
  const seq = Number(parts[2]);
  if (!Number.isSafeInteger(queueId) || !Number.isSafeInteger(seq) || !parts[3]) return undefined;
  return { queueId, seq, token: parts[3] };
}
