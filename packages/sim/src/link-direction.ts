/**
 * One direction of one simulated connection: what the sender's `send` puts in, and when each item
 * comes out at the receiver. The model, in order:
 *
 * 1. **Line (bandwidth).** An item is serialized after the ones before it at the direction's rate
 *    (the smaller of the link's line rate and any `bandwidth` toxic): `txEnd = max(now, lineFreeAt)
 *    + bytes / rate`. Bytes not yet serialized are the sender's `bufferedAmount`, so a sender that
 *    outruns the line sees backpressure, as with ws over TCP.
 * 2. **Delay.** At send time, one base latency draw (the link's distribution for this direction)
 *    plus the toxics' draw (`ToxicSet.drawDelay`: latency + jitter, loss as retransmission
 *    timeouts), from this direction's own seeded source: `readyAt = txEnd + base + toxics`.
 * 3. **FIFO.** `deliverAt = max(readyAt, deliverAt of the previous item)`: a late item delays
 *    every later one (head-of-line blocking), and nothing overtakes, as on one TCP connection.
 * 4. **Blackhole.** While a `blackhole` toxic acts on this direction nothing is delivered; items
 *    are held ("in the network") and flow again in order when it is removed, each at once if it
 *    was already due. Past `maxHeldBytes` the owner resets the connection (link-proxy's bound).
 *
 * Removing a latency or loss toxic removes the delay it added to items still queued, and any change
 * of the toxics re-paces the items not yet serialized at the new rate, so a heal acts at once, as
 * in link-proxy's `DirectionPipe`. Each delivery is its own simulation event, so the receiver's
 * microtasks drain between two frames.
 *
 * @module
 */
import type { Sampler, SeededRandom } from '@zonesim/common';
import type { ChunkDelay, Direction, ToxicSet } from '@zonesim/link-proxy/toxics';
import type { SimEventHandle, Simulation } from './simulation.js';

/**
 * Bytes a frame takes on the line: a frame that carries a value instead of its bytes (the zone
 * link's `ValueFrame`, an empty array) declares the length its encoding would have as `wireBytes`.
 */
function wireBytes(data: Uint8Array): number {
  const declared = (data as Uint8Array & { wireBytes?: number }).wireBytes;
  return declared === undefined ? data.byteLength : declared;
}

/** What travels in a direction: a frame, or a control of the connection's life. */
export const ItemKind = {
  Frame: 0,
  /** Client -> server: the dial (TCP handshake and upgrade request). */
  Open: 1,
  /** Server -> client: the dial was accepted. */
  Accept: 2,
  /** Server -> client: nothing listens; the dial fails. */
  Refuse: 3,
  /** A closing handshake frame (code, reason). */
  Close: 4,
  /** The sender's end went away without a handshake (terminate, kill): the peer sees 1006. */
  Fin: 5,
} as const;
/** One of {@link ItemKind}. */
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/** One item in flight. */
export interface LinkItem {
  readonly kind: ItemKind;
  readonly data: Uint8Array | undefined;
  readonly code: number;
  readonly reason: string;
  /** Bytes on the line (0 for controls). */
  readonly bytes: number;
  /** Rate the item is being serialized at, bytes/s. */
  rate: number;
  txEnd: number;
  readonly baseMs: number;
  delays: ChunkDelay[] | undefined;
  toxicMs: number;
  deliverAt: number;
}

/** Counters of one direction, summed over every connection of a link. */
export interface SimDirectionStats {
  /** Frames handed to `send`. */
  sentFrames: number;
  /** Bytes handed to `send`. */
  sentBytes: number;
  /** Frames delivered to the receiver. */
  deliveredFrames: number;
  /** Bytes delivered to the receiver. */
  deliveredBytes: number;
  /** Bytes sent but never delivered: their connection was reset, closed or its receiver gone. */
  droppedBytes: number;
  /** Bytes sent and not yet delivered, now. */
  queuedBytes: number;
  /** Frames a latency or loss toxic delayed. */
  delayedFrames: number;
  /** Simulated retransmissions (losses) drawn by loss toxics. */
  retransmissions: number;
}

/** A new, zeroed {@link SimDirectionStats}. */
export function emptySimDirectionStats(): SimDirectionStats {
  return { sentFrames: 0, sentBytes: 0, deliveredFrames: 0, deliveredBytes: 0, droppedBytes: 0, queuedBytes: 0, delayedFrames: 0, retransmissions: 0 };
}

/** What a direction needs from its link. */
export interface LinkDirectionContext {
  readonly direction: Direction;
  readonly sim: Simulation;
  readonly toxics: ToxicSet;
  readonly random: SeededRandom;
  /** Base one-way latency of this direction, ms. */
  readonly base: Sampler;
  /** Line rate of the link, bytes/s (may be Infinity). */
  readonly lineBytesPerSecond: number;
  readonly maxHeldBytes: number;
  readonly stats: SimDirectionStats;
}

/** One direction of one connection. */
export class LinkDirection {
  readonly #ctx: LinkDirectionContext;
  readonly #deliver: (item: LinkItem) => void;
  readonly #onHeldOverflow: (heldBytes: number) => void;
  readonly #queue: LinkItem[] = [];
  #head = 0;
  /** First item not known to be fully serialized (advanced lazily), and the bytes from it on. */
  #txHead = 0;
  #unsentBytes = 0;
  #queuedBytes = 0;
  #lineFreeAt = 0;
  #tailDeliverAt = Number.NEGATIVE_INFINITY;
  #lastDeliveredAt = Number.NEGATIVE_INFINITY;
  #timer: SimEventHandle | undefined;
  #closed = false;

  constructor(ctx: LinkDirectionContext, deliver: (item: LinkItem) => void, onHeldOverflow: (heldBytes: number) => void) {
    this.#ctx = ctx;
    this.#deliver = deliver;
    this.#onHeldOverflow = onHeldOverflow;
  }

  /** Bytes handed to `send` and not yet serialized onto the line: the sender's `bufferedAmount`. */
  get unsentBytes(): number {
    const now = this.#ctx.sim.time;
    const q = this.#queue;
    while (this.#txHead < q.length && q[this.#txHead]!.txEnd <= now) this.#unsentBytes -= q[this.#txHead++]!.bytes;
    if (this.#txHead >= q.length) return 0;
    const item = q[this.#txHead]!;
    // The item on the line now is partly sent; those behind it wait whole.
    const left = Number.isFinite(item.rate) ? Math.min(item.bytes, ((item.txEnd - now) * item.rate) / 1000) : 0;
    return Math.ceil(this.#unsentBytes - item.bytes + left);
  }

  /** Bytes sent and not yet delivered. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Puts a frame or control in; returns the virtual time at which it is fully serialized. */
  send(kind: ItemKind, data?: Uint8Array, code = 0, reason = ''): number {
    const ctx = this.#ctx;
    const now = ctx.sim.time;
    if (this.#closed) return now;
    const bytes = data === undefined ? 0 : wireBytes(data);
    const rate = this.#rate();
    const start = this.#lineFreeAt > now ? this.#lineFreeAt : now;
    const txEnd = bytes > 0 && Number.isFinite(rate) ? start + (bytes * 1000) / rate : start;
    this.#lineFreeAt = txEnd;
    // Draw order is part of the replay contract: base latency first, then the toxics in order.
    const baseMs = Math.max(0, ctx.base(ctx.random));
    const draw = ctx.toxics.drawDelay(ctx.direction, ctx.random);
    const ready = txEnd + baseMs + draw.totalMs;
    const deliverAt = ready > this.#tailDeliverAt ? ready : this.#tailDeliverAt;
    this.#tailDeliverAt = deliverAt;
    const item: LinkItem = {
      kind,
      data,
      code,
      reason,
      bytes,
      rate,
      txEnd,
      baseMs,
      delays: draw.totalMs > 0 ? draw.delays : undefined,
      toxicMs: draw.totalMs,
      deliverAt,
    };
    this.#queue.push(item);
    this.#queuedBytes += bytes;
    this.#unsentBytes += bytes;
    const stats = ctx.stats;
    stats.queuedBytes += bytes;
    if (kind === ItemKind.Frame) {
      stats.sentFrames++;
      stats.sentBytes += bytes;
      if (draw.totalMs > 0) stats.delayedFrames++;
      stats.retransmissions += draw.retransmissions;
    }
    if (this.#queuedBytes > ctx.maxHeldBytes && ctx.toxics.blackholed(ctx.direction)) {
      this.#onHeldOverflow(this.#queuedBytes);
      return txEnd;
    }
    this.#pump();
    return txEnd;
  }

  /**
   * The link's toxics changed: drop the delay of removed toxics from queued items, re-pace what
   * is not yet serialized at the new rate, recompute the FIFO delivery times, and re-decide.
   */
  toxicsChanged(removedIds: readonly string[]): void {
    if (this.#closed) return;
    const now = this.#ctx.sim.time;
    const rate = this.#rate();
    let lineAt = now;
    let first = true;
    let prev = this.#lastDeliveredAt;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      if (removedIds.length > 0 && item.delays !== undefined) {
        item.delays = item.delays.filter((d) => !removedIds.includes(d.toxicId));
        item.toxicMs = item.delays.reduce((sum, d) => sum + d.ms, 0);
      }
      if (item.txEnd > now) {
        // Only the first unserialized item is partly on the line; the rest wait whole.
        const left = first && Number.isFinite(item.rate) ? Math.min(item.bytes, ((item.txEnd - now) * item.rate) / 1000) : item.bytes;
        first = false;
        item.txEnd = lineAt + (left > 0 && Number.isFinite(rate) ? (left * 1000) / rate : 0);
        item.rate = rate;
        lineAt = item.txEnd;
      }
      const ready = item.txEnd + item.baseMs + item.toxicMs;
      item.deliverAt = ready > prev ? ready : prev;
      prev = item.deliverAt;
    }
    if (!first) this.#lineFreeAt = lineAt;
    this.#tailDeliverAt = prev;
    this.#cancelTimer();
    this.#pump();
  }

  /** Stops the direction and drops what it still holds; returns the bytes dropped. */
  close(): number {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#cancelTimer();
    const dropped = this.#queuedBytes;
    this.#ctx.stats.droppedBytes += dropped;
    this.#ctx.stats.queuedBytes -= dropped;
    this.#queuedBytes = 0;
    this.#unsentBytes = 0;
    this.#queue.length = 0;
    this.#head = 0;
    this.#txHead = 0;
    return dropped;
  }

  #rate(): number {
    const toxic = this.#ctx.toxics.bytesPerSecond(this.#ctx.direction);
    const line = this.#ctx.lineBytesPerSecond;
    return toxic !== undefined && toxic < line ? toxic : line;
  }

  #pump(): void {
    if (this.#closed || this.#timer !== undefined || this.#head >= this.#queue.length) return;
    if (this.#ctx.toxics.blackholed(this.#ctx.direction)) return; // woken by toxicsChanged() on heal
    const item = this.#queue[this.#head]!;
    this.#timer = this.#ctx.sim.schedule(item.deliverAt - this.#ctx.sim.time, this.#onDue);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#ctx.sim.cancel(this.#timer);
    this.#timer = undefined;
  }

  #onDue = (): void => {
    this.#timer = undefined;
    if (this.#closed || this.#ctx.toxics.blackholed(this.#ctx.direction)) return;
    const item = this.#dequeue();
    this.#lastDeliveredAt = item.deliverAt;
    const stats = this.#ctx.stats;
    stats.queuedBytes -= item.bytes;
    if (item.kind === ItemKind.Frame) {
      stats.deliveredFrames++;
      stats.deliveredBytes += item.bytes;
    }
    this.#pump();
    this.#deliver(item);
  };

  #dequeue(): LinkItem {
    const q = this.#queue;
    const item = q[this.#head]!;
    q[this.#head] = undefined as unknown as LinkItem;
    if (this.#txHead === this.#head) {
      this.#unsentBytes -= item.bytes;
      this.#txHead++;
    }
    this.#head++;
    this.#queuedBytes -= item.bytes;
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
      this.#txHead = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= q.length) {
      q.splice(0, this.#head);
      this.#txHead -= this.#head;
      this.#head = 0;
    }
    return item;
  }
}
