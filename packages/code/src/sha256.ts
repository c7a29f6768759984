/**
 * SHA-256 digests of deployment packages. Lambda reports `CodeSha256` as the base64 of the digest;
 * zonesim stores and addresses code by the hex form (safe as a file name), and converts between them
 * here.
 */
import { createHash } from 'node:crypto';
import { CodeStoreError, CodeStoreErrorCode } from './errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Lowercase hex SHA-256 of `data` (64 characters). */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Base64 SHA-256 of `data`, as Lambda's `CodeSha256` shows it. */
export function sha256Base64(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64');
}

/** Both forms of one SHA-256 of `data`, hashed once (a 50 MB package costs about 100 ms per pass). */
export function sha256Digests(data: Uint8Array): { hex: string; base64: string } {
  const digest = createHash('sha256').update(data).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
}

/** Bytes hashed per event-loop turn by {@link sha256HexInSlices}: about 2-3 ms of work. */
export const HASH_SLICE_BYTES = 1024 * 1024;

/**
 * Lowercase hex SHA-256 of `data`, hashed one {@link HASH_SLICE_BYTES} slice per event-loop turn,
 * so that a process with heartbeats to send (a zone node verifying a 50 MB package) never blocks
 * for the whole hash (issue 15, finding 4).
 */
export async function sha256HexInSlices(data: Uint8Array, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < data.length; at += HASH_SLICE_BYTES) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    hash.update(data.subarray(at, at + HASH_SLICE_BYTES));
  }
  return hash.digest('hex');
}

/** Converts a hex digest to Lambda's base64 form. */
export function sha256HexToBase64(hex: string): string {
  assertSha256Hex(hex);
  return Buffer.from(hex, 'hex').toString('base64');
}

/** True when `value` is a lowercase hex SHA-256 (what the store uses as a file name). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/**
 * Throws unless `value` is a lowercase hex SHA-256. Digests become path components in the store and
 * the cache, so anything else (`../x`, uppercase duplicates) is refused before touching the disk.
 * @throws CodeStoreError `INVALID_SHA256`
 */
export function assertSha256Hex(value: string): void {
  if (!isSha256Hex(value)) {
    throw new CodeStoreError(
      CodeStoreErrorCode.InvalidSha256,
      `Not a SHA-256 digest (expected 64 lowercase hex characters): ${JSON.stringify(String(value).slice(0, 80))}`,
      { sha256: String(value) },
    );
  }
}
