/**
 * One direction of one proxied connection: reads chunks from the sending socket, holds each until
 * the toxics let it go, and writes it to the receiving socket. Chunks leave strictly in the order
 * they arrived (only the head of the queue is ever released), so a delayed chunk delays every later
 * one, as TCP's in-order delivery does.
 *
 * Bounds: the queue is read into while it holds less than `maxInFlightBytes`; above that, or while
 * the receiver's socket buffer is full (`write()` returned false, waiting for `drain`), the sender
 * is paused and TCP flow control pushes back to the sending process. A blackholed direction keeps
 * reading (the bytes are "in the network"), up to `maxHeldBytes`; past it the owner is told to
 * reset the connection (as TCP gives up after its retransmission limit).
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { Clock, SeededRandom, TimerHandle } from '@zonesim/common';
import type { ChunkDelay, ToxicSet } from './toxic-set.js';
import type { Direction } from './toxics.js';

/** Byte and chunk counters of one direction (shared by every connection of a proxy). */
export interface DirectionStats {
  /** Bytes read from the sender. */
  receivedBytes: number;
  /** Bytes written to the receiver. */
  sentBytes: number;
  /** Bytes read but never written, because their connection was closed or reset first. */
  droppedBytes: number;
  /** Bytes read and not yet written, now (held by a blackhole or waiting on a toxic). */
  queuedBytes: number;
  /** Chunks a latency or loss toxic delayed. */
  delayedChunks: number;
  /** Simulated retransmissions (losses) drawn by loss toxics. */
  retransmissions: number;
}

/** A new, zeroed {@link DirectionStats}. */
export function emptyDirectionStats(): DirectionStats {
  return { receivedBytes: 0, sentBytes: 0, droppedBytes: 0, queuedBytes: 0, delayedChunks: 0, retransmissions: 0 };
}

/** Bandwidth is paced in slices of this many milliseconds' worth of bytes, so throughput is smooth. */
const BANDWIDTH_SLICE_MS = 20;

interface Chunk {
  /** `null` marks the sender's FIN, forwarded in order after the bytes before it. */
  data: Buffer | null;
  receivedAt: number;
  readyAt: number;
  delays: ChunkDelay[] | undefined;
}

/** What a pipe needs besides its two sockets. */
export interface DirectionPipeContext {
  readonly direction: Direction;
  readonly toxics: ToxicSet;
  readonly clock: Clock;
  readonly random: SeededRandom;
  readonly stats: DirectionStats;
  readonly maxHeldBytes: number;
  readonly maxInFlightBytes: number;
  /** A blackholed direction passed `maxHeldBytes`: the owner must reset the connection. */
  onHeldOverflow(heldBytes: number): void;
  /** A toxic delayed a chunk (for tests and traces). */
  onDelay(bytes: number, delayMs: number, retransmissions: number): void;
}

/** Moves the bytes of one direction of one connection through the toxics. */
export class DirectionPipe {
  readonly #source: Socket;
  readonly #dest: Socket;
  readonly #ctx: DirectionPipeContext;
  readonly #queue: Chunk[] = [];
  #head = 0;
  #queuedBytes = 0;
  #timer: TimerHandle | undefined;
  #waitingDrain = false;
  #paused = false;
  #closed = false;
  #bandwidthFreeAt = Number.NEGATIVE_INFINITY;

  constructor(source: Socket, dest: Socket, ctx: DirectionPipeContext) {
    this.#source = source;
    this.#dest = dest;
    this.#ctx = ctx;
    source.on('data', this.#onData);
    source.on('end', this.#onEnd);
    source.resume();
  }

  /** Bytes read and not yet written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * The toxics changed: drop the delay the removed toxics added to queued chunks (a heal acts at
   * once), then re-decide reading and sending.
   */
  toxicsChanged(removedIds: readonly string[]): void {
    if (this.#closed) return;
    if (removedIds.length > 0) {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const c = this.#queue[i]!;
        if (c.delays === undefined) continue;
        c.delays = c.delays.filter((d) => !removedIds.includes(d.toxicId));
        c.readyAt = c.receivedAt + c.delays.reduce((sum, d) => sum + d.ms, 0);
      }
    }
    this.#clearTimer();
    this.#pump();
    this.#updateFlow();
  }

  /** Stops the pipe and drops what it still holds; returns the bytes dropped. */
  close(): number {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#clearTimer();
    this.#source.off('data', this.#onData);
    this.#source.off('end', this.#onEnd);
    this.#dest.off('drain', this.#onDrain);
    const dropped = this.#queuedBytes;
    this.#ctx.stats.droppedBytes += dropped;
    this.#ctx.stats.queuedBytes -= dropped;
    this.#queuedBytes = 0;
    this.#queue.length = 0;
    this.#head = 0;
    // Never leave the sender paused by us: with no listener it now reads and discards, so its
    // FIN still arrives and the socket can close.
    if (this.#paused && !this.#source.destroyed) this.#source.resume();
    this.#paused = false;
    return dropped;
  }

  #onData = (data: Buffer): void => {
    if (this.#closed) return;
    const ctx = this.#ctx;
    ctx.stats.receivedBytes += data.length;
    // The delay is drawn when the chunk arrives (even under a blackhole), so a chunk held by a
    // partition is due at once when the partition heals, unless latency was also in force.
    const draw = ctx.toxics.drawDelay(ctx.direction, ctx.random);
    const now = ctx.clock.monotonic();
    if (draw.totalMs > 0) {
      ctx.stats.delayedChunks++;
      ctx.stats.retransmissions += draw.retransmissions;
      ctx.onDelay(data.length, draw.totalMs, draw.retransmissions);
    }
    this.#enqueue({ data, receivedAt: now, readyAt: now + draw.totalMs, delays: draw.totalMs > 0 ? draw.delays : undefined }, data.length);
    if (this.#queuedBytes > ctx.maxHeldBytes && ctx.toxics.blackholed(ctx.direction)) {
      ctx.onHeldOverflow(this.#queuedBytes);
      return;
    }
    this.#pump();
    this.#updateFlow();
  };

  #onEnd = (): void => {
    if (this.#closed) return;
    const ctx = this.#ctx;
    // The FIN is a segment too: it waits behind the bytes before it (the queue is FIFO) and is
    // itself delayed by latency and loss.
    const draw = ctx.toxics.drawDelay(ctx.direction, ctx.random);
    const now = ctx.clock.monotonic();
    this.#enqueue({ data: null, receivedAt: now, readyAt: now + draw.totalMs, delays: draw.totalMs > 0 ? draw.delays : undefined }, 0);
    this.#pump();
  };

  #onDrain = (): void => {
    this.#waitingDrain = false;
    this.#pump();
    this.#updateFlow();
  };

  #enqueue(chunk: Chunk, bytes: number): void {
    this.#queue.push(chunk);
    this.#queuedBytes += bytes;
    this.#ctx.stats.queuedBytes += bytes;
  }

  #dequeue(): void {
    this.#queue[this.#head] = undefined as unknown as Chunk;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Releases due chunks from the head of the queue until one is not due or the receiver is full. */
  #pump(): void {
    const ctx = this.#ctx;
    if (this.#closed || this.#waitingDrain || this.#timer !== undefined) return;
    if (ctx.toxics.blackholed(ctx.direction)) return; // woken by toxicsChanged() on heal
    while (this.#head < this.#queue.length) {
      if (this.#dest.destroyed) return; // the owner closes this pipe on the socket's 'close'
      const chunk = this.#queue[this.#head]!;
      const now = ctx.clock.monotonic();
      if (chunk.readyAt > now) return this.#wakeAt(chunk.readyAt - now);
      if (chunk.data === null) {
        this.#dequeue();
        this.#dest.end();
        return;
      }
      let piece = chunk.data;
      const rate = ctx.toxics.bytesPerSecond(ctx.direction);
      if (rate !== undefined) {
        if (this.#bandwidthFreeAt > now) return this.#wakeAt(this.#bandwidthFreeAt - now);
        const slice = Math.max(1, Math.floor((rate * BANDWIDTH_SLICE_MS) / 1000));
        if (piece.length > slice) piece = piece.subarray(0, slice);
        // Timers fire late; catching up at most one slice of lateness keeps the average rate
        // without letting an idle link burst.
        const base = now - this.#bandwidthFreeAt < BANDWIDTH_SLICE_MS ? this.#bandwidthFreeAt : now;
        this.#bandwidthFreeAt = base + (piece.length * 1000) / rate;
      }
      if (piece.length === chunk.data.length) this.#dequeue();
      else chunk.data = chunk.data.subarray(piece.length);
      this.#queuedBytes -= piece.length;
      ctx.stats.queuedBytes -= piece.length;
      ctx.stats.sentBytes += piece.length;
      if (!this.#dest.write(piece)) {
        this.#waitingDrain = true;
        this.#dest.once('drain', this.#onDrain);
        return;
      }
    }
  }

  #wakeAt(ms: number): void {
    // Whole milliseconds, rounded up; #pump re-checks the clock, so an early timer only re-arms.
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
      this.#updateFlow();
    }, Math.max(1, Math.ceil(ms)));
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Pauses the sender while the queue is full, unless blackholed (a blackhole absorbs, up to its bound). */
  #updateFlow(): void {
    const ctx = this.#ctx;
    const pause = !this.#closed && this.#queuedBytes >= ctx.maxInFlightBytes && !ctx.toxics.blackholed(ctx.direction);
    if (pause === this.#paused) return;
    this.#paused = pause;
    if (pause) this.#source.pause();
    else if (!this.#source.destroyed) this.#source.resume();
  }
}
