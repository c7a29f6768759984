import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Clock, Entropy, Logger } from '@zonesim/common';
import {
  CloseCode,
  closeReason,
  PROTOCOL_VERSION,
  WireErrorCode,
  parseZoneFrame,
  type Codec,
  type CoordinatorMessage,
  type Hello,
} from '@zonesim/protocol';
import { NodeSession } from './node-session.js';

/** Path of the zone-node WebSocket endpoint on the coordinator's HTTP server. */
export const ZONE_LINK_PATH = '/zonesim/v1/zone-link';

/** Settings of the zone link server. */
export interface ZoneLinkSettings {
  clusterToken: string;
  helloTimeoutMs: number;
  maxFrameBytes: number;
  heartbeatIntervalMs: number;
  sendHighWaterBytes: number;
  codeBaseUrl: () => string;
  apiUrl: () => string;
  /** The API's SigV4 key when authentication is on: sent in `welcome` so environments can call the API. */
  apiCredentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * Accepts zone-node WebSocket connections: the first frame must be a valid `hello` with the right
 * protocol version and cluster token, within `helloTimeoutMs`; otherwise the socket is closed with a
 * close code that says why, and the reason is logged. Every later frame is validated before a
 * session sees it; a malformed frame closes that link with 1002 and harms nothing else.
 */
export class ZoneLinkServer {
  readonly #wss: WebSocketServer;
  readonly #settings: ZoneLinkSettings;
  readonly #codec: Codec;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  readonly #onSession: (session: NodeSession) => void;
  readonly #sockets = new Set<WebSocket>();

  constructor(args: {
    settings: ZoneLinkSettings;
    codec: Codec;
    clock: Clock;
    entropy: Entropy;
    log: Logger;
    onSession: (session: NodeSession) => void;
  }) {
    this.#settings = args.settings;
    this.#codec = args.codec;
    this.#clock = args.clock;
    this.#entropy = args.entropy;
    this.#log = args.log;
    this.#onSession = args.onSession;
    // maxPayload is explicit (a frame above it closes the link with 1009); compression is off because
    // payloads are small and latency matters more than bytes on loopback.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: args.settings.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Handles an HTTP upgrade for {@link ZONE_LINK_PATH}. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  /** Number of open zone-link sockets (handshaking or not). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** Closes every socket gracefully; `terminate` afterwards kills the stragglers. */
  closeAll(code: number, reason: string): void {
    for (const ws of this.#sockets) ws.close(code, closeReason(reason));
  }

  terminateAll(): void {
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    this.#sockets.add(ws);
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    let session: NodeSession | undefined;
    const refuse = (code: number, reason: string, fields: Record<string, unknown> = {}): void => {
      this.#log.warn({ remote, closeCode: code, reason, ...fields }, 'zone link refused');
      this.#sendRaw(ws, { type: 'error', error: { code: codeFor(code), message: reason } });
      ws.close(code, closeReason(reason));
    };
    const helloTimer = this.#clock.setTimeout(() => {
      if (!session) refuse(CloseCode.HelloTimeout, `no hello within ${this.#settings.helloTimeoutMs} ms`);
    }, this.#settings.helloTimeoutMs);

    ws.on('error', (err) => {
      // ws reports oversize frames and protocol violations here and closes the socket itself
      // (1009 / 1002); logging is all that is left to do.
      this.#log.warn({ remote, err: err.message, nodeId: session?.nodeId }, 'zone link socket error');
    });
    ws.on('close', (code, reason) => {
      this.#sockets.delete(ws);
      this.#clock.clearTimeout(helloTimer);
      session?.close(code, reason.toString() || 'socket closed');
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const frame = toBytes(data);
      if (!isBinary) {
        refuse(CloseCode.Malformed, 'text frames are not part of the protocol');
        return;
      }
      const parsed = parseZoneFrame(this.#codec, frame);
      if (!parsed.ok) {
        refuse(CloseCode.Malformed, parsed.reason, { nodeId: session?.nodeId });
        return;
      }
      const message = parsed.message;
      if (session) {
        session.receive(message);
        return;
      }
      if (message.type !== 'hello') {
        refuse(CloseCode.HandshakeViolation, `first frame must be hello, got ${message.type}`);
        return;
      }
      this.#clock.clearTimeout(helloTimer);
      const problem = this.#checkHello(message);
      if (problem) {
        refuse(problem.code, problem.reason, { nodeId: message.nodeId, zone: message.zone });
        return;
      }
      session = new NodeSession({
        sessionId: this.#entropy.shortId('s-'),
        hello: message,
        socket: ws,
        codec: this.#codec,
        clock: this.#clock,
        log: this.#log,
        highWaterBytes: this.#settings.sendHighWaterBytes,
      });
      session.send({
        type: 'welcome',
        protocolVersion: PROTOCOL_VERSION,
        sessionId: session.sessionId,
        heartbeatIntervalMs: this.#settings.heartbeatIntervalMs,
        codeBaseUrl: this.#settings.codeBaseUrl(),
        apiUrl: this.#settings.apiUrl(),
        ...(this.#settings.apiCredentials ? { credentials: this.#settings.apiCredentials } : {}),
      });
      this.#log.info(
        { remote, zone: session.zone, nodeId: session.nodeId, capacity: session.capacity, isolation: session.isolation, sandbox: session.sandbox },
        'zone node registered',
      );
      this.#onSession(session);
    });
  }

  #checkHello(hello: Hello): { code: number; reason: string } | undefined {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      return {
        code: CloseCode.VersionMismatch,
        reason: `protocol version ${hello.protocolVersion} is not ${PROTOCOL_VERSION}`,
      };
    }
    if (!tokensEqual(hello.clusterToken, this.#settings.clusterToken)) {
      return { code: CloseCode.Unauthorized, reason: 'wrong cluster token' };
    }
    return undefined;
  }

  #sendRaw(ws: WebSocket, message: CoordinatorMessage): void {
    try {
      ws.send(this.#codec.encode(message));
    } catch {
      // The socket may already be closing; the close code still tells the node why.
    }
  }
}

function codeFor(closeCode: number): string {
  switch (closeCode) {
    case CloseCode.Unauthorized:
      return WireErrorCode.Unauthorized;
    case CloseCode.VersionMismatch:
      return WireErrorCode.VersionMismatch;
    case CloseCode.Malformed:
      return WireErrorCode.InvalidMessage;
    default:
      return WireErrorCode.Internal;
  }
}

/** Compares tokens in constant time, so the token cannot be guessed byte by byte from timings. */
function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
