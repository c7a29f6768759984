import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '@zonesim/common';

/** Settings of an {@link EventLoopDelay} monitor. */
export interface EventLoopDelaySettings {
  /** Sampling resolution of `monitorEventLoopDelay`, ms. @default 10 */
  resolutionMs?: number;
  /** Length of one window of `recent`, ms. @default 1000 */
  windowMs?: number;
  /** Windows kept in `recent`. @default 60 */
  windows?: number;
}

/** One closed window. */
export interface EventLoopDelayWindow {
  /** When the window closed (epoch ms). */
  at: number;
  /** Longest delay seen in it, ms. */
  maxMs: number;
  p99Ms: number;
}

/** What `/zonesim/v1/stats` shows as `eventLoop`. */
export interface EventLoopDelaySnapshot {
  resolutionMs: number;
  /** Longest delay since the monitor started, ms. */
  maxMs: number;
  /** The last windows, oldest first (at most `windows`); the open one is not included. */
  recent: EventLoopDelayWindow[];
}

/**
 * How late the coordinator's event loop runs (issue 15, finding 4): a loop blocked for longer than
 * the failure detector's timeout makes every zone node declare the coordinator silent. Read-only:
 * `/zonesim/v1/stats` shows the maximum since start and the last minute window by window, so a
 * test or an operator can see what a deploy cost the loop without resetting anything.
 */
export class EventLoopDelay {
  readonly #settings: Required<EventLoopDelaySettings>;
  readonly #clock: Clock;
  #histogram: IntervalHistogram | undefined;
  #timer: TimerHandle | undefined;
  #maxMs = 0;
  readonly #recent: EventLoopDelayWindow[] = [];

  constructor(settings: EventLoopDelaySettings, components: { clock: Clock }) {
    this.#settings = { resolutionMs: 10, windowMs: 1000, windows: 60, ...settings };
    this.#clock = components.clock;
  }

  start(): void {
    if (this.#histogram) return;
    this.#histogram = monitorEventLoopDelay({ resolution: this.#settings.resolutionMs });
    this.#histogram.enable();
    this.#timer = this.#clock.setInterval(() => this.#closeWindow(), this.#settings.windowMs);
  }

  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
    if (this.#timer !== undefined) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  snapshot(): EventLoopDelaySnapshot {
    const open = this.#histogram && this.#histogram.count > 0 ? ms(this.#histogram.max) : 0;
    return { resolutionMs: this.#settings.resolutionMs, maxMs: Math.max(this.#maxMs, open), recent: [...this.#recent] };
  }

  #closeWindow(): void {
    const h = this.#histogram;
    if (!h) return;
    // The histogram counts each sample's lateness beyond the resolution, in nanoseconds.
    const window = { at: this.#clock.now(), maxMs: h.count > 0 ? ms(h.max) : 0, p99Ms: h.count > 0 ? ms(h.percentile(99)) : 0 };
    h.reset();
    this.#maxMs = Math.max(this.#maxMs, window.maxMs);
    this.#recent.push(window);
    if (this.#recent.length > this.#settings.windows) this.#recent.shift();
  }
}

function ms(ns: number): number {
  return Math.round(ns / 1e4) / 100;
}
