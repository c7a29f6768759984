import { randomUUID, randomBytes } from 'node:crypto';
import { customAlphabet } from 'nanoid';

/** Lambda request ids are UUIDs. */
export function newRequestId(): string {
  return randomUUID();
}

const shortId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

/** A short, URL-safe id for sessions, environments and internal invocation ids. */
export function newShortId(prefix = ''): string {
  return prefix + shortId();
}

/** 32 lowercase hex characters, as in Lambda's log stream names. */
export function newHex32(): string {
  return randomBytes(16).toString('hex');
}
