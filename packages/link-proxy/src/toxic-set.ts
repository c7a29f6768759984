/**
 * The toxics active on one proxy, and the per-chunk questions the data path asks of them: is this
 * direction blackholed, what rate may it send at, how long must this chunk wait. Pure: no sockets,
 * no timers, randomness only from the injected {@link SeededRandom}, so a seed reproduces every
 * jitter and loss draw.
 *
 * @module
 */
import type { SeededRandom } from '@zonesim/common';
import { LinkProxyErrorCode, LinkProxyOptionsError } from './errors.js';
import { appliesTo, resolveToxic, type Direction, type ToxicInfo } from './toxics.js';

/** The delay one toxic added to one chunk (kept per toxic so removing the toxic removes its delay). */
export interface ChunkDelay {
  readonly toxicId: string;
  readonly ms: number;
}

/** What the toxics decided for one chunk. */
export interface DelayDraw {
  /** One entry per latency or loss toxic that delayed the chunk; empty when none did. */
  readonly delays: ChunkDelay[];
  /** Sum of `delays`. */
  readonly totalMs: number;
  /** Simulated retransmissions (losses) of the chunk, over every loss toxic. */
  readonly retransmissions: number;
}

const NO_DELAY: DelayDraw = Object.freeze({ delays: [], totalMs: 0, retransmissions: 0 }) as DelayDraw;

/** The toxics of one proxy, in the order they were added. */
export class ToxicSet {
  #toxics = new Map<string, ToxicInfo>();
  #nextId = 1;

  /** Validates and adds a toxic; returns it with its defaults and id. */
  add(input: unknown): ToxicInfo {
    const name = (input as { name?: unknown } | null)?.name;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw new LinkProxyOptionsError(LinkProxyErrorCode.InvalidToxic, 'toxic.name', 'must be a non-empty string');
    }
    if (typeof name === 'string' && this.#toxics.has(name)) {
      throw new LinkProxyOptionsError(LinkProxyErrorCode.InvalidToxic, 'toxic.name', `a toxic named ${name} exists already`);
    }
    let id = name;
    if (id === undefined) {
      const type = (input as { type?: unknown } | null)?.type;
      do id = `${typeof type === 'string' ? type : 'toxic'}-${this.#nextId++}`;
      while (this.#toxics.has(id));
    }
    const toxic = resolveToxic(input, id);
    this.#toxics.set(id, toxic);
    return toxic;
  }

  /** Removes a toxic; false when there was none with this id. */
  remove(id: string): boolean {
    return this.#toxics.delete(id);
  }

  /** Removes every toxic; returns the ids removed. */
  clear(): string[] {
    const ids = [...this.#toxics.keys()];
    this.#toxics.clear();
    return ids;
  }

  /** Copies of the active toxics, in the order they were added. */
  list(): ToxicInfo[] {
    return [...this.#toxics.values()].map((t) => ({ ...t }));
  }

  get size(): number {
    return this.#toxics.size;
  }

  /** True while a `refuse` toxic is active. */
  refusing(): boolean {
    for (const t of this.#toxics.values()) if (t.type === 'refuse') return true;
    return false;
  }

  /** True while a `blackhole` toxic acts on `direction`. */
  blackholed(direction: Direction): boolean {
    for (const t of this.#toxics.values()) if (t.type === 'blackhole' && appliesTo(t, direction)) return true;
    return false;
  }

  /** The smallest `bytesPerSecond` of the bandwidth toxics acting on `direction`, if any. */
  bytesPerSecond(direction: Direction): number | undefined {
    let rate: number | undefined;
    for (const t of this.#toxics.values()) {
      if (t.type === 'bandwidth' && appliesTo(t, direction)) rate = rate === undefined ? t.bytesPerSecond : Math.min(rate, t.bytesPerSecond);
    }
    return rate;
  }

  /**
   * Draws the delay of one chunk read in `direction`: latency plus jitter, then loss as
   * retransmission timeouts (see {@link LossToxic}). Draws happen in toxic order, one `next()` for
   * each jittered latency and one per transmission attempt of each loss toxic, so the same seed and
   * the same sequence of chunks give the same delays.
   */
  drawDelay(direction: Direction, random: SeededRandom): DelayDraw {
    if (this.#toxics.size === 0) return NO_DELAY;
    let delays: ChunkDelay[] | undefined;
    let totalMs = 0;
    let retransmissions = 0;
    for (const t of this.#toxics.values()) {
      let ms = 0;
      if (t.type === 'latency' && appliesTo(t, direction)) {
        ms = t.jitterMs > 0 ? Math.max(0, t.latencyMs + (random.next() * 2 - 1) * t.jitterMs) : t.latencyMs;
      } else if (t.type === 'loss' && appliesTo(t, direction) && t.rate > 0) {
        let rto = t.retransmitMs;
        for (let lost = 0; lost < t.maxRetransmits && random.next() < t.rate; lost++) {
          ms += rto;
          retransmissions++;
          rto = Math.min(rto * 2, t.maxRetransmitMs);
        }
      }
      if (ms > 0) {
        (delays ??= []).push({ toxicId: t.id, ms });
        totalMs += ms;
      }
    }
    return delays === undefined ? NO_DELAY : { delays, totalMs, retransmissions };
  }
}
