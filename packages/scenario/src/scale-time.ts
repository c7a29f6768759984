import type { ResolvedArrival, ResolvedScenario } from './types.js';

/** The factor `zonesim run --quick` applies to a scenario's timeline. */
export const QUICK_TIME_FACTOR = 0.5;

function scaleArrival(a: ResolvedArrival, f: number): ResolvedArrival {
  switch (a.kind) {
    case 'bursts':
      return { ...a, everyMs: a.everyMs * f, lengthMs: a.lengthMs * f, offsetMs: a.offsetMs * f };
    case 'diurnal':
      return { ...a, periodMs: a.periodMs * f, peakAtMs: a.peakAtMs * f };
    case 'trace':
      // A shorter trace minute at the same per-second rate: fewer invocations per minute.
      return { ...a, minuteMs: a.minuteMs * f, scale: a.scale * f };
    default:
      return a;
  }
}

/**
 * A shorter (or longer) version of a scenario: its timeline — load phase, warm-up, cooldown,
 * workload spans and shapes, fault starts, ends and restart delays — multiplied by `factor`, while
 * what is physical stays as written: request rates, function durations, the platform's heartbeat and
 * detection, hypotheses' thresholds and settle times. Used by `--quick` (CI runs every shipped
 * scenario in a short form). The schedule, and so its digest, changes with the factor.
 */
export function scaleScenarioTime(s: ResolvedScenario, factor: number): ResolvedScenario {
  if (!Number.isFinite(factor) || factor <= 0 || factor > 100) throw new RangeError(`time factor must be a number in (0, 100], got ${factor}`);
  if (factor === 1) return s;
  const f = factor;
  return {
    ...s,
    durationMs: s.durationMs * f,
    warmupMs: s.warmupMs * f,
    cooldownMs: s.cooldownMs * f,
    runEndMs: s.runEndMs * f,
    workload: s.workload.map((w) => ({ ...w, startMs: w.startMs * f, endMs: w.endMs * f, arrival: scaleArrival(w.arrival, f) })),
    ...(s.failures ? { failures: s.failures.map((p) => ({ ...p, startMs: p.startMs * f, endMs: p.endMs * f })) } : {}),
    faults: s.faults.map((x) => {
      const params = 'restartAfterMs' in x.params && x.params.restartAfterMs !== undefined ? { ...x.params, restartAfterMs: x.params.restartAfterMs * f } : x.params;
      return {
        ...x,
        params,
        startMs: x.startMs * f,
        ...(x.endMs !== undefined ? { endMs: x.endMs * f } : {}),
        ...(x.after ? { after: { ...x.after, delayMs: x.after.delayMs * f } } : {}),
      };
    }),
  };
}
