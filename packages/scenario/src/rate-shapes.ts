import type { ResolvedArrival } from './types.js';

/**
 * The expected number of arrivals of an open-loop rate, as a function of time: `cumulative(t)`
 * is the integral of the rate from the entry's start to `t` (ms), and `inverse(y, from)` is the
 * time at which it reaches `y`. Arrivals are then placed by time rescaling: a Poisson process is
 * a unit-rate Poisson process (sums of Exp(1)) mapped through `inverse`, an even one is the
 * points y = 0.5, 1.5, 2.5, ... mapped the same way. One code path for every shape, O(1) state.
 */
export interface RateShape {
  cumulative(t: number): number;
  /** The least t >= `from` with cumulative(t) >= y (y >= cumulative(from)). */
  inverse(y: number, from: number): number;
}

/** Rates in the file are per second; shapes work per millisecond. */
const PER_MS = 1 / 1000;

/** The shape of a rate-based arrival over a span of `spanMs`. */
export function rateShape(arrival: Exclude<ResolvedArrival, { kind: 'trace' }>, spanMs: number): RateShape {
  switch (arrival.kind) {
    case 'constant':
    case 'poisson':
      return constant(arrival.rate * PER_MS);
    case 'ramp':
      return ramp(arrival.from * PER_MS, arrival.to * PER_MS, spanMs);
    case 'bursts':
      return bursts(arrival.base * PER_MS, arrival.burst * PER_MS, arrival.everyMs, arrival.lengthMs, arrival.offsetMs);
    case 'diurnal':
      return diurnal(arrival.mean * PER_MS, arrival.amplitude * PER_MS, arrival.periodMs, arrival.peakAtMs);
  }
}

function constant(rate: number): RateShape {
  return {
    cumulative: (t) => rate * t,
    inverse: (y) => (rate > 0 ? y / rate : Infinity),
  };
}

/** Rate a + k t, k = (b - a) / span. */
function ramp(a: number, b: number, spanMs: number): RateShape {
  const k = spanMs > 0 ? (b - a) / spanMs : 0;
  return {
    cumulative: (t) => a * t + (k * t * t) / 2,
    // Root of (k/2) t^2 + a t - y = 0 in the form that stays exact as k -> 0 and for k < 0.
    inverse: (y) => {
      const disc = a * a + 2 * k * y;
      if (disc < 0) return Infinity;
      const denom = a + Math.sqrt(disc);
      return denom > 0 ? (2 * y) / denom : y === 0 ? 0 : Infinity;
    },
  };
}

/** `burst` during [offset + n every, offset + n every + length), `base` otherwise. */
function bursts(base: number, burst: number, every: number, length: number, offset: number): RateShape {
  const mass = burst * length + base * (every - length);
  const phase = ((offset % every) + every) % every;
  // F(s): arrivals expected from a burst start to s (s may be negative).
  const F = (s: number): number => {
    const n = Math.floor(s / every);
    const x = s - n * every;
    return n * mass + (x < length ? burst * x : burst * length + base * (x - length));
  };
  const origin = F(-phase);
  return {
    cumulative: (t) => F(t - phase) - origin,
    inverse: (y) => {
      if (mass <= 0) return Infinity;
      const Y = y + origin;
      const n = Math.floor(Y / mass);
      const rem = Y - n * mass;
      const x = rem < burst * length ? rem / burst : base > 0 ? length + (rem - burst * length) / base : every;
      return n * every + x + phase;
    },
  };
}

/** mean + amplitude cos(2 pi (t - peakAt) / period): the trough at peakAt - period/2. */
function diurnal(mean: number, amplitude: number, period: number, peakAt: number): RateShape {
  const w = (2 * Math.PI) / period;
  const cumulative = (t: number): number => mean * t + (amplitude / w) * (Math.sin(w * (t - peakAt)) - Math.sin(-w * peakAt));
  const rate = (t: number): number => mean + amplitude * Math.cos(w * (t - peakAt));
  return {
    cumulative,
    inverse: (y, from) => {
      if (mean <= 0) return Infinity;
      // The sinusoid's integral over any interval differs from mean x length by at most
      // 2 amplitude / w, which bounds the answer; then safeguarded Newton inside the bracket.
      let lo = from;
      let hi = from + (y - cumulative(from) + (2 * amplitude) / w) / mean;
      let t = from + (y - cumulative(from)) / mean;
      if (!(t > lo && t < hi)) t = (lo + hi) / 2;
      for (let i = 0; i < 100; i++) {
        const f = cumulative(t) - y;
        if (Math.abs(f) < 1e-9) break;
        if (f > 0) hi = t;
        else lo = t;
        const r = rate(t);
        let next = r > 0 ? t - f / r : (lo + hi) / 2;
        if (!(next > lo && next < hi)) next = (lo + hi) / 2;
        if (Math.abs(next - t) < 1e-7) {
          t = next;
          break;
        }
        t = next;
      }
      return t;
    },
  };
}
