import type { LinkConnection } from '@zonesim/protocol';
import { TurnCork, wsRawSocket } from './turn-cork.js';

/** What a `ws` WebSocket offers that a link needs (structural: common does not depend on `ws`). */
export interface WsSocketLike {
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/**
 * A zone link over a WebSocket: the real transport of {@link LinkConnection}, used by both shells
 * (the coordinator's zone-link server and the zone node's dialer). Frames sent in one event-loop
 * iteration leave in one write ({@link TurnCork}), and a close writes what is corked first.
 */
export class WsLinkConnection implements LinkConnection {
  readonly #ws: WsSocketLike;
  readonly #cork = new TurnCork();

  constructor(ws: WsSocketLike) {
    this.#ws = ws;
  }

  send(frame: Uint8Array, onWritten?: (err?: Error) => void): void {
    this.#cork.hold(wsRawSocket(this.#ws));
    if (onWritten) this.#ws.send(frame, (err) => onWritten(err ?? undefined));
    else this.#ws.send(frame);
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.#cork.flush();
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.terminate();
    }
  }

  terminate(): void {
    this.#cork.flush();
    this.#ws.terminate();
  }
}
