import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { replayedBody } from '../auth/replayed-request.js';
import { invalidRequestContent, requestTooLarge } from '../errors.js';

/** A request body read whole. */
export interface ReceivedBody {
  /**
   * The bytes. A body of more than a few KiB has an `ArrayBuffer` of its own (never a slice of
   * Node's shared pool), so it can be handed to a worker thread without a copy.
   */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the bytes, when asked for: computed chunk by chunk as they arrived. */
  readonly sha256Hex?: string;
}

/** Options of {@link receiveBody}. */
export interface ReceiveBodyOptions {
  /** Hash the body as it arrives (SigV4 covers it) instead of in one pass at the end. @default false */
  sha256?: boolean;
}

/**
 * Reads a request body up to `limit` bytes. A larger body is refused as soon as the limit is
 * passed (from Content-Length when present), without buffering the rest.
 *
 * Nothing here is proportional to the body in one event-loop turn (issue 15, finding 4): each chunk
 * is copied into a buffer sized from Content-Length and, when asked, hashed as it arrives, so a
 * 67 MB CreateFunction costs the loop a few microseconds per 64 KiB chunk instead of one long hash
 * and concatenation at the end. A request whose body was already read (by the SigV4 check) hands
 * that body back, still bounded by this route's own `limit`.
 */
export function receiveBody(req: IncomingMessage, limit: number, operation: string, options: ReceiveBodyOptions = {}): Promise<ReceivedBody> {
  const tooLarge = () => requestTooLarge(`Request must be smaller than ${limit} bytes for the ${operation} operation`);
  const replayed = replayedBody(req);
  if (replayed !== undefined) {
    if (replayed.bytes.length > limit) return Promise.reject(tooLarge());
    return Promise.resolve(replayed);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const hash = options.sha256 ? createHash('sha256') : undefined;
    // Sized from Content-Length when it is there (it almost always is): one buffer of the body's
    // own, filled chunk by chunk. allocUnsafeSlow never hands out a slice of the shared pool.
    let whole = Number.isInteger(declared) && declared > 0 ? Buffer.allocUnsafeSlow(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        whole = undefined;
        reject(tooLarge());
        return;
      }
      hash?.update(chunk);
      if (whole !== undefined && size <= whole.length) chunk.copy(whole, size - chunk.length);
      else {
        // More than Content-Length said (Node's parser does not allow it, but be safe): collect.
        if (whole !== undefined) chunks.push(whole.subarray(0, size - chunk.length));
        whole = undefined;
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (failed) return;
      const bytes = whole !== undefined ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      resolve(hash ? { bytes, sha256Hex: hash.digest('hex') } : { bytes });
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Reads a request body up to `limit` bytes (see {@link receiveBody}). */
export async function readBody(req: IncomingMessage, limit: number, operation: string): Promise<Buffer> {
  return (await receiveBody(req, limit, operation)).bytes;
}

/**
 * Parses a JSON request body (an empty body is `{}`); a body that is not a JSON object is
 * `InvalidRequestContentException`, as Lambda answers it. Pure, so the upload worker runs the same
 * code on CreateFunction's large bodies.
 */
export function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') || '{}');
  } catch (err) {
    throw invalidRequestContent(`Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequestContent('Could not parse request body into json: the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Reads and parses a small JSON request body (see {@link parseJsonObject}). */
export async function readJsonObject(req: IncomingMessage, limit: number, operation: string): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(req, limit, operation));
}
