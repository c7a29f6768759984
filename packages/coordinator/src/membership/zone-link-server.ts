import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { WsLinkConnection } from '@zonesim/common';
import { closeReason } from '@zonesim/protocol';
import type { ZoneLinkAcceptor } from './zone-link-acceptor.js';

export type { ZoneLinkSettings } from './zone-link-acceptor.js';

/** Path of the zone-node WebSocket endpoint on the coordinator's HTTP server. */
export const ZONE_LINK_PATH = '/zonesim/v1/zone-link';

/**
 * The zone link's WebSocket shell in a real coordinator: it upgrades HTTP connections on
 * {@link ZONE_LINK_PATH} and hands each socket, as a {@link WsLinkConnection}, to the
 * {@link ZoneLinkAcceptor}, which runs the handshake and the sessions (the same acceptor runs over
 * in-memory links in virtual time).
 */
export class ZoneLinkServer {
  readonly #wss: WebSocketServer;
  readonly #acceptor: ZoneLinkAcceptor;
  readonly #sockets = new Set<WebSocket>();

  constructor(acceptor: ZoneLinkAcceptor) {
    this.#acceptor = acceptor;
    // maxPayload is explicit (a frame above it closes the link with 1009); compression is off because
    // payloads are small and latency matters more than bytes on loopback.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: acceptor.settings.maxFrameBytes,
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
    const events = this.#acceptor.accept(new WsLinkConnection(ws), remote);
    ws.on('error', () => {
      // ws reports oversize frames and protocol violations here and closes the socket itself
      // (1009 / 1002); the close that follows tells the acceptor.
    });
    ws.on('close', (code, reason) => {
      this.#sockets.delete(ws);
      events.closed(code, reason.toString());
    });
    ws.on('message', (data: RawData, isBinary: boolean) => events.frame(toBytes(data), isBinary));
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
