import type { IncomingMessage, ServerResponse } from 'node:http';
import { LambdaApiError } from '../errors.js';
import { SqsError, isSqsError } from '../queues/errors.js';
import type { QueueService } from '../queues/queue-service.js';
import { SQS_ACTIONS } from '../queues/sqs-json-actions.js';
import { readBody } from './body.js';

/** The `X-Amz-Target` prefix of SQS's JSON protocol. */
export const SQS_TARGET_PREFIX = 'AmazonSQS.';
/** SQS's JSON protocol content type. */
export const SQS_CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Largest SQS request body: ten 1 MiB messages with base64 attributes fit. */
export const MAX_SQS_REQUEST_BYTES = 16 * 1024 * 1024;

/** True for a request of the SQS JSON protocol (any path: SDKs post to the queue URL's origin). */
export function isSqsRequest(req: Pick<IncomingMessage, 'headers' | 'method'>): boolean {
  const target = req.headers['x-amz-target'];
  return req.method === 'POST' && typeof target === 'string' && target.startsWith(SQS_TARGET_PREFIX);
}

/**
 * One SQS JSON call: `POST` with `X-Amz-Target: AmazonSQS.<Action>` and a JSON body; the answer is
 * the action's JSON, or SQS's error shape ({@link sendSqsError}). A long-polling receive ends when
 * the client goes away.
 */
export async function handleSqs(queues: QueueService, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const target = String(req.headers['x-amz-target']);
  const action = target.slice(SQS_TARGET_PREFIX.length);
  const run = Object.hasOwn(SQS_ACTIONS, action) ? SQS_ACTIONS[action] : undefined;
  if (!run) {
    req.resume();
    throw new SqsError('InvalidAction', `The action ${action.slice(0, 100)} is not valid for this endpoint.`);
  }
  const body = await readBody(req, MAX_SQS_REQUEST_BYTES, action);
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new SqsError('InvalidParameterValue', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsError('InvalidParameterValue', 'The request body must be a JSON object.');
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once('close', onClose);
  try {
    const output = await run(queues, input as Record<string, unknown>, gone.signal);
    if (res.destroyed) return;
    const text = JSON.stringify(output);
    res.writeHead(200, { 'content-type': SQS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId });
    res.end(text);
  } finally {
    res.off('close', onClose);
  }
}

/** How authentication and front-door refusals read in SQS's terms (its query codes). */
const LAMBDA_TO_SQS: Readonly<Record<string, string>> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  IncompleteSignatureException: 'IncompleteSignature',
  RequestTooLargeException: 'RequestTooLarge',
  ServiceException: 'InternalError',
};

/**
 * Answers an error in SQS's JSON shape: the status, `{"__type":"com.amazonaws.sqs#Shape","message"}`
 * and `x-amzn-query-error: <query code>;Sender|Receiver`, which `@aws-sdk/client-sqs` reads
 * (awsQueryCompatible). A signing refusal of the front door is translated to SQS's names.
 */
export function sendSqsError(res: ServerResponse, err: unknown, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let status: number;
  let shape: string;
  let queryCode: string;
  let message: string;
  if (isSqsError(err)) {
    ({ status, shape, queryCode } = err.wire);
    message = err.message;
  } else if (err instanceof LambdaApiError) {
    status = err.status;
    queryCode = LAMBDA_TO_SQS[err.type] ?? err.type;
    shape = queryCode;
    message = err.message;
  } else {
    status = 500;
    shape = 'InternalError';
    queryCode = 'InternalError';
    message = 'We encountered an internal error. Please try again.';
  }
  const text = JSON.stringify({ __type: `com.amazonaws.sqs#${shape}`, message });
  res.writeHead(status, {
    'content-type': SQS_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`,
  });
  res.end(text);
}
