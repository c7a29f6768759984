import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MAX_SYNC_RESPONSE_BYTES, type FunctionError } from '@zonesim/protocol';
import { normaliseInitErrorType, parseRuntimeError } from './runtime-api-errors.js';

/**
 * The Lambda Runtime API (version `2018-06-01`, lambda-facts 3.1) for one execution environment,
 * served on 127.0.0.1 at an ephemeral port (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT`). It follows
 * the state machine of AWS's runtime emulator ("rapid"):
 *
 * - INIT ends when the runtime first calls `GET /runtime/invocation/next`, or fails with
 *   `POST /runtime/init/error` (only allowed before that first `next`);
 * - `next` long-polls until the environment hands it an event (no timeout: Lambda freezes the
 *   process between events);
 * - each event is answered once, by `POST /runtime/invocation/{id}/response` or `/error`; another
 *   `next` before that is `403 InvalidStateTransition`, an unknown id `400 InvalidRequestID`, a
 *   second answer `403 InvalidStateTransition`, a body past 6 MiB + 100 B `413
 *   RequestEntityTooLarge` (the caller then gets `Function.ResponseSizeTooLarge`);
 * - a response may stream (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked): its bytes
 *   reach `onChunk` as they come, and error trailers end it when the function fails midway.
 *
 * The server only reports what the runtime did ({@link RuntimeApiSignal}); the environment decides
 * what it means (timeouts, exits, logs).
 */

/** Base path of every call. */
export const RUNTIME_API_PREFIX = '/2018-06-01/runtime';

/** One event handed to the runtime by `next`. */
export interface RuntimeApiEvent {
  requestId: string;
  payload: Uint8Array;
  /** Epoch ms at which the invocation times out (`Lambda-Runtime-Deadline-Ms`). */
  deadlineMs: number;
  invokedFunctionArn: string;
  /** `Lambda-Runtime-Trace-Id`, e.g. `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0`. */
  traceId: string;
  /** JSON text of the client context (sync invokes only). */
  clientContext?: string;
  /** JSON text of the Cognito identity, if any. */
  cognitoIdentity?: string;
}

/** What the runtime did, as the environment hears it. */
export type RuntimeApiSignal =
  /** The runtime called `next` for the first time: INIT is over. */
  | { kind: 'ready' }
  /** `POST /runtime/init/error`; `reportedType` is the header, normalised as Lambda's INIT_REPORT shows it. */
  | { kind: 'init-error'; error: FunctionError; reportedType: string }
  /** `streamed`: the answer came in streaming mode (its bytes went to `onChunk`; `payload` is empty). */
  | { kind: 'response'; requestId: string; payload: Buffer; streamed?: boolean; contentType?: string }
  /** `streamed`: a streamed answer ended with error trailers, after whatever bytes it had sent. */
  | { kind: 'error'; requestId: string; error: FunctionError; streamed?: boolean }
  /** A response or error body past the limit (413 to the runtime). */
  | { kind: 'too-large'; requestId: string; bytes: number };

/**
 * Takes the bytes of a response posted in streaming mode as they arrive (the content type with the
 * first): false when the response is past its limit (the runtime then gets 413).
 */
export type RuntimeApiChunkSink = (requestId: string, data: Buffer, contentType: string | undefined) => boolean;

/** Lambda's header for a streamed answer, and its trailers for an error that ends one (lambda-facts 3.1). */
const RESPONSE_MODE_HEADER = 'lambda-runtime-function-response-mode';
const ERROR_TYPE_TRAILER = 'lambda-runtime-function-error-type';
const ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';

/** Options of {@link RuntimeApiServer}. */
export interface RuntimeApiServerOptions {
  /** Where a streamed answer's bytes go. Absent: streamed answers are refused (400). */
  onChunk?: RuntimeApiChunkSink;
  /** Largest response or error body. @default 6291556 (6 MiB + 100 B, Lambda's check) */
  maxPayloadBytes?: number;
  /** Host to listen on. @default '127.0.0.1' */
  host?: string;
}

type Phase = 'init' | 'init-failed' | 'idle' | 'invoking' | 'closed';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const ACCEPTED = { status: 'OK' };

function invalidStateTransition(res: ServerResponse, message: string): void {
  send(res, 403, { errorMessage: message, errorType: 'InvalidStateTransition' });
}

/** The Runtime API of one environment. */
export class RuntimeApiServer {
  readonly #server: Server;
  readonly #maxPayloadBytes: number;
  readonly #host: string;
  readonly #onSignal: (signal: RuntimeApiSignal) => void;
  readonly #onChunk: RuntimeApiChunkSink | undefined;
  readonly #sockets = new Set<Socket>();
  #phase: Phase = 'init';
  /** The event being run (delivered, or queued until the runtime asks for it). */
  #current: { event: RuntimeApiEvent; delivered: boolean; answered: boolean; streaming?: boolean } | undefined;
  /** Ids answered already: a second answer is 403, not 400. Bounded: only the last few matter. */
  readonly #answered: string[] = [];
  /** A `next` waiting for an event. */
  #waitingNext: ServerResponse | undefined;
  #address = '';

  constructor(onSignal: (signal: RuntimeApiSignal) => void, options: RuntimeApiServerOptions = {}) {
    this.#onSignal = onSignal;
    this.#onChunk = options.onChunk;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? MAX_SYNC_RESPONSE_BYTES;
    this.#host = options.host ?? '127.0.0.1';
    // No request or header timeouts: `next` must be able to wait as long as the environment idles.
    this.#server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 }, (req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Listens on an ephemeral port; resolves with `host:port` (the value of `AWS_LAMBDA_RUNTIME_API`). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, this.#host, () => {
        this.#server.off('error', reject);
        const addr = this.#server.address() as AddressInfo;
        this.#address = `${this.#host}:${addr.port}`;
        resolve(this.#address);
      });
    });
  }

  /** `host:port`, once listening. */
  get address(): string {
    return this.#address;
  }

  /** Hands one event to the runtime: at once to a waiting `next`, or to the next one that comes. */
  deliver(event: RuntimeApiEvent): void {
    if (this.#phase === 'closed') return;
    this.#current = { event, delivered: false, answered: false };
    this.#phase = 'invoking';
    const waiting = this.#waitingNext;
    if (waiting) {
      this.#waitingNext = undefined;
      this.#sendEvent(waiting);
    }
  }

  /** Forgets the current event (the environment ended it: timeout, abort). */
  abandon(): void {
    if (this.#current) this.#remember(this.#current.event.requestId);
    this.#current = undefined;
    if (this.#phase === 'invoking') this.#phase = 'idle';
  }

  /** Stops listening and drops every connection (the runtime is being killed anyway). */
  close(): Promise<void> {
    this.#phase = 'closed';
    this.#waitingNext = undefined;
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (this.#phase === 'closed') {
      req.resume();
      send(res, 500, { errorMessage: 'The environment is shutting down', errorType: 'Runtime.Unknown' });
      return;
    }
    if (!path.startsWith(`${RUNTIME_API_PREFIX}/`)) return this.#notFound(req, res, path);
    const rest = path.slice(RUNTIME_API_PREFIX.length + 1).split('/');
    if (rest.length === 2 && rest[0] === 'invocation' && rest[1] === 'next') {
      if (method !== 'GET') return this.#methodNotAllowed(req, res);
      req.resume();
      return this.#next(res);
    }
    if (rest.length === 2 && rest[0] === 'init' && rest[1] === 'error') {
      if (method !== 'POST') return this.#methodNotAllowed(req, res);
      return this.#readBody(req, res, (body) => this.#initError(req, res, body));
    }
    if (rest.length === 3 && rest[0] === 'invocation' && (rest[2] === 'response' || rest[2] === 'error')) {
      if (method !== 'POST') return this.#methodNotAllowed(req, res);
      const requestId = decodeURIComponent(rest[1] ?? '');
      const kind = rest[2];
      if (!this.#checkAnswer(res, requestId)) {
        req.resume();
        return;
      }
      if (kind === 'response' && headerOf(req, RESPONSE_MODE_HEADER)?.toLowerCase() === 'streaming') return this.#streamAnswer(req, res, requestId);
      return this.#readBody(req, res, (body) => this.#answer(req, res, requestId, kind, body), requestId);
    }
    this.#notFound(req, res, path);
  }

  #next(res: ServerResponse): void {
    if (this.#phase === 'init-failed') return invalidStateTransition(res, 'State transition from InitError to Ready is not allowed');
    if (this.#waitingNext) return invalidStateTransition(res, 'A call to next is already waiting for an event');
    if (this.#phase === 'init') {
      this.#phase = 'idle';
      this.#onSignal({ kind: 'ready' });
    }
    const current = this.#current;
    if (current?.delivered && !current.answered) {
      return invalidStateTransition(res, `State transition from Running to Ready is not allowed: invocation ${current.event.requestId} has no response yet`);
    }
    if (current?.answered) this.#current = undefined;
    this.#waitingNext = res;
    res.once('close', () => {
      if (this.#waitingNext === res && !res.writableFinished) this.#waitingNext = undefined;
    });
    if (this.#current && !this.#current.delivered) {
      this.#waitingNext = undefined;
      this.#sendEvent(res);
    }
  }

  #sendEvent(res: ServerResponse): void {
    const current = this.#current;
    if (!current) return;
    current.delivered = true;
    const e = current.event;
    // Headers are omitted when empty, as rapid does.
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(e.payload.byteLength),
      'lambda-runtime-aws-request-id': e.requestId,
      'lambda-runtime-deadline-ms': String(e.deadlineMs),
      'lambda-runtime-invoked-function-arn': e.invokedFunctionArn,
      'lambda-runtime-trace-id': e.traceId,
    };
    if (e.clientContext) headers['lambda-runtime-client-context'] = e.clientContext;
    if (e.cognitoIdentity) headers['lambda-runtime-cognito-identity'] = e.cognitoIdentity;
    res.writeHead(200, headers);
    res.end(Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength));
  }

  /** True when `requestId` may be answered now; otherwise the refusal is sent. */
  #checkAnswer(res: ServerResponse, requestId: string): boolean {
    const current = this.#current;
    if (current && current.event.requestId === requestId && current.delivered && !current.answered && !current.streaming) return true;
    if (this.#answered.includes(requestId) || (current && current.event.requestId === requestId)) {
      invalidStateTransition(res, `Invocation ${requestId} cannot be answered now: it has been answered or has ended`);
      return false;
    }
    send(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    return false;
  }

  #answer(req: IncomingMessage, res: ServerResponse, requestId: string, kind: 'response' | 'error', body: Buffer): void {
    // The invocation may have ended (timeout) while the body was read.
    if (!this.#checkAnswer(res, requestId)) return;
    const current = this.#current!;
    current.answered = true;
    this.#remember(requestId);
    this.#phase = 'idle';
    send(res, 202, ACCEPTED);
    if (kind === 'response') this.#onSignal({ kind: 'response', requestId, payload: body });
    else this.#onSignal({ kind: 'error', requestId, error: parseRuntimeError(body, headerOf(req, 'lambda-runtime-function-error-type'), 'Function.Unknown') });
  }

  /**
   * An answer in streaming mode (`Lambda-Runtime-Function-Response-Mode: streaming`, a chunked
   * body): each piece goes to `onChunk` as it arrives; the end answers the invocation, with the
   * error trailers (`Lambda-Runtime-Function-Error-Type`, `-Error-Body` base64) when the function
   * failed midway. Past the response's limit the runtime gets 413 and the invocation `too-large`.
   */
  #streamAnswer(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    const onChunk = this.#onChunk;
    if (!onChunk) {
      req.resume();
      send(res, 400, { errorMessage: 'This environment does not take streamed responses', errorType: 'InvalidRequest' });
      return;
    }
    const current = this.#current!;
    current.streaming = true;
    const contentType = headerOf(req, 'content-type') ?? 'application/octet-stream';
    const mine = (): boolean => this.#current === current && !current.answered;
    let first = true;
    let bytes = 0;
    let over = false;
    const end = (signal: RuntimeApiSignal): void => {
      current.answered = true;
      this.#remember(requestId);
      this.#phase = 'idle';
      this.#onSignal(signal);
    };
    req.on('data', (chunk: Buffer) => {
      if (over || !mine()) return;
      bytes += chunk.length;
      const kept = onChunk(requestId, chunk, first ? contentType : undefined);
      first = false;
      if (kept) return;
      over = true;
      send(res, 413, { errorMessage: 'Exceeded maximum allowed payload size.', errorType: 'RequestEntityTooLarge' }, { connection: 'close' });
      end({ kind: 'too-large', requestId, bytes });
    });
    req.on('end', () => {
      if (over || !mine()) return;
      if (first) onChunk(requestId, Buffer.alloc(0), contentType);
      send(res, 202, ACCEPTED);
      const errorType = trailerOf(req, ERROR_TYPE_TRAILER);
      if (errorType === undefined) {
        end({ kind: 'response', requestId, payload: Buffer.alloc(0), streamed: true, contentType });
        return;
      }
      const body = Buffer.from(trailerOf(req, ERROR_BODY_TRAILER) ?? '', 'base64');
      end({ kind: 'error', requestId, error: parseRuntimeError(body, errorType, 'Function.Unknown'), streamed: true });
    });
    // A runtime that dies midway is seen by its exit; nothing to answer here.
    req.on('error', () => undefined);
  }

  #initError(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (this.#phase !== 'init') return invalidStateTransition(res, 'init/error is only allowed before the first call to next');
    this.#phase = 'init-failed';
    send(res, 202, ACCEPTED);
    const header = headerOf(req, 'lambda-runtime-function-error-type');
    this.#onSignal({
      kind: 'init-error',
      error: parseRuntimeError(body, header, 'Runtime.Unknown'),
      reportedType: normaliseInitErrorType(header),
    });
  }

  /** Reads a body up to the limit; past it answers 413 (and reports `too-large` for an invocation). */
  #readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void, requestId?: string): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = (bytes: number): void => {
      over = true;
      chunks.length = 0;
      send(res, 413, {
        errorMessage: `Exceeded maximum allowed payload size (${this.#maxPayloadBytes} bytes).`,
        errorType: 'RequestEntityTooLarge',
      }, { connection: 'close' });
      if (requestId !== undefined && this.#current?.event.requestId === requestId && !this.#current.answered) {
        this.#current.answered = true;
        this.#remember(requestId);
        this.#phase = 'idle';
        this.#onSignal({ kind: 'too-large', requestId, bytes });
      }
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.#maxPayloadBytes) {
      req.resume();
      tooLarge(declared);
      return;
    }
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > this.#maxPayloadBytes) {
        tooLarge(size);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) then(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', () => undefined);
  }

  #remember(requestId: string): void {
    this.#answered.push(requestId);
    if (this.#answered.length > 16) this.#answered.shift();
  }

  #notFound(req: IncomingMessage, res: ServerResponse, path: string): void {
    req.resume();
    send(res, 404, { errorMessage: `Unknown Runtime API path ${path.slice(0, 200)}`, errorType: 'NotFound' });
  }

  #methodNotAllowed(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    send(res, 405, { errorMessage: `Method ${req.method ?? ''} is not allowed here`, errorType: 'MethodNotAllowed' });
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function trailerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.trailers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
