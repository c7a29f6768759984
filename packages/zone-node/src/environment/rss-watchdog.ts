import { readFileSync } from 'node:fs';
import type { Clock, TimerHandle } from '@zonesim/common';

/**
 * Samples a process's resident set size from `/proc/<pid>/statm` and reports when it exceeds the
 * function's memory size. Lambda enforces memory with the kernel (the sandbox is SIGKILLed, no
 * catchable error, lambda-facts 4); V8's `--max-old-space-size` alone would let RSS run far past
 * the memory size (code, young generation, Buffers), so the zone node enforces RSS itself.
 * Only the runtime process is counted, not processes it spawns.
 */

let pageSize: number | undefined;

/** The kernel page size, derived once from our own statm and RSS (Node has no sysconf). */
export function detectPageSize(): number {
  if (pageSize !== undefined) return pageSize;
  pageSize = 4096;
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    const rss = process.memoryUsage.rss();
    if (pages > 0) {
      const ratio = rss / pages;
      for (const candidate of [4096, 16384, 65536]) if (Math.abs(ratio - candidate) < candidate / 2) pageSize = candidate;
    }
  } catch {
    // Not Linux: keep the default; readRssBytes returns undefined anyway.
  }
  return pageSize;
}

/** Resident set size of `pid` in bytes, or undefined when it cannot be read (gone, not Linux). */
export function readRssBytes(pid: number): number | undefined {
  try {
    const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(resident) ? resident * detectPageSize() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls one process's RSS while started. */
export class RssWatchdog {
  #timer: TimerHandle | undefined;
  #peak = 0;
  #fired = false;
  #sampled = false;

  /**
   * @param pid the process to watch, or how to find it (a sandboxed runtime's pid is known only
   *   once bubblewrap has started it; samples before then are skipped).
   */
  constructor(
    private readonly pid: number | (() => number | undefined),
    private readonly limitBytes: number,
    private readonly pollMs: number,
    private readonly clock: Clock,
    private readonly onOverLimit: (rssBytes: number) => void,
    private readonly read: (pid: number) => number | undefined = readRssBytes,
  ) {}

  /** Highest RSS seen so far, bytes. */
  get peakBytes(): number {
    return this.#peak;
  }

  /**
   * Samples every `pollMs` while started; the first start (INIT) also samples at once. Later starts
   * (each invocation) do not: a synchronous `/proc` read at every invocation start was 5% of the
   * zone node's CPU on the warm path (bench/profiling-notes.md), and an invocation shorter than one
   * poll reports its peak through the runtime's own `memoryBytes` where the runtime sends one.
   */
  start(): void {
    if (this.#timer !== undefined || this.#fired) return;
    if (!this.#sampled) this.sample();
    if (this.#fired) return;
    this.#timer = this.clock.setInterval(() => this.sample(), this.pollMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One sample; fires `onOverLimit` at most once. */
  sample(): void {
    const pid = typeof this.pid === 'number' ? this.pid : this.pid();
    if (pid === undefined) return;
    this.#sampled = true;
    const rss = this.read(pid);
    if (rss === undefined) return;
    if (rss > this.#peak) this.#peak = rss;
    if (rss > this.limitBytes && !this.#fired) {
      this.#fired = true;
      this.stop();
      this.onOverLimit(rss);
    }
  }
}
