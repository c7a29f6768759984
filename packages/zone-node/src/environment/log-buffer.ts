import { MAX_LOG_LINE_CHARS, MAX_LOG_TAIL_BYTES } from '@zonesim/protocol';

/**
 * One invocation's log, bounded. Lambda does not cap a function's log, but a zone node must not hold
 * unbounded output of a chatty function in memory. The first lines are kept up to `maxBytes` less
 * the tail; past that only the last `tailBytes` of lines are kept (a rolling tail, so that END,
 * REPORT and the last output survive, and `X-Amz-Log-Result` shows the end of the invocation, as
 * on Lambda), and the lines in between are dropped and counted. `lines()` puts one line saying how
 * many were dropped between the two. A line longer than MAX_LOG_LINE_CHARS is cut to it.
 */
export class LogBuffer {
  readonly #headBudget: number;
  readonly #tailBudget: number;
  #head: string[] = [];
  #headBytes = 0;
  /** Set once a line did not fit the head: later lines go to the tail, so the head stays a prefix. */
  #overflowed = false;
  #tail: string[] = [];
  #tailBytes = 0;
  #dropped = 0;

  /**
   * @param maxBytes the bound of the whole log (characters approximate bytes closely enough for a bound)
   * @param tailBytes what is kept of the end past the bound @default the smaller of 4 KiB and a quarter of `maxBytes`
   */
  constructor(
    private readonly maxBytes: number,
    tailBytes = Math.min(MAX_LOG_TAIL_BYTES, Math.floor(maxBytes / 4)),
  ) {
    this.#tailBudget = tailBytes;
    this.#headBudget = maxBytes - tailBytes;
  }

  push(line: string): void {
    if (line.length > MAX_LOG_LINE_CHARS) line = line.slice(0, MAX_LOG_LINE_CHARS);
    if (!this.#overflowed && this.#headBytes + line.length <= this.#headBudget) {
      this.#headBytes += line.length;
      this.#head.push(line);
      return;
    }
    this.#overflowed = true;
    // The last line is kept even when it alone is over the tail's budget: its end, then.
    if (line.length > this.#tailBudget) line = line.slice(line.length - this.#tailBudget);
    this.#tail.push(line);
    this.#tailBytes += line.length;
    while (this.#tailBytes > this.#tailBudget && this.#tail.length > 1) {
      this.#tailBytes -= this.#tail.shift()!.length;
      this.#dropped++;
    }
  }

  pushAll(lines: readonly string[]): void {
    for (const line of lines) this.push(line);
  }

  /** Counts lines the runtime dropped itself before sending (a worker's bound, runtime/output.mjs). */
  noteDropped(count: number): void {
    this.#dropped += count;
    this.#overflowed = true;
  }

  /** Number of lines dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The lines: the head, a note when some were dropped, the tail. */
  lines(): string[] {
    if (this.#dropped === 0) return [...this.#head, ...this.#tail];
    return [...this.#head, `zonesim: ${this.#dropped} log lines dropped (log limit ${this.maxBytes} bytes)`, ...this.#tail];
  }

  /** Returns the lines and empties the buffer. */
  drain(): string[] {
    const out = this.lines();
    this.#head = [];
    this.#headBytes = 0;
    this.#overflowed = false;
    this.#tail = [];
    this.#tailBytes = 0;
    this.#dropped = 0;
    return out;
  }
}
