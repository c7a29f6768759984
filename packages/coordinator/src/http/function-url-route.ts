import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import { urlMessage, type FunctionUrls } from '../triggers/function-urls.js';
import type { UrlResponse } from '../triggers/http-event.js';
import type { UrlStreamOut } from '../triggers/url-response-stream.js';
import { readBody } from './body.js';

/**
 * The HTTP shell of function URLs: reads the request (413 past Lambda's 6 MB, before anything
 * runs; an unknown URL answers 404 without its body being read), hands it to `FunctionUrls.answer`
 * as values, and sends the answer with repeated headers kept, or streams it (`RESPONSE_STREAM`).
 */
export async function serveFunctionUrl(
  urls: FunctionUrls,
  req: IncomingMessage,
  res: ServerResponse,
  target: { urlId: string; rawPath: string; rawQuery: string },
  requestId: string,
): Promise<void> {
  if (!urls.has(target.urlId)) {
    req.resume();
    return send(res, urlMessage(404, null), requestId);
  }
  let body: Buffer;
  try {
    body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES, 'function URL');
  } catch {
    return send(res, urlMessage(413, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation'), requestId);
  }
  // A RESPONSE_STREAM URL's head and bytes leave as the function writes them (chunked encoding).
  const out: UrlStreamOut = {
    head: (status, headers) => {
      res.writeHead(status, { ...grouped(headers), 'x-amzn-requestid': requestId });
      res.flushHeaders();
    },
    write: (data) => {
      if (!res.destroyed) res.write(data);
    },
  };
  const answer = await urls.answer(
    {
      ...target,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket?.remoteAddress ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
    },
    requestId,
    out,
  );
  if (answer === 'streamed') res.end();
  // The function or the platform failed after the head went out: the body is cut short, not ended.
  else if (answer === 'cut') res.destroy();
  else send(res, answer, requestId);
}

/** Header pairs as Node takes them: repeats of `set-cookie` kept, others the last one. */
function grouped(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : k === 'set-cookie' ? [prev, v] : v;
  }
  return headers;
}

function send(res: ServerResponse, a: UrlResponse, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = grouped(a.headers);
  headers['content-length'] = String(a.body.length);
  headers['x-amzn-requestid'] = requestId;
  res.writeHead(a.status, headers);
  res.end(a.body);
}
