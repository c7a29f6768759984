/**
 * A bounded list of log lines. Lambda does not cap a function's log, but a zone node must not hold
 * unbounded output of a chatty function in memory: past `maxBytes` lines are dropped and counted,
 * and `lines()` ends with one line saying how many were dropped.
 */
export class LogBuffer {
  #lines: string[] = [];
  #bytes = 0;
  #dropped = 0;

  constructor(private readonly maxBytes: number) {}

  push(line: string): void {
    // Characters approximate bytes closely enough for a bound; no need to encode every line.
    if (this.#bytes + line.length > this.maxBytes) {
      this.#dropped++;
      return;
    }
    this.#bytes += line.length;
    this.#lines.push(line);
  }

  pushAll(lines: readonly string[]): void {
    for (const line of lines) this.push(line);
  }

  /** Number of lines dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The lines, plus a closing note when some were dropped. */
  lines(): string[] {
    if (this.#dropped === 0) return [...this.#lines];
    return [...this.#lines, `zonesim: ${this.#dropped} log lines dropped (log limit ${this.maxBytes} bytes)`];
  }

  /** Returns the lines and empties the buffer. */
  drain(): string[] {
    const out = this.lines();
    this.#lines = [];
    this.#bytes = 0;
    this.#dropped = 0;
    return out;
  }
}
