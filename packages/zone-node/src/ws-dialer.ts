import WebSocket from 'ws';
import { WsLinkConnection } from '@zonesim/common';
import type { DialEvents, Dialer, LinkConnection } from '@zonesim/protocol';

/** Settings of {@link WsDialer}. */
export interface WsDialerSettings {
  /** Largest frame accepted from the coordinator (ws `maxPayload`; larger closes with 1009). */
  maxFrameBytes: number;
  /** Time for the WebSocket handshake. */
  connectTimeoutMs: number;
}

/**
 * The zone node's real transport: dials the coordinator's zone link as a WebSocket (no
 * compression: frames are small and latency matters more than bytes) and reports it through the
 * transport-neutral {@link DialEvents}, so the link's logic (`CoordinatorLink`) never touches `ws`.
 */
export class WsDialer implements Dialer {
  readonly #settings: WsDialerSettings;

  constructor(settings: WsDialerSettings) {
    this.#settings = settings;
  }

  dial(url: string, events: DialEvents): LinkConnection {
    const ws = new WebSocket(url, {
      maxPayload: this.#settings.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: this.#settings.connectTimeoutMs,
    });
    ws.on('open', () => events.opened());
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => events.frame(toBytes(data), isBinary));
    // ws reports connection failures and protocol violations here, then closes: `closed` follows.
    ws.on('error', () => {});
    ws.on('close', (code, reason) => events.closed(code, reason.toString()));
    return new WsLinkConnection(ws);
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
