import type { Clock, TimerHandle } from '@zonesim/common';

/** What the progress line shows. */
export interface ProgressSource {
  elapsedMs(): number;
  totalMs: number;
  counts(): { sent: number; ok: number; fail: number; unknown: number; inFlight: number };
  zones(): { up: number; total: number };
  faults(): string[];
  /** Appended to the line, e.g. a virtual run's wall time and speed-up. */
  note?(): string;
}

/**
 * The live progress line of a run on stderr: rewritten in place on a terminal, one plain line
 * every 5 s otherwise (CI logs). Events (faults applied, healed) print on their own lines.
 */
export class Progress {
  readonly #source: ProgressSource;
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #lastLine = '';

  constructor(source: ProgressSource, components: { clock: Clock; out?: NodeJS.WriteStream }) {
    const out = components.out ?? process.stderr;
    this.#source = source;
    this.#clock = components.clock;
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  #started = false;

  start(): void {
    this.#started = true;
    this.#timer = this.#clock.setInterval(() => this.#draw(), this.#tty ? 250 : 5_000);
  }

  /** A line about something that happened (a fault applied...); nothing until started: a quiet run prints nothing. */
  event(text: string): void {
    if (!this.#started) return;
    const at = (this.#source.elapsedMs() / 1000).toFixed(1);
    if (this.#tty) this.#out.write('\r\x1b[K');
    this.#out.write(`  [${at}s] ${text}\n`);
    if (this.#tty && this.#lastLine) this.#out.write(this.#lastLine);
  }

  stop(): void {
    if (!this.#started) return;
    if (this.#timer) this.#clock.clearInterval(this.#timer);
    this.#draw();
    if (this.#tty) this.#out.write('\n');
  }

  #draw(): void {
    const s = this.#source;
    const c = s.counts();
    const z = s.zones();
    const elapsed = Math.max(0, s.elapsedMs());
    const width = 20;
    const filled = Math.min(width, Math.round((elapsed / Math.max(1, s.totalMs)) * width));
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const faults = s.faults();
    const line = `  [${bar}] ${(elapsed / 1000).toFixed(0)}/${(s.totalMs / 1000).toFixed(0)}s  sent ${c.sent}  ok ${c.ok}  err ${c.fail}  unknown ${c.unknown}  in flight ${c.inFlight}  zones up ${z.up}/${z.total}${faults.length ? `  fault: ${faults.join(',')}` : ''}${s.note ? `  ${s.note()}` : ''}`;
    this.#lastLine = line;
    if (this.#tty) this.#out.write(`\r\x1b[K${line}`);
    else this.#out.write(`${line}\n`);
  }
}
