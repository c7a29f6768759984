import { SeededRandom } from '@zonesim/common';
import { rateShape } from './rate-shapes.js';
import { invocationRows, minuteCount } from './trace-csv.js';
import type { ResolvedArrival, ResolvedTraceArrival, ResolvedWorkload } from './types.js';

/**
 * A source of arrival times for one function of one workload entry, in increasing order, in
 * absolute load-phase milliseconds. `next()` returns undefined once the entry's span is over.
 * Each holds O(1) state (a trace stream also shares its read-only per-minute counts).
 */
export interface TimeStream {
  next(): number | undefined;
}

/** The random source of workload entry `index` (and `sub`, a function of a trace entry): independent of every other entry, so adding an entry changes no other. */
export function workloadRandom(seed: number | string, index: number, sub?: string): SeededRandom {
  return new SeededRandom(seed).fork(`workload/${index}${sub === undefined ? '' : `/${sub}`}`);
}

/** Arrival times of a rate-based entry (constant, poisson, ramp, bursts, diurnal). */
export function rateStream(entry: ResolvedWorkload & { arrival: Exclude<ResolvedArrival, { kind: 'trace' }> }, random: SeededRandom): TimeStream {
  const span = entry.endMs - entry.startMs;
  const shape = rateShape(entry.arrival, span);
  const total = shape.cumulative(span);
  const a = entry.arrival;
  const poisson = a.kind === 'poisson' || (a.kind !== 'constant' && a.process === 'poisson');
  let y = poisson ? 0 : -0.5;
  let t = 0;
  return {
    next() {
      y += poisson ? -Math.log(1 - random.next()) : 1;
      if (!(y < total)) return undefined;
      t = shape.inverse(y, t);
      if (!(t < span)) return undefined;
      return entry.startMs + t;
    },
  };
}

/** Per-minute counts of the trace rows that go to each of an entry's functions. */
export interface TraceCounts {
  /** `counts[j][m]`: arrivals of `functions[j]` in minute m of the replay (minute startMinute + m of the trace). */
  counts: Float64Array[];
}

/**
 * One streaming pass over the invocations file: row i of the selection adds its counts for the
 * replayed minutes to function `i % functions.length`. Memory is functions x minutes (at most
 * 1440 minutes), however many rows the file has.
 */
export async function traceCounts(arrival: ResolvedTraceArrival, spanMs: number, options: { signal?: AbortSignal } = {}): Promise<TraceCounts> {
  const minutes = Math.max(0, Math.min(Math.ceil(spanMs / arrival.minuteMs), 1441 - arrival.startMinute));
  const counts = arrival.functions.map(() => new Float64Array(minutes));
  let i = 0;
  for await (const row of invocationRows(arrival.path, arrival.rows, options)) {
    const into = counts[i++ % counts.length]!;
    for (let m = 0; m < minutes; m++) into[m]! += minuteCount(row, arrival.startMinute + m);
  }
  return { counts };
}

/**
 * Arrival times of one function of a trace entry: minute m's count (times `scale`; a fraction
 * becomes one more arrival with that probability) spread over [m, m + 1) minutes, uniformly at
 * random (sorted order statistics, drawn one at a time) or evenly.
 */
export function traceStream(entry: ResolvedWorkload & { arrival: ResolvedTraceArrival }, counts: Float64Array, random: SeededRandom): TimeStream {
  const { minuteMs, scale, spread } = entry.arrival;
  const span = entry.endMs - entry.startMs;
  let minute = -1;
  let n = 0;
  let i = 0;
  let x = 0;
  return {
    next() {
      for (;;) {
        if (i < n) {
          let offset: number;
          if (spread === 'even') offset = ((i + 0.5) / n) * minuteMs;
          else {
            // The next of n - i sorted uniforms on [x, 1): 1 - (1 - x) V^(1 / (n - i)).
            x = 1 - (1 - x) * Math.pow(1 - random.next(), 1 / (n - i));
            offset = x * minuteMs;
          }
          i++;
          const t = minute * minuteMs + offset;
          if (t >= span) {
            n = 0;
            return undefined;
          }
          return entry.startMs + t;
        }
        minute++;
        if (minute >= counts.length || minute * minuteMs >= span) return undefined;
        const c = counts[minute]! * scale;
        const whole = Math.floor(c);
        n = whole + (c > whole && random.next() < c - whole ? 1 : 0);
        i = 0;
        x = 0;
      }
    },
  };
}
