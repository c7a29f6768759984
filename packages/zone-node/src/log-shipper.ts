import type { Clock, TimerHandle } from '@zonesim/common';
import { MAX_LOG_LINE_CHARS, type LogEvent, type LogEvents } from '@zonesim/protocol';

/** Settings of a {@link LogShipper}. */
export interface LogShipperSettings {
  /** How often buffered lines are sent. */
  flushIntervalMs: number;
  /** Lines held while waiting for a flush; past it lines are dropped and counted. */
  maxBufferedBytes: number;
  /** A batch is sent at once when it reaches this size (keeps frames well under the frame cap). */
  maxBatchBytes: number;
}

/** Defaults of {@link LogShipperSettings} (docs/limits.md). */
export const DEFAULT_LOG_SHIPPER: LogShipperSettings = {
  flushIntervalMs: 200,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBatchBytes: 1024 * 1024,
};

interface Stream {
  functionName: string;
  logStream: string;
  events: LogEvent[];
}

/**
 * Ships environments' log lines to the coordinator in batches (`log-events`), one frame per flush
 * rather than one per invocation, so logging costs the hot path an array push. The buffer is
 * bounded: when the coordinator cannot keep up (or the link is down) lines are dropped and the
 * count travels with the next batch, never silently.
 */
export class LogShipper {
  readonly #settings: LogShipperSettings;
  readonly #clock: Clock;
  readonly #send: (batch: LogEvents) => boolean;
  #streams = new Map<string, Stream>();
  #bytes = 0;
  #dropped = 0;
  #timer: TimerHandle | undefined;

  constructor(args: { settings?: Partial<LogShipperSettings>; clock: Clock; send: (batch: LogEvents) => boolean }) {
    this.#settings = { ...DEFAULT_LOG_SHIPPER, ...args.settings };
    this.#clock = args.clock;
    this.#send = args.send;
  }

  /** Lines dropped so far and not yet reported in a batch. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues lines of one environment's log stream, all written at `t` (epoch ms). */
  push(functionName: string, logStream: string, lines: readonly string[], t: number): void {
    if (lines.length === 0) return;
    const key = `${functionName}\u0000${logStream}`;
    let stream = this.#streams.get(key);
    for (let line of lines) {
      // A longer line would make the whole frame invalid (the coordinator closes the link): cut it.
      if (line.length > MAX_LOG_LINE_CHARS) line = line.slice(0, MAX_LOG_LINE_CHARS);
      const size = line.length + 16;
      if (this.#bytes + size > this.#settings.maxBufferedBytes) {
        this.#dropped++;
        continue;
      }
      if (!stream) {
        stream = { functionName, logStream, events: [] };
        this.#streams.set(key, stream);
      }
      stream.events.push({ t, line });
      this.#bytes += size;
    }
    if (this.#bytes >= this.#settings.maxBatchBytes) this.flush();
    else this.#timer ??= this.#clock.setTimeout(() => this.flush(), this.#settings.flushIntervalMs);
  }

  /** Sends what is buffered. A batch the link cannot take is dropped (and counted). */
  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#streams.size === 0 && this.#dropped === 0) return;
    const streams = [...this.#streams.values()];
    let lines = 0;
    for (const s of streams) lines += s.events.length;
    const dropped = this.#dropped;
    this.#streams = new Map();
    this.#bytes = 0;
    this.#dropped = 0;
    if (!this.#send({ type: 'log-events', streams, dropped })) this.#dropped += dropped + lines;
  }

  /** Sends what is left and stops the timer. */
  stop(): void {
    this.flush();
  }

  /** Drops what is buffered without sending it and stops the timer (the process is gone, as after kill -9). */
  discard(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#streams = new Map();
    this.#bytes = 0;
    this.#dropped = 0;
  }
}
