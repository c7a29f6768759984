import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '@zonesim/common';
import type { ApiServer } from '@zonesim/coordinator';
import { ApiConnectionError, ApiTimeoutError } from '../errors.js';
import type { ApiCallOptions, ApiRequest, ApiResponse, ApiTransport } from './../client/api-transport.js';

/** The Host an in-process request names: loopback, so the browser guard treats it as a local client. */
const IN_PROCESS_HOST = '127.0.0.1';

/**
 * The coordinator's API without a socket (virtual time, issue 16): each request is handed to the
 * front door's `dispatch`, so it takes the real route table, authentication, browser guard,
 * brownout and handlers, and its answer is captured as a `ServerResponse` would have sent it.
 * Nothing here waits on the wall clock: a handler that waits for a zone node waits in virtual time.
 */
export class InProcessApiTransport implements ApiTransport {
  readonly #api: () => ApiServer | undefined;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #inFlight = new Set<CapturedResponse>();

  /**
   * `api` gives the front door currently up (none while a simulated coordinator is down); `clock`
   * times out a request with no answer after its `timeoutMs` (default `timeoutMs`), as a socket's
   * inactivity timeout would.
   */
  constructor(api: () => ApiServer | undefined, components: { clock: Clock }, settings: { timeoutMs?: number } = {}) {
    this.#api = api;
    this.#clock = components.clock;
    this.#timeoutMs = settings.timeoutMs ?? 30_000;
  }

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The coordinator crashed: every request waiting for an answer gets ECONNRESET, as its TCP connection would. */
  resetAll(): void {
    for (const res of [...this.#inFlight]) res.destroy(socketError('ECONNRESET', 'connection reset'));
  }

  request(request: ApiRequest, options: ApiCallOptions = {}): Promise<ApiResponse> {
    const api = this.#api();
    if (api === undefined) return Promise.reject(new ApiConnectionError(request.method, request.path, socketError('ECONNREFUSED', 'connection refused')));
    return new Promise<ApiResponse>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
      let timer: TimerHandle | undefined;
      const settle = (): void => {
        this.#inFlight.delete(res);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
      };
      const res: CapturedResponse = new CapturedResponse(
        (answer) => {
          settle();
          resolve(answer);
        },
        (err) => {
          settle();
          reject(new ApiConnectionError(request.method, request.path, err));
        },
      );
      this.#inFlight.add(res);
      timer = this.#clock.setTimeout(() => {
        settle();
        res.abandon();
        reject(new ApiTimeoutError(request.method, request.path, timeoutMs));
      }, timeoutMs);
      const body = request.body ?? Buffer.alloc(0);
      const req = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
        method: request.method,
        url: request.path,
        headers: { host: IN_PROCESS_HOST, 'content-length': String(body.length), ...(request.headers ?? {}) },
        httpVersion: '1.1',
        complete: true,
        socket: undefined,
      });
      api.dispatch(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
  }

  close(): void {}
}

function socketError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** The part of `ServerResponse` the route handlers use, capturing what they send. */
class CapturedResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableLength = 0;
  readonly #headers: Record<string, string | undefined> = {};
  readonly #chunks: Buffer[] = [];
  readonly #resolve: (answer: ApiResponse) => void;
  readonly #reject: (err: Error) => void;
  #ended = false;

  constructor(resolve: (answer: ApiResponse) => void, reject: (err: Error) => void) {
    super();
    this.#resolve = resolve;
    this.#reject = reject;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.#headers[name.toLowerCase()] = Array.isArray(value) ? String(value[0]) : String(value);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.#headers[name.toLowerCase()];
  }

  writeHead(status: number, headers?: Record<string, string | number | readonly string[] | undefined>): this {
    this.statusCode = status;
    for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.headersSent = true;
    this.#chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
    return true;
  }

  end(chunk?: string | Uint8Array | (() => void)): this {
    if (this.#ended) return this;
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    this.#ended = true;
    this.headersSent = true;
    this.#resolve({ status: this.statusCode, headers: { ...this.#headers }, body: Buffer.concat(this.#chunks) });
    this.emit('finish');
    this.emit('close');
    return this;
  }

  /** The client gave up (timeout): what the handler sends later goes nowhere. */
  abandon(): void {
    this.#ended = true;
    this.destroyed = true;
    this.emit('close');
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.#ended) {
      this.#ended = true;
      this.#reject(err ?? socketError('ECONNRESET', 'the coordinator dropped the request'));
    }
    this.emit('close');
    return this;
  }
}
