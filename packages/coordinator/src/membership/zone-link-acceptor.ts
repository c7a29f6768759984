import { timingSafeEqual } from 'node:crypto';
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
  type LinkConnection,
  type LinkEvents,
} from '@zonesim/protocol';
import { NodeSession } from './node-session.js';

/** Settings of the zone link's coordinator end. */
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
 * The coordinator's end of the zone link, whatever carries it (a WebSocket in a real process, an
 * in-memory link in virtual time): the first frame must be a valid `hello` with the right protocol
 * version and cluster token, within `helloTimeoutMs`; otherwise the connection is closed with a
 * close code that says why, and the reason is logged. Every later frame is validated before the
 * session sees it; a malformed frame closes that link with 1002 and harms nothing else.
 */
export class ZoneLinkAcceptor {
  readonly #settings: ZoneLinkSettings;
  readonly #codec: Codec;
  readonly #clock: Clock;
  readonly #entropy: Entropy;
  readonly #log: Logger;
  readonly #onSession: (session: NodeSession) => void;

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
  }

  get settings(): ZoneLinkSettings {
    return this.#settings;
  }

  /** A new connection from `remote` (for the log); returns what its transport reports to. */
  accept(connection: LinkConnection, remote: string): LinkEvents {
    let session: NodeSession | undefined;
    let closed = false;
    const refuse = (code: number, reason: string, fields: Record<string, unknown> = {}): void => {
      this.#log.warn({ remote, closeCode: code, reason, ...fields }, 'zone link refused');
      this.#sendRaw(connection, { type: 'error', error: { code: codeFor(code), message: reason } });
      connection.close(code, closeReason(reason));
    };
    const helloTimer = this.#clock.setTimeout(() => {
      if (!session && !closed) refuse(CloseCode.HelloTimeout, `no hello within ${this.#settings.helloTimeoutMs} ms`);
    }, this.#settings.helloTimeoutMs);

    return {
      closed: (code, reason) => {
        closed = true;
        this.#clock.clearTimeout(helloTimer);
        session?.close(code, reason || 'socket closed');
      },
      frame: (frame, binary) => {
        if (!binary) {
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
          connection,
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
      },
    };
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

  #sendRaw(connection: LinkConnection, message: CoordinatorMessage): void {
    try {
      connection.send(this.#codec.encode(message));
    } catch {
      // The connection may already be closing; the close code still tells the node why.
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
