/**
 * One end of a simulated connection: the whole surface a transport adapter needs, kept as small
 * as a WebSocket's. The zone link's `LinkConnection` (issue 16, plan step 6) wraps it:
 *
 * ```ts
 * const conn: LinkConnection = {
 *   send: (frame, onWritten) => endpoint.send(frame, onWritten),
 *   get bufferedAmount() { return endpoint.bufferedAmount; },
 *   close: (code, reason) => endpoint.close(code, reason),
 *   terminate: () => endpoint.terminate(),
 * };
 * endpoint.onOpen = () => events.opened(); // a dial (Dialer, DialEvents)
 * endpoint.onMessage = (frame) => events.frame(frame, true);
 * endpoint.onClose = (code, reason) => events.closed(code, reason);
 * ```
 *
 * Semantics, as ws over TCP:
 * - A dialed end starts `connecting` (`SimLink.connect`); `onOpen` runs when the listener's
 *   acceptance arrives. One that fails to open reports `onClose(1006, '')` without `onOpen`, the
 *   reason in `error`.
 * - `send` keeps order; the frame is not copied (do not modify it afterwards). `onWritten` is
 *   called once the frame is serialized onto the line (with a `SIM_LINK_CLOSED` error when the
 *   endpoint was not open and the frame never left).
 * - `bufferedAmount`: bytes sent and not yet serialized (the line rate or a bandwidth toxic).
 * - `close(code, reason)`: frames sent before go first; the peer sees `onClose(code, reason)` when
 *   the close frame arrives and echoes it; this end sees `onClose` when the echo comes back (or
 *   1006 after `closeTimeoutMs` if it never does, as ws's close timer). Frames that arrive while
 *   closing are still delivered.
 * - `terminate()`: this end closes at once (`onClose(1006, '')` in the next event); the peer sees
 *   1006 once the frames already sent have arrived (the FIN travels behind them).
 * - `onClose` is called once, whatever closed the connection (either side, a reset, the network).
 *
 * Handlers run as I/O of the endpoint's process ({@link ProcessClock.io}): held while it is paused,
 * never once it is killed; a kill terminates the process's endpoints.
 *
 * @module
 */
import { SimErrorCode, SimLinkError } from './errors.js';
import { ItemKind, type LinkDirection, type LinkItem } from './link-direction.js';
import { ProcessState, type ProcessClock } from './process-clock.js';
import type { SimEventHandle, Simulation } from './simulation.js';

/** WebSocket close code of a connection that ended without a closing handshake. */
export const CLOSE_ABNORMAL = 1006;
/** WebSocket close code of a normal closure (the default of `close()`). */
export const CLOSE_NORMAL = 1000;

/** Life of a {@link SimEndpoint}, as a WebSocket's `readyState`. */
export const EndpointState = {
  Connecting: 'connecting',
  Open: 'open',
  Closing: 'closing',
  Closed: 'closed',
} as const;
/** One of {@link EndpointState}. */
export type EndpointState = (typeof EndpointState)[keyof typeof EndpointState];

/** Which end: `client` dialed, `server` accepted (link-proxy's upstream runs client -> server). */
export type EndpointSide = 'client' | 'server';

/**
 * What an endpoint needs from its connection.
 *
 * @internal
 */
export interface EndpointHost {
  readonly sim: Simulation;
  readonly linkName: string;
  readonly closeTimeoutMs: number;
  /** A control of the connection's life (open, accept, refuse) arrived at `endpoint`. */
  control(endpoint: SimEndpoint, item: LinkItem): void;
  /** `endpoint` reached `closed`. */
  closed(endpoint: SimEndpoint): void;
  /** A frame of `bytes` arrived at an endpoint that no longer reads. */
  dropped(endpoint: SimEndpoint, bytes: number): void;
}

/** One end of a simulated connection; see the module comment for its semantics. */
export class SimEndpoint {
  /** Called once when a dialed connection opened (the client's end; a server's end is handed over open). */
  onOpen: (() => void) | undefined;
  /** Called with each frame received, in order. Set it before the first frame can arrive. */
  onMessage: ((frame: Uint8Array) => void) | undefined;
  /** Called once when the connection closed, with the close code and reason. */
  onClose: ((code: number, reason: string) => void) | undefined;
  /** Which end this is. */
  readonly side: EndpointSide;
  /** The connection's number on its link (both ends share it). */
  readonly connectionId: number;
  /** The process this end belongs to, if any. */
  readonly process: ProcessClock | undefined;
  readonly #host: EndpointHost;
  readonly #out: LinkDirection;
  #state: EndpointState = EndpointState.Connecting;
  #wasOpen = false;
  #error: SimLinkError | undefined;
  #closeTimer: SimEventHandle | undefined;
  #unhookKill: (() => void) | undefined;

  /** @internal Made by {@link SimLink.dial}. */
  constructor(host: EndpointHost, side: EndpointSide, connectionId: number, out: LinkDirection, process: ProcessClock | undefined) {
    this.#host = host;
    this.side = side;
    this.connectionId = connectionId;
    this.#out = out;
    this.process = process;
    // A killed process's sockets are closed by the kernel: the peer sees the FIN.
    if (process !== undefined && process.state !== ProcessState.Killed) this.#unhookKill = process.onKill(() => this.terminate());
  }

  /** The link's name. */
  get link(): string {
    return this.#host.linkName;
  }

  /** Connecting, open, closing or closed. */
  get state(): EndpointState {
    return this.#state;
  }

  /** Why the connection failed to open (refused, closed while connecting); undefined otherwise. */
  get error(): SimLinkError | undefined {
    return this.#error;
  }

  /** True once the endpoint was open. */
  get wasOpen(): boolean {
    return this.#wasOpen;
  }

  /** Bytes sent and not yet serialized onto the line (backpressure). */
  get bufferedAmount(): number {
    return this.#out.unsentBytes;
  }

  /**
   * Sends one frame, in order after those sent before it. It takes `frame.wireBytes` on the line
   * when the frame declares it (a value carried without its bytes), else its length.
   */
  send(frame: Uint8Array, onWritten?: (err?: Error) => void): void {
    const sim = this.#host.sim;
    if (this.#state !== EndpointState.Open) {
      if (onWritten) {
        const err = new SimLinkError(SimErrorCode.LinkClosed, this.link, `send on a ${this.#state} endpoint of link ${this.link}`);
        sim.schedule(0, () => this.#io(() => onWritten(err)));
      }
      return;
    }
    const txEnd = this.#out.send(ItemKind.Frame, frame);
    if (onWritten) sim.schedule(txEnd - sim.time, () => this.#io(() => onWritten()));
  }

  /** Starts the closing handshake; see the module comment. */
  close(code = CLOSE_NORMAL, reason = ''): void {
    if (this.#state === EndpointState.Connecting) return this.terminate();
    if (this.#state !== EndpointState.Open) return;
    this.#state = EndpointState.Closing;
    this.#out.send(ItemKind.Close, undefined, code, reason);
    this.#closeTimer = this.#host.sim.schedule(this.#host.closeTimeoutMs, () => {
      this.#closeTimer = undefined;
      if (this.#state !== EndpointState.Closing) return;
      this.#out.send(ItemKind.Fin);
      this.#io(() => this.#finish(CLOSE_ABNORMAL, ''));
    });
  }

  /** Drops the connection at once, without a handshake; see the module comment. */
  terminate(): void {
    if (this.#state === EndpointState.Closed) return;
    this.#out.send(ItemKind.Fin);
    this.#closeNow();
  }

  /**
   * Closes this end at once because the network or the link did (reset, refused dial); `onClose`
   * runs in a later event, as a socket's close event does.
   *
   * @internal
   */
  closeNow(code = CLOSE_ABNORMAL, reason = ''): void {
    this.#closeNow(code, reason);
  }

  /**
   * Opens this end (dial accepted).
   *
   * @internal
   */
  opened(): void {
    if (this.#state !== EndpointState.Connecting) return;
    this.#state = EndpointState.Open;
    this.#wasOpen = true;
    if (this.side === 'client') this.onOpen?.();
  }

  /**
   * The connection failed to open: closes this end with `err` as its {@link error}.
   *
   * @internal
   */
  failed(err: SimLinkError): void {
    this.#error ??= err;
    this.#closeNow(CLOSE_ABNORMAL, '');
  }

  /**
   * An item arrived for this end (called by the network at its delivery time).
   *
   * @internal
   */
  receive(item: LinkItem): void {
    if (this.#state === EndpointState.Closed && item.kind === ItemKind.Frame) {
      this.#host.dropped(this, item.bytes); // terminated, or its process killed: nobody reads
      return;
    }
    if (item.kind === ItemKind.Open || item.kind === ItemKind.Accept || item.kind === ItemKind.Refuse) {
      this.#host.control(this, item);
      return;
    }
    this.#io(() => this.#handle(item));
  }

  /**
   * Runs `fn` as I/O of this end's process.
   *
   * @internal
   */
  io(fn: () => void): void {
    this.#io(fn);
  }

  #io(fn: () => void): void {
    if (this.process === undefined) fn();
    else this.process.io(fn);
  }

  #handle(item: LinkItem): void {
    const state = this.#state;
    switch (item.kind) {
      case ItemKind.Frame:
        if (state === EndpointState.Open || state === EndpointState.Closing) this.onMessage?.(item.data!);
        else this.#host.dropped(this, item.bytes);
        return;
      case ItemKind.Close:
        if (state === EndpointState.Open) {
          // The peer closes: echo its close frame (behind what this end already sent), then done.
          this.#out.send(ItemKind.Close, undefined, item.code, item.reason);
          this.#finish(item.code, item.reason);
        } else if (state === EndpointState.Closing) {
          this.#finish(item.code, item.reason);
        }
        return;
      case ItemKind.Fin:
        if (state !== EndpointState.Closed) this.#finish(CLOSE_ABNORMAL, '');
        return;
    }
  }

  #closeNow(code = CLOSE_ABNORMAL, reason = ''): void {
    if (this.#state === EndpointState.Closed) return;
    this.#markClosed();
    this.#host.sim.schedule(0, () => this.#io(() => this.onClose?.(code, reason)));
  }

  #finish(code: number, reason: string): void {
    if (this.#state === EndpointState.Closed) return;
    this.#markClosed();
    this.onClose?.(code, reason);
  }

  #markClosed(): void {
    this.#state = EndpointState.Closed;
    if (this.#closeTimer !== undefined) {
      this.#host.sim.cancel(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    this.#unhookKill?.();
    this.#unhookKill = undefined;
    this.#host.closed(this);
  }
}
