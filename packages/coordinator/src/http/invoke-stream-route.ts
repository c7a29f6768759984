import type { IncomingMessage, ServerResponse } from 'node:http';
import { LambdaApiError, serviceException } from '../errors.js';
import type { InvokeFront, StreamEnding } from '../invocation/invoke-front.js';
import { readBody } from './body.js';
import { sendableContentType } from './header-values.js';
import { invokeCallOf } from './invoke-route.js';
import { invokeCompleteEvent, payloadChunkEvent } from './event-stream.js';
import { sendEmpty } from './respond.js';

/** What the streamed invoke route needs from the coordinator. */
export interface InvokeStreamRouteDeps {
  invokeFront: InvokeFront;
}

/**
 * `POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations`: Lambda's
 * InvokeWithResponseStream. The answer is 200 with an event stream: the function's bytes as
 * `PayloadChunk` events as soon as the zone node sends them, then one `InvokeComplete` (with the
 * function's error if it failed, and the log tail for `X-Amz-Log-Type: Tail`). `Content-Type` is
 * the function's response type (`application/octet-stream` unless the handler set one), which the
 * SDK reads as `ResponseStreamContentType`, so the head waits for the first bytes. Errors before
 * any byte (404, 429, a lost zone) are Lambda's error answers; after, they end the stream in
 * `InvokeComplete`.
 */
export async function handleInvokeWithResponseStream(
  deps: InvokeStreamRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawName: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const front = deps.invokeFront;
  const parsed = front.parseStream(invokeCallOf(req, rawName, query));
  const body = await readBody(req, parsed.bodyLimit, 'InvokeWithResponseStream');
  const prepared = front.prepare(parsed, body);
  const executed = { 'x-amz-executed-version': prepared.executedVersion };
  if (parsed.invocationType === 'DryRun') return sendEmpty(res, 204, requestId, executed);
  const head = (contentType: string): void => {
    if (res.headersSent) return;
    res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': requestId, ...executed });
    // The head and each event leave at once: a reader sees bytes as the function writes them.
    res.flushHeaders();
  };
  let ending: StreamEnding;
  try {
    ending = await front.runStream(prepared, requestId, (data, contentType) => {
      head(sendableContentType(contentType));
      if (!res.destroyed) res.write(payloadChunkEvent(data));
    });
  } catch (err) {
    if (!res.headersSent) throw err;
    // Bytes went out: the failure ends the stream instead of replacing it.
    const apiError = err instanceof LambdaApiError ? err : serviceException('An internal error occurred.', err);
    res.end(invokeCompleteEvent({ ErrorCode: apiError.type, ErrorDetails: apiError.message }));
    return;
  }
  head(sendableContentType(ending.contentType));
  if (ending.payload !== undefined && ending.payload.length > 0) res.write(payloadChunkEvent(ending.payload));
  res.end(
    invokeCompleteEvent({
      ...(ending.errorCode === undefined ? {} : { ErrorCode: ending.errorCode }),
      ...(ending.errorDetails === undefined ? {} : { ErrorDetails: ending.errorDetails }),
      ...(ending.logResult === undefined ? {} : { LogResult: ending.logResult }),
    }),
  );
}
