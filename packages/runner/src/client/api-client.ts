import { AdminApiError } from '../errors.js';
import type { ApiCallOptions, ApiResponse, ApiTransport } from './api-transport.js';

/** A JSON call's answer: its status and its body (parsed JSON, the text when not JSON, or undefined). */
export interface JsonAnswer {
  status: number;
  body: any;
  /** `x-amzn-ErrorType` (before any `:`), when the answer has one. */
  errorType?: string;
}

/** Options of one JSON call. */
export interface JsonCallOptions extends ApiCallOptions {
  /** More headers (e.g. SQS's content type and target); names in lower case. */
  headers?: Record<string, string>;
}

/** Parses an answer's body: JSON when it is, the text otherwise, undefined when empty. */
export function parseBody(res: ApiResponse): unknown {
  const text = res.body.toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The platform's control plane as the runner uses it to deploy: Lambda REST calls and SQS JSON
 * calls with JSON bodies, over any {@link ApiTransport}. Resolves with any status (the caller
 * decides what it accepts; {@link expectStatus} helps); rejects only when no answer came.
 */
export class ApiClient {
  readonly transport: ApiTransport;

  constructor(transport: ApiTransport) {
    this.transport = transport;
  }

  /** A call with a JSON body (none when `body` is undefined). */
  async json(method: string, path: string, body?: unknown, options: JsonCallOptions = {}): Promise<JsonAnswer> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.transport.request(
      {
        method,
        path,
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(data ? { body: data } : {}),
      },
      options,
    );
    const type = res.headers['x-amzn-errortype'];
    return { status: res.status, body: parseBody(res), ...(type ? { errorType: type.split(':')[0]! } : {}) };
  }

  /** One call of SQS's JSON protocol (`AmazonSQS.<action>`). */
  sqs(action: string, body: unknown, options: ApiCallOptions = {}): Promise<JsonAnswer> {
    return this.json('POST', '/', body, { ...options, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` } });
  }

  /** Drops the transport's idle connections. */
  close(): void {
    this.transport.close();
  }
}

/** The body of an answer whose status is one of `ok`; an {@link AdminApiError} naming `operation` otherwise. */
export function expectStatus(operation: string, answer: JsonAnswer, ok: readonly number[]): any {
  if (!ok.includes(answer.status)) throw new AdminApiError(operation, answer.status, answer.errorType, answer.body);
  return answer.body;
}
