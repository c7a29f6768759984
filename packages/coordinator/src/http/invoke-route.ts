import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeCall, InvokeFront } from '../invocation/invoke-front.js';
import { readBody } from './body.js';

export { MAX_ASYNC_PAYLOAD_BYTES, MAX_CLIENT_CONTEXT_BYTES } from '../invocation/invoke-front.js';

/** What the invoke route needs from the coordinator. */
export interface InvokeRouteDeps {
  /** Lambda's Invoke as values in and out (checks, resolution, the invocation pipeline). */
  invokeFront: InvokeFront;
}

/**
 * `POST /2015-03-31/functions/{FunctionName}/invocations`: Lambda's Invoke over HTTP. A shell: it
 * reads the headers and the body (up to the limit of the invocation type, else 413) and writes the
 * answer {@link InvokeFront} gives; errors go to the front door's error answer.
 */
export async function handleInvoke(
  deps: InvokeRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawName: string,
  query: URLSearchParams,
  requestId: string,
): Promise<void> {
  const call = deps.invokeFront.parse(invokeCallOf(req, rawName, query));
  const body = await readBody(req, call.bodyLimit, 'Invoke');
  const answer = await deps.invokeFront.invoke(call, body, requestId);
  res.writeHead(answer.status, answer.headers);
  if (answer.body.length === 0) res.end();
  else res.end(answer.body);
}

/** What an Invoke request (or InvokeWithResponseStream) says before its body: the path, the query, the headers. */
export function invokeCallOf(req: IncomingMessage, rawName: string, query: URLSearchParams): InvokeCall {
  return {
    functionName: rawName,
    qualifier: query.get('Qualifier') ?? undefined,
    invocationType: headerOf(req, 'x-amz-invocation-type'),
    logType: headerOf(req, 'x-amz-log-type'),
    clientContext: headerOf(req, 'x-amz-client-context'),
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
