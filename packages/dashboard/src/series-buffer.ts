import type { Tick, ZoneCounts } from './feed-types.js';

/** Zone key of attempts never placed (as the feed sends it). */
export const NO_ZONE = '(none)';

/** Per-second rates over the last ticks. */
export interface Rates {
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * The ticks the page has seen, for its charts and rate panels: the last `windowMs` of them, oldest
 * first. Pure (no DOM), so it is unit-tested in Node.
 */
export class SeriesBuffer {
  readonly windowMs: number;
  readonly #ticks: Tick[] = [];
  readonly #zones = new Set<string>();

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Adds a tick (ignored when not newer than the last); returns the ticks that fell out of the window. */
  add(tick: Tick): number {
    const last = this.#ticks[this.#ticks.length - 1];
    if (last && tick.t <= last.t) return 0;
    this.#ticks.push(tick);
    for (const z of Object.keys(tick.zones)) this.#zones.add(z);
    let dropped = 0;
    while (this.#ticks.length > 0 && this.#ticks[0]!.t < tick.t - this.windowMs) {
      this.#ticks.shift();
      dropped++;
    }
    return dropped;
  }

  get ticks(): readonly Tick[] {
    return this.#ticks;
  }

  get latest(): Tick | undefined {
    return this.#ticks[this.#ticks.length - 1];
  }

  /** Zones seen so far, sorted, `(none)` last. */
  zones(): string[] {
    return [...this.#zones].sort((a, b) => (a === NO_ZONE ? 1 : b === NO_ZONE ? -1 : a.localeCompare(b)));
  }

  /**
   * Rates per second over the last `spanMs` of ticks (at least one tick), for one zone or, without
   * `zone`, in total. Latency is the last tick's that has one (percentiles do not add up).
   */
  rates(zone?: string, spanMs = 1000): Rates {
    let ms = 0;
    const sum = { invocations: 0, errors: 0, throttles: 0, coldStarts: 0 };
    let p50Ms: number | null = null;
    let p99Ms: number | null = null;
    for (let i = this.#ticks.length - 1; i >= 0; i--) {
      const t = this.#ticks[i]!;
      const c: ZoneCounts | undefined = zone === undefined ? t.total : t.zones[zone];
      if (c) {
        sum.invocations += c.invocations;
        sum.errors += c.errors;
        sum.throttles += c.throttles;
        sum.coldStarts += c.coldStarts;
        if (p50Ms === null && c.p50Ms !== null) {
          p50Ms = c.p50Ms;
          p99Ms = c.p99Ms;
        }
      }
      ms += t.spanMs;
      if (ms >= spanMs) break;
    }
    const per = ms > 0 ? 1000 / ms : 0;
    return {
      invocations: sum.invocations * per,
      errors: sum.errors * per,
      throttles: sum.throttles * per,
      coldStarts: sum.coldStarts * per,
      p50Ms,
      p99Ms,
    };
  }

  /**
   * The tick nearest to `t` (epoch ms) that had failed invocations, within `toleranceMs`: a click
   * on a chart lands near a point, rarely on it (and the chart scrolls while the hand moves).
   */
  nearestFailed(t: number, toleranceMs: number): Tick | undefined {
    return this.#nearestWhere(t, (tick) => tick.failed.length > 0 && Math.abs(tick.t - t) <= toleranceMs);
  }

  /** The tick ending nearest to `t` (epoch ms), for a click on a chart. */
  nearest(t: number): Tick | undefined {
    return this.#nearestWhere(t, () => true);
  }

  #nearestWhere(t: number, accept: (tick: Tick) => boolean): Tick | undefined {
    let best: Tick | undefined;
    for (const tick of this.#ticks) if (accept(tick) && (!best || Math.abs(tick.t - t) < Math.abs(best.t - t))) best = tick;
    return best;
  }
}
