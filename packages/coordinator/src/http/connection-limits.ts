import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds on the front door's connections (issue 15, finding 3: 19,960 idle connections used up
 * the coordinator's file descriptors and every new request failed; slowloris connections lived on).
 *
 * - Node's own phase timeouts, set explicitly: `headersTimeoutMs` (the request line and headers
 *   must arrive within it), `requestTimeoutMs` (the whole request, body included) and
 *   `keepAliveTimeoutMs` (an idle keep-alive connection is closed after it), checked every
 *   `checkIntervalMs`. The answer to a request too slow is Node's `408`; the connection closes.
 * - A cap on open HTTP connections. When a new one would pass it, the connection idle the longest
 *   (no request in flight: never sent one, between two requests, or still dribbling its headers)
 *   is closed to make room, so an idle flood cannot lock out new callers; only when every
 *   connection has a request in flight is the new one refused with 429 `TooManyRequestsException`
 *   (Lambda's throttle error) and closed. Zone links leave the count once upgraded: they are
 *   bounded by the membership, not by this cap, and a flood never takes them down.
 */
export interface ConnectionLimitSettings {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** How often Node checks the header and request timeouts. */
  checkIntervalMs: number;
}

/** What {@link ConnectionLimits} counts. */
export interface ConnectionCounts {
  open: number;
  idle: number;
  /** Idle connections closed to make room for new ones. */
  evicted: number;
  /** Connections refused because every open one had a request in flight. */
  refused: number;
}

const REFUSAL_BODY = JSON.stringify({
  Type: 'User',
  message: 'Too many open connections to the API: every one has a request in flight. Retry later.',
  Reason: 'ConnectionLimitExceeded',
});
const REFUSAL =
  'HTTP/1.1 429 Too Many Requests\r\n' +
  'content-type: application/json\r\n' +
  'x-amzn-errortype: TooManyRequestsException\r\n' +
  'retry-after: 1\r\n' +
  'connection: close\r\n' +
  `content-length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n\r\n${REFUSAL_BODY}`;

export class ConnectionLimits {
  readonly #settings: ConnectionLimitSettings;
  /** HTTP connections with a request in flight -> how many. */
  readonly #busy = new Map<Socket, number>();
  /** HTTP connections with none, oldest idle first (re-inserted when they become idle). */
  readonly #idle = new Set<Socket>();
  /** Connections answered 429: a request they still send is never routed. */
  readonly #refusedSockets = new WeakSet<Socket>();
  #evicted = 0;
  #refused = 0;

  constructor(settings: ConnectionLimitSettings) {
    this.#settings = settings;
  }

  /** The options to pass to `http.createServer`. */
  serverOptions(): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
    const s = this.#settings;
    return { headersTimeout: s.headersTimeoutMs, requestTimeout: s.requestTimeoutMs, keepAliveTimeout: s.keepAliveTimeoutMs, connectionsCheckingInterval: s.checkIntervalMs };
  }

  /** Wires the counting into `server`. Call once, before it listens. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.#opened(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#requestStarted(req.socket, res));
  }

  /** The socket became a WebSocket (a zone link): it no longer counts against the cap. */
  upgraded(socket: Socket): void {
    this.#busy.delete(socket);
    this.#idle.delete(socket);
  }

  /** False for a connection that was refused: its requests must not run. */
  admitted(socket: Socket): boolean {
    return !this.#refusedSockets.has(socket);
  }

  counts(): ConnectionCounts {
    return { open: this.#busy.size + this.#idle.size, idle: this.#idle.size, evicted: this.#evicted, refused: this.#refused };
  }

  #opened(socket: Socket): void {
    if (this.#busy.size + this.#idle.size >= this.#settings.maxConnections) {
      const oldest = this.#idle.values().next();
      if (oldest.done) {
        this.#refused++;
        this.#refusedSockets.add(socket);
        socket.end(REFUSAL);
        socket.once('error', () => {});
        // A client that does not read its answer must not hold the descriptor.
        socket.setTimeout(1000, () => socket.destroy());
        return;
      }
      this.#evicted++;
      this.#idle.delete(oldest.value);
      oldest.value.destroy();
    }
    this.#idle.add(socket);
    socket.once('close', () => {
      this.#idle.delete(socket);
      this.#busy.delete(socket);
    });
  }

  #requestStarted(socket: Socket, res: ServerResponse): void {
    if (!this.#idle.delete(socket) && !this.#busy.has(socket)) return; // refused, or already gone
    this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.#busy.get(socket) ?? 1) - 1;
      if (left > 0) {
        this.#busy.set(socket, left);
        return;
      }
      if (!this.#busy.delete(socket) || socket.destroyed) return;
      this.#idle.add(socket);
    });
  }
}
