import { DistributionError, validateDistribution, type Distribution } from '@zonesim/common';
import { formatDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import { failureFaults, MAX_STOCHASTIC_FAILURES } from './failure-schedule.js';
import { FAILURE_PRESETS } from './failure-presets.js';
import { didYouMean } from './field-path.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import type { ResolvedCluster, ResolvedFailureProcess } from './types.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** A distribution with every time in it multiplied by `factor` (its unit to ms). */
function scaled(d: Distribution, factor: number): Distribution {
  if (typeof d === 'number') return { kind: 'constant', value: d * factor };
  switch (d.kind) {
    case 'constant':
      return { kind: 'constant', value: d.value * factor };
    case 'uniform':
      return { kind: 'uniform', min: d.min * factor, max: d.max * factor };
    case 'exponential':
      return { kind: 'exponential', mean: d.mean * factor };
    case 'lognormal':
      return { kind: 'lognormal', median: d.median * factor, p99: d.p99 * factor };
    case 'weibull':
      return { kind: 'weibull', shape: d.shape, scale: d.scale * factor };
    case 'empirical':
      return { kind: 'empirical', percentiles: Object.fromEntries(Object.entries(d.percentiles).map(([p, v]) => [p, v * factor])) };
  }
}

/**
 * The `failures` section (issue 18): stochastic failure processes, each checked and then drawn
 * once here (deterministic, from the seed) so that a process that would draw more than
 * {@link MAX_STOCHASTIC_FAILURES} failures is refused with the scenario's other errors.
 */
export function resolveFailures(
  raw: unknown[] | undefined,
  ctx: ResolveContext,
  scenario: { seed: number | string; cluster: ResolvedCluster; durationMs: number; runEndMs: number; faultIds: readonly string[] },
): ResolvedFailureProcess[] {
  const out: ResolvedFailureProcess[] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of (raw ?? []).entries()) {
    const path = ['failures', index];
    if (ctx.brokenAt(path)) continue;
    const f = item as Raw;
    const id = f['id'] as string;
    if (seen.has(id) || scenario.faultIds.includes(id)) {
      ctx.error([...path, 'id'], ScenarioErrorCode.Duplicate, seen.has(id) ? `failure process "${id}" is already defined at failures[${seen.get(id)}]` : `"${id}" is already a fault id`);
      continue;
    }
    seen.set(id, index);
    const factor = UNIT_MS[(f['unit'] as keyof typeof UNIT_MS | undefined) ?? 'ms'];
    let between: Distribution | undefined;
    let repair: Distribution | undefined;
    const preset = f['preset'] as string | undefined;
    if (preset !== undefined) {
      const p = FAILURE_PRESETS.get(preset);
      if (!p) {
        const guess = didYouMean(preset, [...FAILURE_PRESETS.keys()]);
        ctx.error([...path, 'preset'], ScenarioErrorCode.InvalidValue, `unknown preset "${preset}"${guess ? ` (did you mean "${guess}"?)` : ''}; presets: ${[...FAILURE_PRESETS.keys()].join(', ')}`);
        continue;
      }
      if (f['between'] !== undefined || f['repair'] !== undefined || f['unit'] !== undefined) {
        ctx.error([...path, 'preset'], ScenarioErrorCode.InvalidValue, 'give a preset, or between and repair (with unit), not both');
        continue;
      }
      between = p.between;
      repair = p.repair;
    } else {
      if (f['between'] === undefined || f['repair'] === undefined) {
        ctx.error(path, ScenarioErrorCode.MissingField, 'give between and repair (distributions), or a preset');
        continue;
      }
      let bad = false;
      for (const field of ['between', 'repair'] as const) {
        try {
          const d = scaled(f[field] as Distribution, factor);
          validateDistribution(d);
          if (field === 'between') between = d;
          else repair = d;
        } catch (err) {
          if (!(err instanceof DistributionError)) throw err;
          ctx.error([...path, field, err.field], ScenarioErrorCode.InvalidValue, err.message);
          bad = true;
        }
      }
      if (bad) continue;
    }
    const startMs = ctx.ms(f['start'], 0);
    const endMs = ctx.ms(f['end'], scenario.durationMs);
    if (endMs <= startMs) {
      ctx.error([...path, 'end'], ScenarioErrorCode.OutsideRun, `must be after start (${formatDuration(startMs)})`);
      continue;
    }
    if (endMs > scenario.runEndMs) {
      ctx.error([...path, 'end'], ScenarioErrorCode.OutsideRun, `ends at ${formatDuration(endMs)}, after the run (${formatDuration(scenario.runEndMs)})`);
      continue;
    }
    const process: ResolvedFailureProcess = { id, action: (f['action'] as 'kill' | 'pause' | undefined) ?? 'kill', target: f['target'] as 'nodes' | 'zones', between: between!, repair: repair!, startMs, endMs };
    if (typeof f['description'] === 'string') process.description = f['description'];
    if (f['fraction'] !== undefined) process.fraction = f['fraction'] as number;
    if (preset !== undefined) process.preset = preset;
    try {
      failureFaults({ seed: scenario.seed, cluster: scenario.cluster, runEndMs: scenario.runEndMs }, process);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      ctx.error(path, ScenarioErrorCode.InvalidValue, `${err.message} (at most ${MAX_STOCHASTIC_FAILURES})`);
      continue;
    }
    out.push(process);
  }
  return out;
}
