import { Agent, request } from 'node:http';

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

/** A control call's answer. */
export interface JsonAnswer {
  status: number;
  body: any;
}

/**
 * The runner's HTTP client for the Lambda API: plain `node:http` with a keep-alive pool (cheaper
 * per request than fetch when thousands are in flight). Never throws for an invocation: every
 * outcome is data for the history (an error with no answer is `status: null`, "unknown").
 */
export class LoadClient {
  readonly #agent: Agent;
  readonly #url: URL;

  constructor(apiUrl: string, options: { maxSockets?: number } = {}) {
    this.#url = new URL(apiUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 512, keepAliveMsecs: 10_000 });
  }

  /** Invokes `name` (with its qualifier) synchronously or as an Event. */
  invoke(name: string, payload: unknown, invocation: 'sync' | 'async', timeoutMs: number): Promise<InvokeAnswer> {
    const body = Buffer.from(JSON.stringify(payload ?? {}));
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
    if (invocation === 'async') headers['x-amz-invocation-type'] = 'Event';
    return new Promise((resolve) => {
      let settled = false;
      const done = (a: InvokeAnswer): void => {
        if (settled) return;
        settled = true;
        resolve(a);
      };
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method: 'POST',
          path: `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
          headers,
          agent: this.#agent,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => done({ status: null, errorType: (err as NodeJS.ErrnoException).code ?? 'ClientError' }));
          res.on('end', () => {
            const h = (n: string): string | undefined => {
              const v = res.headers[n];
              return Array.isArray(v) ? v[0] : v;
            };
            const status = res.statusCode ?? null;
            const answer: InvokeAnswer = { status };
            const requestId = h('x-amzn-requestid');
            if (requestId) answer.requestId = requestId;
            const zone = h('x-zonesim-zone');
            if (zone) answer.zone = zone;
            const fe = h('x-amz-function-error');
            if (fe) answer.functionError = fe;
            const type = h('x-amzn-errortype');
            if (type) answer.errorType = type.split(':')[0]!;
            if (status === 429) {
              try {
                const reason = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Reason?: unknown }).Reason;
                if (typeof reason === 'string') answer.throttleReason = reason;
              } catch {
                // not JSON: no reason
              }
            }
            done(answer);
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(Object.assign(new Error('client timeout'), { code: 'ClientTimeout' }));
      });
      req.on('error', (err) => done({ status: null, errorType: (err as NodeJS.ErrnoException).code ?? 'ClientError' }));
      req.end(body);
    });
  }

  /**
   * SendMessage to a queue of the built-in queue service (SQS's JSON protocol). Never throws: the
   * answer's `requestId` is the MessageId, and a refusal's `errorType` is SQS's query code.
   */
  sendMessage(queueUrl: string, body: string, timeoutMs: number): Promise<InvokeAnswer> {
    const data = Buffer.from(JSON.stringify({ QueueUrl: queueUrl, MessageBody: body }));
    return new Promise((resolve) => {
      let settled = false;
      const done = (a: InvokeAnswer): void => {
        if (settled) return;
        settled = true;
        resolve(a);
      };
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method: 'POST',
          path: '/',
          agent: this.#agent,
          timeout: timeoutMs,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage', 'content-length': data.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => done({ status: null, errorType: (err as NodeJS.ErrnoException).code ?? 'ClientError' }));
          res.on('end', () => {
            const status = res.statusCode ?? null;
            const answer: InvokeAnswer = { status };
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { MessageId?: unknown };
              if (status === 200 && typeof parsed.MessageId === 'string') answer.requestId = parsed.MessageId;
            } catch {
              // not JSON: no id
            }
            const queryError = res.headers['x-amzn-query-error'];
            if (typeof queryError === 'string') answer.errorType = queryError.split(';')[0]!;
            done(answer);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ClientTimeout' })));
      req.on('error', (err) => done({ status: null, errorType: (err as NodeJS.ErrnoException).code ?? 'ClientError' }));
      req.end(data);
    });
  }

  /** One call of SQS's JSON protocol (`AmazonSQS.<action>`); rejects on a connection error. */
  sqs(action: string, body: unknown, timeoutMs = 30_000): Promise<JsonAnswer> {
    return this.json('POST', '/', body, timeoutMs, { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` });
  }

  /** A control-plane or admin call with a JSON body; rejects on a connection error. */
  json(method: string, path: string, body?: unknown, timeoutMs = 30_000, extraHeaders: Record<string, string> = {}): Promise<JsonAnswer> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          agent: this.#agent,
          timeout: timeoutMs,
          headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...extraHeaders },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
