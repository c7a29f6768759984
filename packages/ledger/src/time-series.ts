import { systemClock, type Clock, type TimerHandle } from '@zonesim/common';
import { LedgerOptionsError } from './errors.js';
import { MICROS_PER_MS } from './latency.js';
import { WindowLatencies } from './window-latencies.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import { attemptRan, LedgerOutcome, type LedgerRecord } from './record.js';

/** One finished second of a run. Gauges are `null` until first sampled, then carried forward. */
export interface SecondPoint {
  /** Start of the second, epoch ms (a multiple of 1000). */
  t: number;
  /** Attempts that ended (`respondedAt`) in this second, whatever their outcome. */
  invocations: number;
  successes: number;
  functionErrors: number;
  /** Service errors and lost attempts. */
  serviceErrors: number;
  /** `functionErrors + serviceErrors`. */
  errors: number;
  throttles: number;
  coldStarts: number;
  /** End-to-end latency of the attempts that ran, ms (2 significant digits); null in a second without any. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Last in-flight sample of the second. */
  inFlight: number | null;
  /** Highest in-flight sample of the second. */
  inFlightMax: number | null;
  /** Last healthy-zone count of the second. */
  healthyZones: number | null;
  /** The run's cost so far, read from the `costSource` component when the second was closed. */
  costUsd: number | null;
}

/** Where "now" comes from: the injected clock (live runs) or the records' own timestamps (replaying a ledger). */
export type TimeSource = 'clock' | 'records';

const P50_P99 = [50, 99] as const;

/** @default 3600: the last hour */
export const DEFAULT_TIME_SERIES_CAPACITY_SECONDS = 3600;
/** @default 1000 ms */
export const DEFAULT_TIME_SERIES_LATE_GRACE_MS = 1000;
/** @default 300 */
export const DEFAULT_TIME_SERIES_MAX_OPEN_SECONDS = 300;

/** Settings of a {@link TimeSeries}. */
export interface TimeSeriesOptions {
  /** Finished seconds kept in memory (older ones are only seen through `onSecond`). @default 3600 */
  capacitySeconds?: number;
  /** @default 'clock' */
  timeSource?: TimeSource;
  /** A second is closed this long after it ends, so late records still land in it. @default 1000 */
  lateGraceMs?: number;
  /** Bound on seconds open at once (clock mode: a record further ahead of the clock is refused and counted). @default 300 */
  maxOpenSeconds?: number;
}

/** {@link TimeSeriesOptions} with every default filled in. */
export type ResolvedTimeSeriesOptions = Required<TimeSeriesOptions>;

/** Fills defaults and validates; throws a {@link LedgerOptionsError} naming the field. */
export function resolveTimeSeriesOptions(options: TimeSeriesOptions = {}): ResolvedTimeSeriesOptions {
  const int = (value: number, field: string, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new LedgerOptionsError(field, `must be an integer >= ${min}, got ${String(value)}`);
    return value;
  };
  const timeSource = options.timeSource ?? 'clock';
  if (timeSource !== 'clock' && timeSource !== 'records') throw new LedgerOptionsError('timeSource', `must be 'clock' or 'records', got ${String(timeSource)}`);
  return {
    capacitySeconds: int(options.capacitySeconds ?? DEFAULT_TIME_SERIES_CAPACITY_SECONDS, 'capacitySeconds', 1),
    timeSource,
    lateGraceMs: int(options.lateGraceMs ?? DEFAULT_TIME_SERIES_LATE_GRACE_MS, 'lateGraceMs', 0),
    maxOpenSeconds: int(options.maxOpenSeconds ?? DEFAULT_TIME_SERIES_MAX_OPEN_SECONDS, 'maxOpenSeconds', 1),
  };
}

/** Components of a {@link TimeSeries}, apart from its settings. */
export interface TimeSeriesComponents {
  /** @default systemClock */
  clock?: Clock;
  logger?: LedgerLogger;
  /** Read when a second closes, e.g. `() => billing.totalUsd()`. */
  costSource?: () => number;
  /** Called with each second as it closes, in order (to stream it to disk or CSV). */
  onSecond?: (point: SecondPoint) => void;
}

/** Counters of a time series. */
export interface TimeSeriesStats {
  /** Records for a second already closed: not in any point. */
  late: number;
  /** Records too far ahead of the clock: not in any point. */
  outOfRange: number;
  /** Empty seconds not emitted because a gap was longer than the ring. */
  skippedSeconds: number;
}

interface OpenSecond {
  invocations: number;
  successes: number;
  functionErrors: number;
  serviceErrors: number;
  throttles: number;
  coldStarts: number;
  e2e: WindowLatencies | undefined;
  inFlight: number | undefined;
  inFlightMax: number | undefined;
  healthyZones: number | undefined;
}

const SECOND = 1000;
const floorSecond = (ms: number) => Math.floor(ms / SECOND) * SECOND;

/**
 * Per-second counters of a run in a bounded ring (default the last hour), each second handed to
 * `onSecond` as it closes. Seconds are closed by the clock (`start()` ticks every second) or, with
 * `timeSource: 'records'`, as record timestamps move on; `advanceTo` and `close` close them on demand.
 */
export class TimeSeries {
  readonly options: ResolvedTimeSeriesOptions;
  readonly #clock: Clock;
  readonly #logger: LedgerLogger;
  readonly #costSource: (() => number) | undefined;
  readonly #onSecond: ((point: SecondPoint) => void) | undefined;
  readonly #open = new Map<number, OpenSecond>();
  readonly #ring: SecondPoint[] = [];
  #ringStart = 0;
  /** The first second not yet closed; undefined until anything is known. */
  #next: number | undefined;
  #maxSeen = -Infinity;
  #timer: TimerHandle | undefined;
  #inFlight: number | null = null;
  #healthyZones: number | null = null;
  #stats: TimeSeriesStats = { late: 0, outOfRange: 0, skippedSeconds: 0 };

  constructor(options: TimeSeriesOptions = {}, components: TimeSeriesComponents = {}) {
    this.options = resolveTimeSeriesOptions(options);
    this.#clock = components.clock ?? systemClock;
    this.#logger = components.logger ?? noopLogger;
    this.#costSource = components.costSource;
    this.#onSecond = components.onSecond;
  }

  get stats(): TimeSeriesStats {
    return { ...this.#stats };
  }

  /** Clock mode: starts from the current second and closes seconds as the clock moves. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#next ??= floorSecond(this.#clock.now());
    this.#timer = this.#clock.setInterval(() => this.advanceTo(this.#clock.now() - this.options.lateGraceMs), SECOND);
  }

  /** Stops the timer (safe twice); open seconds stay open until {@link close} or {@link advanceTo}. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops and closes every open second. */
  close(): void {
    this.stop();
    const last = Math.max(-Infinity, ...this.#open.keys());
    if (Number.isFinite(last)) this.advanceTo(last + SECOND);
  }

  /**
   * Goes on from a series whose seconds before `ms` were closed elsewhere (a run aggregate saved
   * when a coordinator stopped): records for those seconds count as late, and empty seconds from
   * `ms` on are filled as usual. Only before anything was recorded or sampled.
   */
  resumeAt(ms: number): void {
    if (this.#open.size > 0 || this.#next !== undefined) throw new Error('TimeSeries.resumeAt: the series has already begun');
    this.#next = floorSecond(ms);
  }

  /** Counts one attempt in the second of its `respondedAt`. */
  record(record: LedgerRecord): void {
    const second = floorSecond(record.respondedAt);
    if (this.#next !== undefined && second < this.#next) {
      this.#stats.late++;
      return;
    }
    if (this.options.timeSource === 'clock' && second > floorSecond(this.#clock.now()) + this.options.maxOpenSeconds * SECOND) {
      this.#stats.outOfRange++;
      return;
    }
    const s = this.#openSecond(second);
    s.invocations++;
    switch (record.outcome) {
      case LedgerOutcome.Success:
        s.successes++;
        break;
      case LedgerOutcome.FunctionError:
        s.functionErrors++;
        break;
      case LedgerOutcome.Throttled:
        s.throttles++;
        break;
      default:
        s.serviceErrors++;
    }
    if (attemptRan(record)) {
      if (record.cold === true) s.coldStarts++;
      // As recordMs does into a histogram: whole microseconds, never negative.
      (s.e2e ??= new WindowLatencies(2)).add(Math.max(0, Math.round((record.respondedAt - record.receivedAt) * MICROS_PER_MS)));
    }
    if (this.options.timeSource === 'records' && record.respondedAt > this.#maxSeen) {
      this.#maxSeen = record.respondedAt;
      this.advanceTo(this.#maxSeen - this.options.lateGraceMs);
    }
  }

  /** Samples the gauges (in-flight attempts, healthy zones) at `atMs` (default now). */
  sample(gauges: { inFlight?: number; healthyZones?: number }, atMs: number = this.#clock.now()): void {
    const second = floorSecond(atMs);
    if (this.#next !== undefined && second < this.#next) {
      this.#stats.late++;
      return;
    }
    const s = this.#openSecond(second);
    if (gauges.inFlight !== undefined) {
      s.inFlight = gauges.inFlight;
      s.inFlightMax = Math.max(s.inFlightMax ?? -Infinity, gauges.inFlight);
    }
    if (gauges.healthyZones !== undefined) s.healthyZones = gauges.healthyZones;
  }

  /** Closes every second that ends at or before `ms`, filling empty seconds in between. */
  advanceTo(ms: number): void {
    const until = floorSecond(ms);
    if (this.#next === undefined) {
      if (this.#open.size === 0) return;
      this.#next = Math.min(...this.#open.keys());
    }
    const ringSpan = this.options.capacitySeconds * SECOND;
    while (this.#next + SECOND <= until) {
      const second: number = this.#next;
      const open = this.#open.get(second);
      if (!open && until - second > ringSpan) {
        // A long idle gap: jump to the next open second or to the last ring's worth of seconds.
        let to = until - ringSpan;
        for (const k of this.#open.keys()) if (k >= second && k < to) to = k;
        this.#stats.skippedSeconds += (to - second) / SECOND;
        this.#next = to;
        continue;
      }
      this.#open.delete(second);
      this.#emit(this.#close(second, open));
      this.#next = second + SECOND;
    }
  }

  /** The finished seconds held, oldest first. */
  points(): SecondPoint[] {
    return [...this.#ring.slice(this.#ringStart), ...this.#ring.slice(0, this.#ringStart)];
  }

  /** The last finished second, if any. */
  latest(): SecondPoint | undefined {
    if (this.#ring.length === 0) return undefined;
    return this.#ring[(this.#ringStart + this.#ring.length - 1) % this.#ring.length];
  }

  #openSecond(second: number): OpenSecond {
    let s = this.#open.get(second);
    if (!s) {
      s = {
        invocations: 0,
        successes: 0,
        functionErrors: 0,
        serviceErrors: 0,
        throttles: 0,
        coldStarts: 0,
        e2e: undefined,
        inFlight: undefined,
        inFlightMax: undefined,
        healthyZones: undefined,
      };
      this.#open.set(second, s);
    }
    return s;
  }

  #close(t: number, s: OpenSecond | undefined): SecondPoint {
    if (s?.inFlight !== undefined) this.#inFlight = s.inFlight;
    if (s?.healthyZones !== undefined) this.#healthyZones = s.healthyZones;
    const e2e = s?.e2e;
    let cost: number | null = null;
    if (this.#costSource) {
      try {
        cost = this.#costSource();
      } catch (err) {
        this.#logger.error({ err }, 'time series: costSource threw');
      }
    }
    const [p50, p99] = e2e ? e2e.percentiles(P50_P99) : [];
    const functionErrors = s?.functionErrors ?? 0;
    const serviceErrors = s?.serviceErrors ?? 0;
    return {
      t,
      invocations: s?.invocations ?? 0,
      successes: s?.successes ?? 0,
      functionErrors,
      serviceErrors,
      errors: functionErrors + serviceErrors,
      throttles: s?.throttles ?? 0,
      coldStarts: s?.coldStarts ?? 0,
      p50Ms: p50 === undefined ? null : p50 / 1000,
      p99Ms: p99 === undefined ? null : p99 / 1000,
      inFlight: this.#inFlight,
      inFlightMax: s?.inFlightMax ?? this.#inFlight,
      healthyZones: this.#healthyZones,
      costUsd: cost,
    };
  }

  #emit(point: SecondPoint): void {
    if (this.#ring.length < this.options.capacitySeconds) {
      this.#ring.push(point);
    } else {
      this.#ring[this.#ringStart] = point;
      this.#ringStart = (this.#ringStart + 1) % this.#ring.length;
    }
    if (this.#onSecond) {
      try {
        this.#onSecond(point);
      } catch (err) {
        this.#logger.error({ err, t: point.t }, 'time series: onSecond threw');
      }
    }
  }
}
