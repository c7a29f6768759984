import type { ServerResponse } from 'node:http';
import { LambdaApiError, serviceException } from '../errors.js';

/** Sends a JSON body with Lambda's headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  res.end(text);
}

/** Sends an empty body. */
export function sendEmpty(res: ServerResponse, status: number, requestId: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': 0, 'x-amzn-requestid': requestId, ...headers });
  res.end();
}

/**
 * Sends an error the way Lambda does: the status, `x-amzn-ErrorType` (from which SDKs pick the
 * exception class), `x-amzn-RequestId`, and a small JSON body. Anything that is not a
 * {@link LambdaApiError} becomes a `ServiceException` without leaking internals.
 */
export function sendError(res: ServerResponse, err: unknown, requestId: string): void {
  const apiError = err instanceof LambdaApiError ? err : serviceException('An internal error occurred.', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'x-amzn-errortype': apiError.type };
  if (apiError.retryAfterSec !== undefined) headers['retry-after'] = String(apiError.retryAfterSec);
  sendJson(res, apiError.status, apiError.body(), requestId, headers);
}
