/**
 * One proxied connection: the accepted client socket, the socket the proxy opened to the target,
 * and a {@link DirectionPipe} each way. Half-closes are passed on in order (a FIN waits behind the
 * bytes before it, so a partition holds it too). An error or reset on either side resets the other
 * side, and whatever the pipes still hold is dropped and counted.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import type { Clock, SeededRandom, TimerHandle } from '@zonesim/common';
import { DirectionPipe, type DirectionStats } from './direction-pipe.js';
import type { ToxicSet } from './toxic-set.js';
import type { Direction } from './toxics.js';

/** Why a connection through the proxy ended. */
export const CloseReason = {
  /** Both sides closed (FIN both ways). */
  Closed: 'closed',
  /** `reset()`: both sides were sent a TCP RST. */
  Reset: 'reset',
  /** The client's socket failed (e.g. the zone node reset it); the target side was reset. */
  ClientError: 'client-error',
  /** The target's socket failed after connecting; the client side was reset. */
  TargetError: 'target-error',
  /** The target refused the connection or did not accept it within `connectTimeoutMs`; the client was reset. */
  TargetUnreachable: 'target-unreachable',
  /** A blackholed direction held more than `maxHeldBytes`; both sides were reset. */
  HeldOverflow: 'held-overflow',
  /** `stop()`: both sides were sent a FIN. */
  Stopped: 'stopped',
  /** `destroy()`: both sockets were destroyed at once. */
  Destroyed: 'destroyed',
} as const;
/** One of {@link CloseReason}. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

/** What a connection needs from its proxy. */
export interface ConnectionContext {
  readonly targetHost: string;
  readonly targetPort: number;
  readonly connectTimeoutMs: number;
  readonly maxHeldBytes: number;
  readonly maxInFlightBytes: number;
  readonly toxics: ToxicSet;
  readonly clock: Clock;
  readonly random: SeededRandom;
  readonly stats: Readonly<Record<Direction, DirectionStats>>;
  onHeldOverflow(conn: ProxyConnection, direction: Direction, heldBytes: number): void;
  onDelay(conn: ProxyConnection, direction: Direction, bytes: number, delayMs: number, retransmissions: number): void;
  onClosed(conn: ProxyConnection, reason: CloseReason, droppedBytes: number, error: Error | undefined): void;
}

/** One client connection and its twin towards the target. */
export class ProxyConnection {
  readonly id: number;
  readonly client: Socket;
  readonly target: Socket;
  readonly #ctx: ConnectionContext;
  readonly #upstream: DirectionPipe;
  readonly #downstream: DirectionPipe;
  #done = false;
  #connected = false;
  #connectTimer: TimerHandle | undefined;
  #openSockets = 2;
  #whenClosed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(id: number, client: Socket, ctx: ConnectionContext) {
    this.id = id;
    this.client = client;
    this.#ctx = ctx;
    this.#whenClosed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.target = connect({ host: ctx.targetHost, port: ctx.targetPort, allowHalfOpen: true, noDelay: true });
    this.#connectTimer = ctx.clock.setTimeout(() => {
      this.#connectTimer = undefined;
      this.#abort(CloseReason.TargetUnreachable, 'rst', new Error(`target ${ctx.targetHost}:${ctx.targetPort} did not accept within ${ctx.connectTimeoutMs} ms`));
    }, ctx.connectTimeoutMs);
    this.target.once('connect', () => {
      this.#connected = true;
      this.#clearConnectTimer();
    });

    const pipe = (direction: Direction, source: Socket, dest: Socket): DirectionPipe =>
      new DirectionPipe(source, dest, {
        direction,
        toxics: ctx.toxics,
        clock: ctx.clock,
        random: ctx.random,
        stats: ctx.stats[direction],
        maxHeldBytes: ctx.maxHeldBytes,
        maxInFlightBytes: ctx.maxInFlightBytes,
        onHeldOverflow: (held) => ctx.onHeldOverflow(this, direction, held),
        onDelay: (bytes, ms, retransmissions) => ctx.onDelay(this, direction, bytes, ms, retransmissions),
      });
    this.#upstream = pipe('upstream', client, this.target);
    this.#downstream = pipe('downstream', this.target, client);

    // Error listeners stay for the sockets' whole life: an error after the connection is done
    // (e.g. a write racing a reset) must not become an unhandled 'error'.
    client.on('error', (err) => this.#abort(CloseReason.ClientError, 'rst', err));
    this.target.on('error', (err) => this.#abort(this.#connected ? CloseReason.TargetError : CloseReason.TargetUnreachable, 'rst', err));
    client.once('close', () => this.#socketClosed());
    this.target.once('close', () => this.#socketClosed());
  }

  /** Bytes this connection holds now, both directions. */
  get queuedBytes(): number {
    return this.#upstream.queuedBytes + this.#downstream.queuedBytes;
  }

  /** Resolves once both sockets are closed. */
  get whenClosed(): Promise<void> {
    return this.#whenClosed;
  }

  /** The toxics changed; `removedIds` lose the delay they added to queued bytes. */
  toxicsChanged(removedIds: readonly string[]): void {
    this.#upstream.toxicsChanged(removedIds);
    this.#downstream.toxicsChanged(removedIds);
  }

  /** Sends a TCP RST both ways and drops what is held. */
  reset(reason: CloseReason = CloseReason.Reset): void {
    this.#abort(reason, 'rst', undefined);
  }

  /** Destroys both sockets at once (FIN, or RST where the kernel holds unread data). */
  destroy(reason: CloseReason = CloseReason.Destroyed): void {
    this.#abort(reason, 'destroy', undefined);
  }

  /** Drops what is held, sends FIN both ways; resolves when both sockets are closed (bound it with a grace timer). */
  shutdown(): Promise<void> {
    if (!this.#done) {
      const dropped = this.#finish();
      for (const s of [this.client, this.target]) {
        if (s.destroyed) continue;
        s.end();
        s.resume(); // read on (and discard), so the peer's FIN arrives and the socket closes
      }
      this.#ctx.onClosed(this, CloseReason.Stopped, dropped, undefined);
    }
    return this.#whenClosed;
  }

  #abort(reason: CloseReason, how: 'rst' | 'destroy', error: Error | undefined): void {
    if (this.#done) return;
    const dropped = this.#finish();
    for (const s of [this.client, this.target]) {
      // A target that never connected has nothing to reset (and may never connect).
      if (how === 'rst' && !(s === this.target && reason === CloseReason.TargetUnreachable)) resetSocket(s);
      else s.destroy();
    }
    this.#ctx.onClosed(this, reason, dropped, error);
  }

  #socketClosed(): void {
    if (--this.#openSockets === 0) {
      if (!this.#done) this.#ctx.onClosed(this, CloseReason.Closed, this.#finish(), undefined);
      this.#resolveClosed();
    } else if (!this.#done && (this.client.destroyed || this.target.destroyed)) {
      // One side is gone but the other still open: a close without an error is a clean close
      // of both halves of that socket, so nothing more can be sent to it; wait for the other.
      (this.client.destroyed ? this.#downstream : this.#upstream).close();
    }
  }

  #finish(): number {
    this.#done = true;
    this.#clearConnectTimer();
    return this.#upstream.close() + this.#downstream.close();
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer === undefined) return;
    this.#ctx.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }
}

/**
 * Sends a TCP RST (SO_LINGER 0). A socket still connecting is reset as soon as it connects (Node's
 * `resetAndDestroy` waits for that), so the peer never sees a clean FIN instead.
 *
 * A socket whose FIN is on its way (ended, the shutdown not yet finished) is destroyed instead: libuv
 * refuses a reset during a shutdown (EINVAL), and Node 20 then marks the handle closing without
 * closing it, so the process spins forever in its exit-time cleanup. The peer has its FIN already.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded && !socket.writableFinished) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
