/**
 * {@link LinkProxy}: a TCP proxy between one zone node and the coordinator, with toxics the
 * scenario runner adds and removes while traffic flows. It is plain TCP forwarding, so anything on
 * top (HTTP, the WebSocket upgrade, ws frames) passes through untouched.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { LifecycleState, SeededRandom, systemClock, withinGrace, type Clock } from '@zonesim/common';
import { CloseReason, ProxyConnection, resetSocket, type ConnectionContext } from './connection.js';
import { emptyDirectionStats, type DirectionStats } from './direction-pipe.js';
import { LinkProxyListenError, LinkProxyStateError } from './errors.js';
import { resolveLinkProxyOptions, type LinkProxyOptions, type ResolvedLinkProxyOptions } from './options.js';
import { ToxicSet } from './toxic-set.js';
import type { Direction, Toxic, ToxicInfo } from './toxics.js';

/** Injected components of a {@link LinkProxy}, kept apart from its settings. */
export interface LinkProxyComponents {
  /** Times delays, bandwidth and the connect timeout. @default systemClock */
  clock?: Clock;
  /**
   * Source of jitter and loss draws; pass a fork of the scenario's random so a seed reproduces
   * them. @default `new SeededRandom('link-proxy:<name>')`
   */
  random?: SeededRandom;
}

/** Counters of a {@link LinkProxy}, since it was created. */
export interface LinkProxyStats {
  /** Connections accepted and forwarded. */
  accepted: number;
  /** Connections reset at once because a `refuse` toxic was active. */
  refused: number;
  /** Connections open now. */
  active: number;
  /** Connections reset by `reset()`. */
  resets: number;
  /** Connections reset because a blackholed direction passed `maxHeldBytes`. */
  heldOverflows: number;
  /** Connections whose target could not be reached (refused, timed out). */
  targetFailures: number;
  /** Client (zone node) -> target (coordinator). */
  upstream: DirectionStats;
  /** Target (coordinator) -> client (zone node). */
  downstream: DirectionStats;
}

/** The events of {@link LinkProxy.events}, with their argument. */
export interface LinkProxyEvents {
  /** A connection was accepted and is being forwarded. */
  connection: [info: { id: number; remoteAddress: string | undefined; remotePort: number | undefined }];
  /** A connection ended; `droppedBytes` were read but never delivered. */
  'connection-closed': [info: { id: number; reason: CloseReason; droppedBytes: number; error: Error | undefined }];
  /** A new connection was reset at once by a `refuse` toxic. */
  refused: [info: { remoteAddress: string | undefined; remotePort: number | undefined }];
  /** A blackholed direction passed `maxHeldBytes`; the connection is being reset. */
  'held-overflow': [info: { id: number; direction: Direction; heldBytes: number; maxHeldBytes: number }];
  /** A latency or loss toxic delayed a chunk (emitted only while someone listens). */
  delay: [info: { id: number; direction: Direction; bytes: number; delayMs: number; retransmissions: number }];
  /** A toxic was added or removed; the list now active. */
  'toxics-changed': [toxics: ToxicInfo[]];
}

/** Where a started proxy listens. */
export interface LinkProxyAddress {
  host: string;
  port: number;
}

/**
 * A per-zone link proxy. `start()` listens, every accepted connection is forwarded to the target
 * through the active toxics; `addToxic` / `removeToxic` / `clearToxics` / `reset()` change the
 * link while it runs; `stop()` closes gracefully (FIN) within `stopGraceMs`, `destroy()` at once.
 */
export class LinkProxy {
  /** The link's name (from the options). */
  readonly name: string;
  /** Connection, toxic and bound events; see {@link LinkProxyEvents}. */
  readonly events = new EventEmitter<LinkProxyEvents>();
  readonly #options: ResolvedLinkProxyOptions;
  readonly #clock: Clock;
  readonly #random: SeededRandom;
  readonly #toxics = new ToxicSet();
  readonly #connections = new Map<number, ProxyConnection>();
  readonly #stats = {
    accepted: 0,
    refused: 0,
    resets: 0,
    heldOverflows: 0,
    targetFailures: 0,
    upstream: emptyDirectionStats(),
    downstream: emptyDirectionStats(),
  };
  readonly #context: ConnectionContext;
  #state: LifecycleState = LifecycleState.Idle;
  #server: Server | undefined;
  #address: LinkProxyAddress | undefined;
  #nextConnectionId = 1;
  #stopping: Promise<void> | undefined;

  constructor(options: LinkProxyOptions, components: LinkProxyComponents = {}) {
    this.#options = resolveLinkProxyOptions(options);
    this.name = this.#options.name;
    this.#clock = components.clock ?? systemClock;
    this.#random = components.random ?? new SeededRandom(`link-proxy:${this.name}`);
    const o = this.#options;
    this.#context = {
      targetHost: o.targetHost,
      targetPort: o.targetPort,
      connectTimeoutMs: o.connectTimeoutMs,
      maxHeldBytes: o.maxHeldBytes,
      maxInFlightBytes: o.maxInFlightBytes,
      toxics: this.#toxics,
      clock: this.#clock,
      random: this.#random,
      stats: { upstream: this.#stats.upstream, downstream: this.#stats.downstream },
      onHeldOverflow: (conn, direction, heldBytes) => {
        this.#stats.heldOverflows++;
        this.events.emit('held-overflow', { id: conn.id, direction, heldBytes, maxHeldBytes: o.maxHeldBytes });
        conn.reset(CloseReason.HeldOverflow);
      },
      onDelay: (conn, direction, bytes, delayMs, retransmissions) => {
        if (this.events.listenerCount('delay') > 0) this.events.emit('delay', { id: conn.id, direction, bytes, delayMs, retransmissions });
      },
      onClosed: (conn, reason, droppedBytes, error) => {
        this.#connections.delete(conn.id);
        if (reason === CloseReason.Reset) this.#stats.resets++;
        if (reason === CloseReason.TargetUnreachable) this.#stats.targetFailures++;
        this.events.emit('connection-closed', { id: conn.id, reason, droppedBytes, error });
      },
    };
  }

  /** The lifecycle state: `idle -> starting -> running -> stopping -> stopped`. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** Where the proxy listens, once started. */
  get address(): LinkProxyAddress | undefined {
    return this.#address && { ...this.#address };
  }

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** A snapshot of the counters. */
  get stats(): LinkProxyStats {
    const s = this.#stats;
    return { ...s, active: this.#connections.size, upstream: { ...s.upstream }, downstream: { ...s.downstream } };
  }

  /** Listens; resolves with the address (the real port when `listenPort` is 0). */
  async start(options: { signal?: AbortSignal } = {}): Promise<LinkProxyAddress> {
    if (this.#state !== LifecycleState.Idle) throw new LinkProxyStateError(this.name, this.#state, 'start() may be called once');
    this.#state = LifecycleState.Starting;
    const { listenHost, listenPort } = this.#options;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listenHost, port: listenPort, ...(options.signal && { signal: options.signal }) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.#state = LifecycleState.Stopped;
      server.close();
      throw new LinkProxyListenError(this.name, listenHost, listenPort, err);
    }
    // A listening server has no further errors worth crashing for; accept errors are per socket.
    server.on('error', () => {});
    this.#address = { host: listenHost, port: (server.address() as AddressInfo).port };
    // stop() or destroy() may have run while listening.
    if (this.#state !== LifecycleState.Starting) {
      server.close();
      throw new LinkProxyStateError(this.name, this.#state, 'stopped while starting');
    }
    this.#state = LifecycleState.Running;
    return { ...this.#address };
  }

  /** A URL through the proxy, e.g. `url('ws', '/zonesim/v1/link')` -> `ws://127.0.0.1:40123/zonesim/v1/link`. */
  url(protocol: string, path = '/'): string {
    if (this.#address === undefined) throw new LinkProxyStateError(this.name, this.#state, 'url() needs a started proxy');
    const { host, port } = this.#address;
    const h = host.includes(':') ? `[${host}]` : host;
    return `${protocol.replace(/:(\/\/)?$/, '')}://${h}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** Adds a toxic (validated; throws `LINK_PROXY_INVALID_TOXIC` naming the field); returns its id. */
  addToxic(toxic: Toxic): string {
    const added = this.#toxics.add(toxic);
    this.#toxicsChanged([]);
    return added.id;
  }

  /** Removes a toxic: its delay is taken off bytes still queued, and a healed blackhole lets held bytes flow in order. */
  removeToxic(id: string): boolean {
    if (!this.#toxics.remove(id)) return false;
    this.#toxicsChanged([id]);
    return true;
  }

  /** Removes every toxic (the heal at the end of a scenario). */
  clearToxics(): void {
    const removed = this.#toxics.clear();
    if (removed.length > 0) this.#toxicsChanged(removed);
  }

  /** The active toxics, with defaults filled in, in the order added. */
  toxics(): ToxicInfo[] {
    return this.#toxics.list();
  }

  /**
   * The `disconnect` fault: sends a TCP RST on both sides of every current connection and drops
   * what they hold. New connections are accepted again unless a `refuse` toxic says otherwise.
   * Returns the number of connections reset.
   */
  reset(): number {
    const conns = [...this.#connections.values()];
    for (const c of conns) c.reset(CloseReason.Reset);
    return conns.length;
  }

  /**
   * Stops accepting, drops held bytes, sends FIN both ways on every connection and waits up to
   * `stopGraceMs` for them to close, then destroys the rest. Safe to call more than once.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (this.#state === LifecycleState.Idle || this.#state === LifecycleState.Stopped) {
      this.#state = LifecycleState.Stopped;
      return (this.#stopping = Promise.resolve());
    }
    this.#state = LifecycleState.Stopping;
    this.#stopping = (async () => {
      const serverClosed = this.#closeServer();
      const conns = [...this.#connections.values()];
      const closed = Promise.all(conns.map((c) => c.shutdown()));
      if (!(await withinGrace(closed, this.#options.stopGraceMs))) {
        for (const c of conns) {
          c.client.destroy();
          c.target.destroy();
        }
      }
      await serverClosed;
      this.#state = LifecycleState.Stopped;
    })();
    return this.#stopping;
  }

  /** Stops at once: closes the listener and destroys every connection without a grace period. */
  destroy(): void {
    this.#state = LifecycleState.Stopped;
    this.#stopping ??= Promise.resolve();
    void this.#closeServer();
    for (const c of [...this.#connections.values()]) c.destroy(CloseReason.Destroyed);
  }

  #closeServer(): Promise<void> {
    const server = this.#server;
    if (server === undefined || !server.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    // Errors on a socket we are about to drop must not become unhandled.
    socket.on('error', () => {});
    if (this.#state !== LifecycleState.Running) {
      socket.destroy();
      return;
    }
    if (this.#toxics.refusing()) {
      // The handshake is already done by the kernel, so the client sees ECONNRESET right after
      // connecting rather than ECONNREFUSED; either way it gets no connection.
      this.#stats.refused++;
      this.events.emit('refused', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
      resetSocket(socket);
      return;
    }
    const conn = new ProxyConnection(this.#nextConnectionId++, socket, this.#context);
    this.#connections.set(conn.id, conn);
    this.#stats.accepted++;
    this.events.emit('connection', { id: conn.id, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  }

  #toxicsChanged(removedIds: readonly string[]): void {
    for (const c of [...this.#connections.values()]) c.toxicsChanged(removedIds);
    this.events.emit('toxics-changed', this.#toxics.list());
  }
}
