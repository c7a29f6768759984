import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_SYNC_PAYLOAD_BYTES } from '@zonesim/protocol';
import { urlMessage, type FunctionUrls } from '../triggers/function-urls.js';
import type { UrlResponse } from '../triggers/http-event.js';
import { readBody } from './body.js';

/**
 * The HTTP shell of function URLs: reads the request (413 past Lambda's 6 MB, before anything
 * runs; an unknown URL answers 404 without its body being read), hands it to `FunctionUrls.answer`
 * as values, and sends the answer with repeated headers kept.
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
  );
  send(res, answer, requestId);
}

function send(res: ServerResponse, a: UrlResponse, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of a.headers) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : k === 'set-cookie' ? [prev, v] : v;
  }
  headers['content-length'] = String(a.body.length);
  headers['x-amzn-requestid'] = requestId;
  res.writeHead(a.status, headers);
  res.end(a.body);
}
