/**
 * The in-memory network of virtual time: a {@link SimLink} is one path between a dialer (a zone
 * node) and a {@link SimListener} (the coordinator), the simulated twin of one `LinkProxy` in front
 * of a zone node's link. Its connections are pairs of {@link SimEndpoint}s; its two directions
 * follow link-proxy's names (`upstream` client -> server, `downstream` server -> client).
 *
 * The faults are link-proxy's own pure `ToxicSet` (`@zonesim/link-proxy/toxics`), so a toxic means
 * the same thing in both modes:
 *
 * | fault | call | what the endpoints see |
 * |---|---|---|
 * | latency + jitter | `addToxic({ type: 'latency', latencyMs, jitterMs })` | frames later, order kept |
 * | loss | `addToxic({ type: 'loss', rate })` | retransmission timeouts, head-of-line blocking |
 * | partition | `addToxic({ type: 'blackhole' })` | silence; held frames flow in order on heal |
 * | bandwidth | `addToxic({ type: 'bandwidth', bytesPerSecond })` | serialization delay, `bufferedAmount` |
 * | disconnect | `reset()` | both ends closed at once (1006), frames in flight dropped |
 * | zone network down | `addToxic({ type: 'refuse' })` | new dials fail (`SIM_LINK_REFUSED`) |
 *
 * Each direction has a base latency distribution and its own seeded random source (a fork of the
 * link's), so a link's draws do not depend on traffic elsewhere. Reordering: within a connection
 * never (as WebSocket over TCP); across connections it happens by itself, e.g. the frames of an old
 * session racing those of its successor.
 *
 * Not modelled (see docs/virtual-time.md when it exists): TCP's window (latency never backs up into
 * `bufferedAmount`, only the line rate does), slow start, a shared bottleneck between links.
 *
 * @module
 */
import { sampler, DistributionError, type Distribution, type Sampler, type SeededRandom } from '@zonesim/common';
import { DEFAULT_MAX_HELD_BYTES, Direction, ToxicSet, type Toxic, type ToxicInfo } from '@zonesim/link-proxy/toxics';
import { SimErrorCode, SimLinkError, SimOptionsError } from './errors.js';
import { emptySimDirectionStats, ItemKind, LinkDirection, type LinkDirectionContext, type LinkItem, type SimDirectionStats } from './link-direction.js';
import type { ProcessClock } from './process-clock.js';
import { CLOSE_ABNORMAL, EndpointState, SimEndpoint, type EndpointHost } from './sim-endpoint.js';
import type { Simulation } from './simulation.js';

/** Base one-way latency of a link direction: 0.1 ms, about a loopback WebSocket hop (the real mode's). */
export const DEFAULT_LINK_LATENCY: Distribution = Object.freeze({ kind: 'constant', value: 0.1 }) as Distribution;
/** Line rate of a link direction: 1 Gbit/s. */
export const DEFAULT_LINK_BYTES_PER_SECOND = 125_000_000;
/** Time a closing endpoint waits for the peer's close frame before giving up (ws's `closeTimeout`). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;

/** Settings of a {@link SimLink}. */
export interface SimLinkOptions {
  /** Name of the link (e.g. `az-a/node-1`), in errors. */
  name: string;
  /**
   * Base one-way latency in ms: one distribution for both directions, or one per direction.
   * @default { kind: 'constant', value: 0.1 } ({@link DEFAULT_LINK_LATENCY})
   */
  latency?: Distribution | { upstream?: Distribution; downstream?: Distribution };
  /** Line rate of each direction in bytes/s (`Infinity`: none). @default 125000000 ({@link DEFAULT_LINK_BYTES_PER_SECOND}) */
  bytesPerSecond?: number;
  /** Bytes a blackholed direction of one connection may hold before the connection is reset. @default 16 MiB (link-proxy's `DEFAULT_MAX_HELD_BYTES`) */
  maxHeldBytes?: number;
  /** Virtual ms a closing endpoint waits for the peer's close frame. @default 30000 ({@link DEFAULT_CLOSE_TIMEOUT_MS}) */
  closeTimeoutMs?: number;
}

/** {@link SimLinkOptions} with every default filled in. */
export interface ResolvedSimLinkOptions {
  name: string;
  latency: { upstream: Distribution; downstream: Distribution };
  bytesPerSecond: number;
  maxHeldBytes: number;
  closeTimeoutMs: number;
}

/** Fills the defaults of {@link SimLinkOptions} and checks them; throws {@link SimOptionsError} naming the field. */
export function resolveSimLinkOptions(options: SimLinkOptions): ResolvedSimLinkOptions {
  if (typeof options?.name !== 'string' || options.name === '') throw new SimOptionsError('name', 'must be a non-empty string');
  const latency = options.latency ?? DEFAULT_LINK_LATENCY;
  const split = 'kind' in latency ? { upstream: latency, downstream: latency } : latency;
  const upstream = checkDistribution(split.upstream ?? DEFAULT_LINK_LATENCY, 'latency.upstream');
  const downstream = checkDistribution(split.downstream ?? DEFAULT_LINK_LATENCY, 'latency.downstream');
  const bytesPerSecond = options.bytesPerSecond ?? DEFAULT_LINK_BYTES_PER_SECOND;
  if (typeof bytesPerSecond !== 'number' || !(bytesPerSecond > 0)) throw new SimOptionsError('bytesPerSecond', `must be a number > 0 (Infinity for none), got ${bytesPerSecond}`);
  const maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  if (!Number.isSafeInteger(maxHeldBytes) || maxHeldBytes < 1) throw new SimOptionsError('maxHeldBytes', `must be an integer >= 1, got ${maxHeldBytes}`);
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (typeof closeTimeoutMs !== 'number' || !Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0) {
    throw new SimOptionsError('closeTimeoutMs', `must be a finite number >= 0, got ${closeTimeoutMs}`);
  }
  return { name: options.name, latency: { upstream, downstream }, bytesPerSecond, maxHeldBytes, closeTimeoutMs };
}

function checkDistribution(d: Distribution, field: string): Distribution {
  try {
    sampler(d);
    return d;
  } catch (err) {
    if (err instanceof DistributionError) throw new SimOptionsError(`${field}.${err.field}`, err.message, { cause: err });
    throw err;
  }
}

/** What a {@link SimLink} needs besides its settings. */
export interface SimLinkComponents {
  sim: Simulation;
  /** The link's seeded source; each direction draws from its own fork of it. */
  random: SeededRandom;
}

/** Connection and byte counters of a link. */
export interface SimLinkStats {
  /** Dials attempted. */
  dials: number;
  /** Dials the listener accepted. */
  accepted: number;
  /** Dials refused (a `refuse` toxic, or nothing listening). */
  refused: number;
  /** Connections not yet closed at both ends. */
  active: number;
  /** Connections reset by {@link SimLink.reset}. */
  resets: number;
  /** Connections reset because a blackholed direction passed `maxHeldBytes`. */
  heldOverflows: number;
  /** Client -> server. */
  upstream: SimDirectionStats;
  /** Server -> client. */
  downstream: SimDirectionStats;
}

/** Settings of a {@link SimListener}. */
export interface SimListenerOptions {
  /** Name, in errors. */
  name: string;
  /** The listening process: accepts run as its I/O, and its kill closes the listener. */
  process?: ProcessClock;
}

/**
 * A listening endpoint (the coordinator's zone-link server). `onConnection` gets each accepted
 * {@link SimEndpoint}, open; set its handlers there. While closed, dials are refused.
 */
export class SimListener {
  /** The listener's name. */
  readonly name: string;
  /** The listening process, if any. */
  readonly process: ProcessClock | undefined;
  readonly #onConnection: (endpoint: SimEndpoint) => void;
  #listening = true;

  constructor(options: SimListenerOptions, onConnection: (endpoint: SimEndpoint) => void) {
    if (typeof options?.name !== 'string' || options.name === '') throw new SimOptionsError('name', 'must be a non-empty string');
    this.name = options.name;
    this.process = options.process;
    this.#onConnection = onConnection;
    options.process?.onKill(() => this.close());
  }

  /** False once closed: dials are refused (current connections are untouched, as `server.close()`). */
  get listening(): boolean {
    return this.#listening;
  }

  /** Stops accepting. */
  close(): void {
    this.#listening = false;
  }

  /** @internal */
  accept(endpoint: SimEndpoint): void {
    this.#onConnection(endpoint);
  }
}

/** One path between a dialer and a listener, with its toxics; see the module comment. */
export class SimLink {
  /** The link's name. */
  readonly name: string;
  readonly #options: ResolvedSimLinkOptions;
  readonly #sim: Simulation;
  readonly #toxics = new ToxicSet();
  readonly #connections = new Map<number, Connection>();
  readonly #up: LinkDirectionContext;
  readonly #down: LinkDirectionContext;
  readonly #stats = { dials: 0, accepted: 0, refused: 0, resets: 0, heldOverflows: 0 };
  #nextId = 1;

  constructor(options: SimLinkOptions, components: SimLinkComponents) {
    this.#options = resolveSimLinkOptions(options);
    this.name = this.#options.name;
    this.#sim = components.sim;
    const context = (direction: Direction, latency: Distribution): LinkDirectionContext => ({
      direction,
      sim: components.sim,
      toxics: this.#toxics,
      random: components.random.fork(direction),
      base: sampler(latency),
      lineBytesPerSecond: this.#options.bytesPerSecond,
      maxHeldBytes: this.#options.maxHeldBytes,
      stats: emptySimDirectionStats(),
    });
    this.#up = context(Direction.Upstream, this.#options.latency.upstream);
    this.#down = context(Direction.Downstream, this.#options.latency.downstream);
  }

  /** Connections not yet closed at both ends. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Counters; see {@link SimLinkStats}. */
  get stats(): SimLinkStats {
    return { ...this.#stats, active: this.#connections.size, upstream: { ...this.#up.stats }, downstream: { ...this.#down.stats } };
  }

  /**
   * Connects to `listener` over this link and returns the client's end at once, `connecting`
   * (the shape of the zone link's `Dialer`). The open travels upstream (delayed and held like a
   * frame), the listener's process accepts, the acceptance travels back; then the endpoint is
   * `open` and its `onOpen` runs. A connection that fails to open reports `onClose(1006, '')`
   * without `onOpen`, with the reason in `error` (`SIM_LINK_REFUSED`: a `refuse` toxic, after one
   * round trip of base latency, or nothing listening, when the refusal comes back;
   * `SIM_LINK_CLOSED`: reset or closed while connecting). `terminate()` or `close()` abandon it.
   * Handlers run as I/O of `process` (the dialer), so never once it is killed.
   */
  connect(listener: SimListener, options: { process?: ProcessClock } = {}): SimEndpoint {
    this.#stats.dials++;
    const conn = new Connection(this, this.#nextId++, listener, options.process);
    this.#connections.set(conn.id, conn);
    if (this.#toxics.refusing()) {
      // As link-proxy's refuse: the connection is reset at once; the RST takes a round trip.
      this.#stats.refused++;
      conn.server.closeNow();
      const rtt = Math.max(0, this.#up.base(this.#up.random)) + Math.max(0, this.#down.base(this.#down.random));
      this.#sim.schedule(rtt, () => conn.fail(this.#error(SimErrorCode.LinkRefused, 'connection refused (refuse toxic)')));
    } else {
      conn.up.send(ItemKind.Open);
    }
    return conn.client;
  }

  /**
   * {@link connect} as a promise: resolves with the open client endpoint (set its handlers then),
   * rejects with its `error`, or `SIM_LINK_ABORTED` when `signal` aborts first (the connection is
   * then terminated: a listener that already accepted sees 1006).
   */
  dial(listener: SimListener, options: { process?: ProcessClock; signal?: AbortSignal } = {}): Promise<SimEndpoint> {
    const { process, signal } = options;
    return new Promise<SimEndpoint>((resolve, reject) => {
      if (signal?.aborted) return reject(this.#error(SimErrorCode.LinkAborted, 'dial aborted', signal.reason));
      const endpoint = this.connect(listener, { process });
      const onAbort = (): void => {
        reject(this.#error(SimErrorCode.LinkAborted, 'dial aborted', signal!.reason));
        endpoint.terminate();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      endpoint.onOpen = () => {
        signal?.removeEventListener('abort', onAbort);
        endpoint.onOpen = undefined;
        endpoint.onClose = undefined;
        resolve(endpoint);
      };
      endpoint.onClose = () => {
        signal?.removeEventListener('abort', onAbort);
        reject(endpoint.error ?? this.#error(SimErrorCode.LinkClosed, 'connection closed while connecting'));
      };
    });
  }

  /** Adds a toxic (validated by link-proxy's rules); returns its id. */
  addToxic(toxic: Toxic): string {
    const added = this.#toxics.add(toxic);
    this.#toxicsChanged([]);
    return added.id;
  }

  /** Removes a toxic; false when there was none with this id. A heal acts at once on queued frames. */
  removeToxic(id: string): boolean {
    if (!this.#toxics.remove(id)) return false;
    this.#toxicsChanged([id]);
    return true;
  }

  /** Removes every toxic. */
  clearToxics(): void {
    const ids = this.#toxics.clear();
    if (ids.length > 0) this.#toxicsChanged(ids);
  }

  /** The active toxics, in the order they were added. */
  toxics(): ToxicInfo[] {
    return this.#toxics.list();
  }

  /** Resets every current connection: both ends closed at once (1006), frames in flight dropped. Returns how many. */
  reset(): number {
    const conns = [...this.#connections.values()];
    for (const c of conns) c.reset();
    this.#stats.resets += conns.length;
    return conns.length;
  }

  /** @internal */
  get options(): ResolvedSimLinkOptions {
    return this.#options;
  }

  /** @internal */
  get sim(): Simulation {
    return this.#sim;
  }

  /** @internal */
  direction(direction: Direction): LinkDirectionContext {
    return direction === Direction.Upstream ? this.#up : this.#down;
  }

  /** @internal */
  counted(what: 'accepted' | 'refused' | 'heldOverflows'): void {
    this.#stats[what]++;
  }

  /** @internal */
  forget(conn: Connection): void {
    this.#connections.delete(conn.id);
  }

  #error(code: typeof SimErrorCode.LinkRefused | typeof SimErrorCode.LinkAborted | typeof SimErrorCode.LinkClosed, what: string, cause?: unknown): SimLinkError {
    return new SimLinkError(code, this.name, `link ${this.name}: ${what}`, cause === undefined ? undefined : { cause });
  }

  #toxicsChanged(removedIds: readonly string[]): void {
    for (const c of this.#connections.values()) {
      c.up.toxicsChanged(removedIds);
      c.down.toxicsChanged(removedIds);
    }
  }
}

/** Both ends and both directions of one connection. */
class Connection implements EndpointHost {
  readonly sim: Simulation;
  readonly linkName: string;
  readonly closeTimeoutMs: number;
  readonly up: LinkDirection;
  readonly down: LinkDirection;
  readonly client: SimEndpoint;
  readonly server: SimEndpoint;
  readonly #link: SimLink;
  readonly #listener: SimListener;
  #done = false;

  constructor(
    link: SimLink,
    readonly id: number,
    listener: SimListener,
    process: ProcessClock | undefined,
  ) {
    this.#link = link;
    this.#listener = listener;
    this.sim = link.sim;
    this.linkName = link.name;
    this.closeTimeoutMs = link.options.closeTimeoutMs;
    const overflow = (): void => {
      link.counted('heldOverflows');
      this.reset();
    };
    this.up = new LinkDirection(link.direction(Direction.Upstream), (item) => this.server.receive(item), overflow);
    this.down = new LinkDirection(link.direction(Direction.Downstream), (item) => this.client.receive(item), overflow);
    this.client = new SimEndpoint(this, 'client', id, this.up, process);
    this.server = new SimEndpoint(this, 'server', id, this.down, listener.process);
  }

  control(_endpoint: SimEndpoint, item: LinkItem): void {
    if (item.kind === ItemKind.Open) {
      // Checked on arrival: a killed or closed listener's kernel refuses the connection.
      if (!this.#listener.listening) {
        this.#link.counted('refused');
        this.down.send(ItemKind.Refuse);
        this.server.closeNow();
        return;
      }
      this.server.io(() => {
        if (this.server.state !== EndpointState.Connecting) return;
        this.server.opened();
        this.#link.counted('accepted');
        this.down.send(ItemKind.Accept); // ahead of anything the listener sends on accept
        this.#listener.accept(this.server);
      });
      return;
    }
    if (item.kind === ItemKind.Refuse) {
      this.fail(new SimLinkError(SimErrorCode.LinkRefused, this.linkName, `link ${this.linkName}: connection refused (nothing listening on ${this.#listener.name})`));
      return;
    }
    this.client.io(() => this.client.opened());
  }

  /** The client's connection failed to open: it closes with `err` as its reason. */
  fail(err: SimLinkError): void {
    this.client.failed(err);
  }

  closed(endpoint: SimEndpoint): void {
    if (endpoint === this.client && endpoint.error === undefined && !endpoint.wasOpen) {
      // Closed before the acceptance arrived: a reset, a FIN from a dead listener, abandoned.
      endpoint.failed(new SimLinkError(SimErrorCode.LinkClosed, this.linkName, `link ${this.linkName}: connection closed while connecting`));
    }
    if (this.#done || this.client.state !== EndpointState.Closed || this.server.state !== EndpointState.Closed) return;
    this.#done = true;
    this.up.close();
    this.down.close();
    this.#link.forget(this);
  }

  dropped(endpoint: SimEndpoint, bytes: number): void {
    this.#link.direction(endpoint.side === 'server' ? Direction.Upstream : Direction.Downstream).stats.droppedBytes += bytes;
  }

  reset(): void {
    this.up.close();
    this.down.close();
    this.client.closeNow(CLOSE_ABNORMAL, '');
    this.server.closeNow(CLOSE_ABNORMAL, '');
  }
}
