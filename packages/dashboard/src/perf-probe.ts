/**
 * The page measures itself (issue 9's "stays responsive" must be shown): frame intervals from
 * requestAnimationFrame, long tasks (> 50 ms of main-thread work) from PerformanceObserver, the
 * time each render took, and the feed messages received per second. `window.zonesimDashboard`
 * exposes the numbers (the benchmark test reads them); the footer shows a summary.
 */

/** What {@link PerfProbe.metrics} returns. */
export interface PerfMetrics {
  /** Since the last reset, ms. */
  elapsedMs: number;
  frames: number;
  frameP50Ms: number;
  frameP95Ms: number;
  frameP99Ms: number;
  frameMaxMs: number;
  longTasks: number;
  longTaskTotalMs: number;
  longTaskMaxMs: number;
  renders: number;
  renderP95Ms: number;
  renderMaxMs: number;
  messages: number;
  messagesPerSecond: number;
  /** Feed bytes received since the reset. */
  bytes: number;
  /** Invocations the feed reported since the reset, per second (what the page showed, on average). */
  invocationsPerSecond: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Frame, long-task, render and message counters. Bounded: at most 20,000 samples of each. */
export class PerfProbe {
  #start = performance.now();
  #lastFrame: number | undefined;
  #frames: number[] = [];
  #renders: number[] = [];
  #longTasks: number[] = [];
  #messages = 0;
  #bytes = 0;
  #invocations = 0;

  start(): void {
    const loop = (now: number): void => {
      if (this.#lastFrame !== undefined && this.#frames.length < 20_000) this.#frames.push(now - this.#lastFrame);
      this.#lastFrame = now;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (this.#longTasks.length < 20_000) this.#longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
    } catch {
      // No long-task timing in this browser: frame intervals still tell.
    }
    // Frames of a hidden tab are throttled: they say nothing about responsiveness.
    document.addEventListener('visibilitychange', () => {
      this.#lastFrame = undefined;
    });
  }

  /** One feed message of `bytes`, reporting `invocations` that ended in its interval. */
  message(bytes: number, invocations: number): void {
    this.#messages++;
    this.#bytes += bytes;
    this.#invocations += invocations;
  }

  render(ms: number): void {
    if (this.#renders.length < 20_000) this.#renders.push(ms);
  }

  reset(): void {
    this.#start = performance.now();
    this.#frames = [];
    this.#renders = [];
    this.#longTasks = [];
    this.#messages = 0;
    this.#bytes = 0;
    this.#invocations = 0;
    this.#lastFrame = undefined;
  }

  metrics(): PerfMetrics {
    const elapsedMs = performance.now() - this.#start;
    const frames = [...this.#frames].sort((a, b) => a - b);
    const renders = [...this.#renders].sort((a, b) => a - b);
    return {
      elapsedMs,
      frames: frames.length,
      frameP50Ms: quantile(frames, 0.5),
      frameP95Ms: quantile(frames, 0.95),
      frameP99Ms: quantile(frames, 0.99),
      frameMaxMs: frames[frames.length - 1] ?? 0,
      longTasks: this.#longTasks.length,
      longTaskTotalMs: this.#longTasks.reduce((a, b) => a + b, 0),
      longTaskMaxMs: Math.max(0, ...this.#longTasks),
      renders: renders.length,
      renderP95Ms: quantile(renders, 0.95),
      renderMaxMs: renders[renders.length - 1] ?? 0,
      messages: this.#messages,
      messagesPerSecond: elapsedMs > 0 ? (this.#messages * 1000) / elapsedMs : 0,
      bytes: this.#bytes,
      invocationsPerSecond: elapsedMs > 0 ? (this.#invocations * 1000) / elapsedMs : 0,
    };
  }
}
