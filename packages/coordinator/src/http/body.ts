import type { IncomingMessage } from 'node:http';
import { invalidRequestContent, requestTooLarge } from '../errors.js';

/**
 * Reads a request body up to `limit` bytes. A larger body is refused as soon as the limit is
 * passed (from Content-Length when present), without buffering the rest.
 */
export function readBody(req: IncomingMessage, limit: number, operation: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(requestTooLarge(`Request must be smaller than ${limit} bytes for the ${operation} operation`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(requestTooLarge(`Request must be smaller than ${limit} bytes for the ${operation} operation`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/**
 * Reads a JSON request body (an empty body is `{}`); a body that is not a JSON object is
 * `InvalidRequestContentException`, as Lambda answers it.
 */
export async function readJsonObject(req: IncomingMessage, limit: number, operation: string): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit, operation);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8') || '{}');
  } catch (err) {
    throw invalidRequestContent(`Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequestContent('Could not parse request body into json: the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
