import { isRunnerError, RunnerErrorCode, type ApiConnectionError } from '../errors.js';
import type { ApiResponse, ApiTransport } from './api-transport.js';

/** What one invocation came to, as the runner's history records it. */
export interface InvokeAnswer {
  /** HTTP status, or null when no answer came (connection error, client timeout). */
  status: number | null;
  requestId?: string;
  zone?: string;
  /** `X-Amz-Function-Error` (a 200 whose function failed). */
  functionError?: string;
  /** `x-amzn-ErrorType` of a service error, or the client error's code. */
  errorType?: string;
  throttleReason?: string;
}

/**
 * The platform's data plane as the load driver uses it: invocations and queue messages. Never
 * rejects: every outcome is data for the history (no answer is `status: null`, "unknown"; a
 * refused connection keeps its `ECONNREFUSED`, which the history counts as a definite failure).
 */
export interface ClusterClient {
  /** Invokes `name` (with its qualifier) synchronously or as an Event. */
  invoke(name: string, payload: unknown, invocation: 'sync' | 'async', timeoutMs: number): Promise<InvokeAnswer>;
  /** SendMessage to a queue of the built-in queue service; `requestId` is the MessageId. */
  sendMessage(queueUrl: string, body: string, timeoutMs: number): Promise<InvokeAnswer>;
  /** Invokes synchronously with `X-Amz-Log-Type: Tail` and returns the decoded log tail (the demo shows one). */
  invokeWithLogTail(name: string, payload: unknown): Promise<string | undefined>;
}

/** Client timeout of {@link ClusterClient.invokeWithLogTail}. */
const LOG_TAIL_TIMEOUT_MS = 30_000;

/** The `errorType` of a request that got no answer: `ClientTimeout`, the socket's code, or `ClientError`. */
function noAnswer(err: unknown): InvokeAnswer {
  if (isRunnerError(err, RunnerErrorCode.ApiTimeout)) return { status: null, errorType: 'ClientTimeout' };
  if (isRunnerError(err, RunnerErrorCode.ApiConnection)) return { status: null, errorType: (err as ApiConnectionError).socketCode ?? 'ClientError' };
  return { status: null, errorType: (err as NodeJS.ErrnoException | undefined)?.code ?? 'ClientError' };
}

/**
 * A {@link ClusterClient} that speaks the Lambda Invoke API and SQS's JSON protocol over an
 * {@link ApiTransport} (HTTP in the real world), reading zonesim's placement headers.
 */
export class ApiClusterClient implements ClusterClient {
  readonly #transport: ApiTransport;

  constructor(transport: ApiTransport) {
    this.#transport = transport;
  }

  async invoke(name: string, payload: unknown, invocation: 'sync' | 'async', timeoutMs: number): Promise<InvokeAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (invocation === 'async') headers['x-amz-invocation-type'] = 'Event';
    let res: ApiResponse;
    try {
      res = await this.#transport.request({ method: 'POST', path: invokePath(name), headers, body: Buffer.from(JSON.stringify(payload ?? {})) }, { timeoutMs });
    } catch (err) {
      return noAnswer(err);
    }
    const h = res.headers;
    const answer: InvokeAnswer = { status: res.status };
    if (h['x-amzn-requestid']) answer.requestId = h['x-amzn-requestid'];
    if (h['x-zonesim-zone']) answer.zone = h['x-zonesim-zone'];
    if (h['x-amz-function-error']) answer.functionError = h['x-amz-function-error'];
    const type = h['x-amzn-errortype'];
    if (type) answer.errorType = type.split(':')[0]!;
    if (res.status === 429) {
      try {
        const reason = (JSON.parse(res.body.toString('utf8')) as { Reason?: unknown }).Reason;
        if (typeof reason === 'string') answer.throttleReason = reason;
      } catch {
        // not JSON: no reason
      }
    }
    return answer;
  }

  async sendMessage(queueUrl: string, body: string, timeoutMs: number): Promise<InvokeAnswer> {
    let res: ApiResponse;
    try {
      res = await this.#transport.request({
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
        body: Buffer.from(JSON.stringify({ QueueUrl: queueUrl, MessageBody: body })),
      }, { timeoutMs });
    } catch (err) {
      return noAnswer(err);
    }
    const answer: InvokeAnswer = { status: res.status };
    try {
      const parsed = JSON.parse(res.body.toString('utf8')) as { MessageId?: unknown };
      if (res.status === 200 && typeof parsed.MessageId === 'string') answer.requestId = parsed.MessageId;
    } catch {
      // not JSON: no id
    }
    const queryError = res.headers['x-amzn-query-error'];
    if (queryError) answer.errorType = queryError.split(';')[0]!;
    return answer;
  }

  async invokeWithLogTail(name: string, payload: unknown): Promise<string | undefined> {
    const res = await this.#transport.request({
      method: 'POST',
      path: invokePath(name),
      headers: { 'content-type': 'application/json', 'x-amz-log-type': 'Tail' },
      body: Buffer.from(JSON.stringify(payload)),
    }, { timeoutMs: LOG_TAIL_TIMEOUT_MS });
    const log = res.headers['x-amz-log-result'];
    return log ? Buffer.from(log, 'base64').toString('utf8') : undefined;
  }
}

function invokePath(name: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
}
