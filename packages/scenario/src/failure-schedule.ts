import { SeededRandom, sampler } from '@zonesim/common';
import type { ScheduledFault } from './fault-schedule.js';
import { topology } from './topology.js';
import type { ResolvedFailureProcess, ResolvedScenario } from './types.js';

/** At most this many failures one scenario's processes may draw: past it the scenario is refused. */
export const MAX_STOCHASTIC_FAILURES = 100_000;

/**
 * The failures a failure process draws, as faults of the schedule (issue 18). Each target (a node,
 * or a zone whose nodes fail together) alternates between up and down, each up time drawn from
 * `between` and each down time from `repair` (a renewal process), from the process's `start` to its
 * `end`; with `fraction`, one process for the whole region instead, each failure taking that
 * fraction of the targets at once (a correlated failure). Draws come from the scenario seed, one
 * fork per process and target, so the same file and seed give the same failures, and adding a
 * process changes no other's. A failure whose repair would end after the run lasts until the runner
 * heals everything at the end. Ids are `<process>/<target>/<n>` (`<process>/<n>` with `fraction`).
 */
export function failureFaults(scenario: Pick<ResolvedScenario, 'seed' | 'cluster' | 'runEndMs'>, process: ResolvedFailureProcess, limit = MAX_STOCHASTIC_FAILURES): ScheduledFault[] {
  const topo = topology(scenario);
  const targets: Array<{ name: string; zones: string[] | undefined; nodeIds: string[] }> =
    process.target === 'zones'
      ? topo.zones.map((z) => ({ name: z.name, zones: [z.name], nodeIds: z.nodeIds }))
      : topo.nodes.map((n) => ({ name: n.nodeId, zones: undefined, nodeIds: [n.nodeId] }));
  const between = sampler(process.between);
  const repair = sampler(process.repair);
  const out: ScheduledFault[] = [];
  const emit = (id: string, picked: typeof targets, startMs: number, downMs: number): void => {
    if (out.length >= limit) throw new RangeError(`failure process ${process.id} draws more than ${limit} failures: lengthen its between or shorten the run`);
    const endMs = startMs + downMs;
    const healed = endMs < scenario.runEndMs;
    const zones = picked.flatMap((p) => p.zones ?? []);
    const fault: ScheduledFault = {
      id,
      action: process.action,
      params: process.action === 'kill' ? (healed ? { action: 'kill', restartAfterMs: downMs } : { action: 'kill' }) : { action: 'pause' },
      targets: { ...(zones.length > 0 ? { zones } : {}), nodeIds: picked.flatMap((p) => p.nodeIds) },
      startMs,
    };
    if (healed) fault.endMs = endMs;
    out.push(fault);
  };
  if (process.fraction === undefined) {
    for (const target of targets) {
      const random = new SeededRandom(scenario.seed).fork(`failures/${process.id}/${target.name}`);
      let n = 0;
      for (let t = process.startMs + between(random); t < process.endMs; ) {
        const down = repair(random);
        emit(`${process.id}/${target.name}/${++n}`, [target], t, down);
        t += down + between(random);
      }
    }
  } else {
    const random = new SeededRandom(scenario.seed).fork(`failures/${process.id}`);
    const count = Math.max(1, Math.round(process.fraction * targets.length));
    let n = 0;
    for (let t = process.startMs + between(random); t < process.endMs; ) {
      const down = repair(random);
      const picked = random.pick(targets, count);
      // In the cluster's order, as the faults section's selections are.
      picked.sort((a, b) => targets.indexOf(a) - targets.indexOf(b));
      emit(`${process.id}/${++n}`, picked, t, down);
      t += down + between(random);
    }
  }
  return out;
}
