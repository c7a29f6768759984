import { SeededRandom } from '@zonesim/common';
import { failureFaults } from './failure-schedule.js';
import { topology } from './topology.js';
import type { FaultAction, FaultParams, ResolvedScenario } from './types.js';

/** What a fault acts on, selections made. */
export interface FaultTargets {
  /** Set for zone targets (`zone`, `zones`): the zones, in cluster order. Link faults act on these zones' links. */
  zones?: string[];
  /** The nodes: every node of the zones for a zone target, or the chosen nodes. Kill and pause act on these. */
  nodeIds?: string[];
  /** The coordinator (brownout, coordinator-restart). */
  coordinator?: true;
}

/** One fault of the schedule, ready to apply. */
export interface ScheduledFault {
  id: string;
  action: FaultAction;
  params: FaultParams;
  targets: FaultTargets;
  /** ms from the start of the load phase. */
  startMs: number;
  /** When to heal; undefined = at the end of the run (the runner heals everything then). */
  endMs?: number;
}

/** The random source of fault `id`'s selection: independent of other faults, so adding one changes no other's targets. */
export function faultRandom(seed: number | string, id: string): SeededRandom {
  return new SeededRandom(seed).fork(`fault/${id}`);
}

/**
 * How many of `n` items `percent` selects: rounded down, but at least one (a fault that selects
 * nothing is a scenario mistake; Chaos Mesh's fixed-percent behaves the same way).
 */
export function percentCount(n: number, percent: number): number {
  return Math.min(n, Math.max(1, Math.floor((n * percent) / 100)));
}

/**
 * The fault timeline in start order (ties: file order), with random selections (`count`,
 * `percent`) made under the scenario seed, like AWS FIS resolving its targets once at start.
 */
export function faultSchedule(scenario: Pick<ResolvedScenario, 'seed' | 'cluster' | 'faults' | 'runEndMs'> & Pick<Partial<ResolvedScenario>, 'failures'>): ScheduledFault[] {
  const topo = topology(scenario);
  const zoneOrder = new Map(scenario.cluster.zones.map((z, i) => [z, i]));
  const nodeOrder = new Map(topo.nodes.map((n, i) => [n.nodeId, i]));
  const byZoneOrder = (a: string, b: string) => zoneOrder.get(a)! - zoneOrder.get(b)!;
  const byNodeOrder = (a: string, b: string) => (nodeOrder.get(a) ?? 0) - (nodeOrder.get(b) ?? 0);
  const nodesOf = (zones: string[]) => topo.nodes.filter((n) => zones.includes(n.zone)).map((n) => n.nodeId);

  const timeline = scenario.faults.map((fault) => {
    const random = faultRandom(scenario.seed, fault.id);
    const t = fault.target;
    let targets: FaultTargets;
    if (t.kind === 'coordinator') targets = { coordinator: true };
    else if (t.kind === 'zones') {
      const zones = 'names' in t ? [...t.names] : random.pick(scenario.cluster.zones, 'count' in t ? t.count : percentCount(scenario.cluster.zones.length, t.percent));
      zones.sort(byZoneOrder);
      targets = { zones, nodeIds: nodesOf(zones) };
    } else {
      let nodeIds: string[];
      if ('ids' in t) nodeIds = [...t.ids];
      else {
        const pool = t.zone === undefined ? topo.nodes.map((n) => n.nodeId) : nodesOf([t.zone]);
        nodeIds = random.pick(pool, 'count' in t ? t.count : percentCount(pool.length, t.percent));
      }
      targets = { nodeIds: nodeIds.sort(byNodeOrder) };
    }
    const scheduled: ScheduledFault = { id: fault.id, action: fault.action, params: fault.params, targets, startMs: fault.startMs };
    if (fault.endMs !== undefined) scheduled.endMs = fault.endMs;
    return scheduled;
  });
  const failures = scenario.failures ?? [];
  if (failures.length === 0) return timeline;
  // Stochastic failures join the timeline in start order (a stable sort keeps file order for ties).
  return [...timeline, ...failures.flatMap((p) => failureFaults(scenario, p))].sort((a, b) => a.startMs - b.startMs);
}
