import { formatDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import type { FieldPath } from './field-path.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import { topology } from './topology.js';
import type { FaultAction, FaultParams, FaultTarget, LinkDirection, ResolvedCluster, ResolvedFault } from './types.js';

interface Pending {
  index: number;
  raw: Raw;
  id: string;
  action: FaultAction;
  params: FaultParams;
  target: FaultTarget;
  /** How long it lasts once started; undefined = until the run ends. */
  lengthMs: number | undefined;
  /** The field the length came from (for errors). */
  lengthField: string;
  atMs?: number;
  after?: { id: string; delayMs: number };
  startMs?: number;
  failed?: boolean;
}

/**
 * The faults section: targets checked against the cluster, `after` chains followed (FIS's
 * `startAfter`, but from the end of the named fault plus `delay`), cycles refused, and every
 * fault placed inside the run.
 */
export function resolveFaults(raw: unknown[] | undefined, ctx: ResolveContext, scenario: { cluster: ResolvedCluster; runEndMs: number }): ResolvedFault[] {
  const list = raw ?? [];
  const allIds = list.map((f) => (f as Raw)?.['id']).filter((id): id is string => typeof id === 'string');
  const firstIndex = new Map<string, number>();
  const pending = new Map<string, Pending>();
  for (const [index, item] of list.entries()) {
    const path = ['faults', index];
    const f = item as Raw;
    const id = f?.['id'];
    if (typeof id === 'string' && !ctx.broken([...path, 'id'])) {
      if (firstIndex.has(id)) ctx.error([...path, 'id'], ScenarioErrorCode.Duplicate, `fault "${id}" is already defined at faults[${firstIndex.get(id)}]`);
      else firstIndex.set(id, index);
    }
    if (ctx.brokenAt(path) || ctx.broken([...path, 'id']) || ctx.broken([...path, 'action']) || firstIndex.get(id as string) !== index) continue;
    const p = prepare(f, index, ctx, scenario.cluster, allIds);
    if (p) pending.set(p.id, p);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: Pending, stack: Pending[]): void => {
    if (state.get(p.id) === 'done') return;
    if (state.get(p.id) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(p)), p];
      for (const member of cycle.slice(0, -1)) {
        member.failed = true;
        ctx.error(['faults', member.index, 'after'], ScenarioErrorCode.Cycle, `after makes a cycle: ${cycle.map((c) => c.id).join(' -> ')}`);
      }
      return;
    }
    state.set(p.id, 'visiting');
    if (p.after) {
      const before = pending.get(p.after.id);
      if (!before) p.failed = true; // reported in prepare, or the named fault has its own errors
      else {
        visit(before, [...stack, p]);
        if (p.failed) {
          // part of a cycle, already reported
        } else if (before.failed || before.startMs === undefined) {
          p.failed = true;
        } else if (before.lengthMs === undefined) {
          p.failed = true;
          ctx.error(['faults', p.index, 'after'], ScenarioErrorCode.OutsideRun, `fault "${before.id}" lasts until the run ends (give it a ${before.lengthField}), so nothing can start after it`);
        } else {
          p.startMs = before.startMs + before.lengthMs + p.after.delayMs;
        }
      }
    } else {
      p.startMs = p.atMs;
    }
    state.set(p.id, 'done');
  };
  for (const p of pending.values()) visit(p, []);

  const out: ResolvedFault[] = [];
  for (const p of pending.values()) {
    if (p.failed || p.startMs === undefined) continue;
    const path = ['faults', p.index];
    const run = formatDuration(scenario.runEndMs);
    if (Number.isFinite(scenario.runEndMs) && p.startMs >= scenario.runEndMs) {
      ctx.error([...path, p.after ? 'after' : 'at'], ScenarioErrorCode.OutsideRun, `starts at ${formatDuration(p.startMs)}, at or after the end of the run (${run} = duration + cooldown)`);
      continue;
    }
    const endMs = p.lengthMs === undefined ? undefined : p.startMs + p.lengthMs;
    if (endMs !== undefined && Number.isFinite(scenario.runEndMs) && endMs > scenario.runEndMs) {
      ctx.error([...path, p.lengthField], ScenarioErrorCode.OutsideRun, `the fault ends at ${formatDuration(endMs)}, after the end of the run (${run} = duration + cooldown)`);
      continue;
    }
    const fault: ResolvedFault = { id: p.id, action: p.action, params: p.params, target: p.target, startMs: p.startMs };
    if (endMs !== undefined) fault.endMs = endMs;
    if (p.after) fault.after = p.after;
    if (typeof p.raw['description'] === 'string') fault.description = p.raw['description'];
    out.push(fault);
  }
  // File order for equal starts keeps the schedule stable.
  return out.sort((a, b) => a.startMs - b.startMs || (firstIndex.get(a.id) ?? 0) - (firstIndex.get(b.id) ?? 0));
}

function prepare(f: Raw, index: number, ctx: ResolveContext, cluster: ResolvedCluster, allIds: string[]): Pending | undefined {
  const path = ['faults', index];
  const id = f['id'] as string;
  const action = f['action'] as FaultAction;
  let ok = true;
  const has = (k: string): boolean => f[k] !== undefined;
  if (!has('at') && !has('after')) {
    ctx.error(path, ScenarioErrorCode.MissingField, 'needs "at" (a time) or "after" (a fault id)');
    ok = false;
  } else if (has('at') && has('after')) {
    ctx.error([...path, 'after'], ScenarioErrorCode.InvalidValue, 'give "at" or "after", not both');
    ok = false;
  }
  if (has('delay') && !has('after')) {
    ctx.error([...path, 'delay'], ScenarioErrorCode.InvalidValue, '"delay" only goes with "after"');
    ok = false;
  }
  let after: Pending['after'];
  if (has('after') && !ctx.broken([...path, 'after'])) {
    const ref = f['after'] as string;
    if (ref === id) {
      ctx.error([...path, 'after'], ScenarioErrorCode.Cycle, `fault "${id}" cannot start after itself`);
      ok = false;
    } else if (!ctx.reference([...path, 'after'], 'fault', ref, allIds)) ok = false;
    after = { id: ref, delayMs: ctx.ms(f['delay'], 0) };
  }
  const lengthField = action === 'kill' || action === 'coordinator-restart' ? 'restartAfter' : 'duration';
  let lengthMs: number | undefined;
  if (has(lengthField) && !ctx.broken([...path, lengthField])) {
    lengthMs = ctx.ms(f[lengthField], 0);
    if (lengthMs <= 0 && action !== 'coordinator-restart') {
      ctx.error([...path, lengthField], ScenarioErrorCode.Duration, 'must be more than 0');
      ok = false;
    }
  } else if (action === 'disconnect' || action === 'coordinator-restart') {
    lengthMs = 0; // instantaneous: a reset, or a restart without downtime
  }
  // With a broken part, check the rest alone (so that one run shows every problem), then stop.
  const broken = ctx.broken(path);
  const target = ctx.broken([...path, 'target']) ? undefined : resolveTarget(f['target'], [...path, 'target'], ctx, cluster);
  if (broken) return undefined;
  const params = resolveParams(f, action, path, ctx, lengthMs);
  if (!ok || !params || !target) return undefined;
  const p: Pending = { index, raw: f, id, action, params, target, lengthMs, lengthField };
  if (has('at')) p.atMs = ctx.ms(f['at'], 0);
  if (after) p.after = after;
  return p;
}

function resolveParams(f: Raw, action: FaultAction, path: FieldPath, ctx: ResolveContext, lengthMs: number | undefined): FaultParams | undefined {
  const direction = (f['direction'] as LinkDirection | undefined) ?? 'both';
  switch (action) {
    case 'kill':
      return lengthMs === undefined ? { action } : { action, restartAfterMs: lengthMs };
    case 'pause':
    case 'disconnect':
      return { action };
    case 'partition':
      return { action, direction };
    case 'latency':
      return { action, latencyMs: ctx.ms(f['latency'], 0), jitterMs: ctx.ms(f['jitter'], 0), direction };
    case 'loss':
      return { action, rate: f['rate'] as number, direction };
    case 'bandwidth':
      return { action, bytesPerSecond: f['bytesPerSecond'] as number, direction };
    case 'gray': {
      const slowFactor = (f['slowFactor'] as number | undefined) ?? 1;
      const failRate = (f['failRate'] as number | undefined) ?? 0;
      if (slowFactor === 1 && failRate === 0) {
        ctx.error(path, ScenarioErrorCode.MissingField, 'a gray fault needs slowFactor (> 1) or failRate (> 0)');
        return undefined;
      }
      return { action, slowFactor, failRate };
    }
    case 'brownout':
      return { action, failRate: f['failRate'] as number };
    case 'coordinator-restart':
      return { action, restartAfterMs: lengthMs ?? 0 };
  }
}

function resolveTarget(raw: unknown, path: FieldPath, ctx: ResolveContext, cluster: ResolvedCluster): FaultTarget | undefined {
  if (raw === undefined || raw === 'coordinator') return { kind: 'coordinator' };
  const t = raw as Raw;
  const zones = cluster.zones;
  if (typeof t['zone'] === 'string') {
    return ctx.reference([...path, 'zone'], 'zone', t['zone'], zones) ? { kind: 'zones', names: [t['zone']] } : undefined;
  }
  const one = (sel: Raw, keys: string[], p: FieldPath): string | undefined => {
    const given = keys.filter((k) => sel[k] !== undefined);
    if (given.length === 1) return given[0];
    if (given.length === 0) ctx.error(p, ScenarioErrorCode.MissingField, `needs one of ${keys.join(', ')}`);
    else ctx.error([...p, given[1]!], ScenarioErrorCode.InvalidValue, `give only one of ${given.join(', ')}`);
    return undefined;
  };
  if (t['zones'] !== undefined) {
    const sel = t['zones'] as Raw;
    const p = [...path, 'zones'];
    switch (one(sel, ['names', 'count', 'percent'], p)) {
      case 'names': {
        const names = sel['names'] as string[];
        return names.map((n, i) => ctx.reference([...p, 'names', i], 'zone', n, zones)).every(Boolean) ? { kind: 'zones', names } : undefined;
      }
      case 'count': {
        const count = sel['count'] as number;
        if (count > zones.length) {
          ctx.error([...p, 'count'], ScenarioErrorCode.InvalidValue, `${count} zones asked for, the cluster has ${zones.length}`);
          return undefined;
        }
        return { kind: 'zones', count };
      }
      case 'percent':
        return { kind: 'zones', percent: sel['percent'] as number };
      default:
        return undefined;
    }
  }
  const sel = t['nodes'] as Raw;
  const p = [...path, 'nodes'];
  const topo = topology({ cluster });
  const zone = sel['zone'] as string | undefined;
  if (zone !== undefined && !ctx.reference([...p, 'zone'], 'zone', zone, zones)) return undefined;
  const available = zone === undefined ? topo.nodes.length : cluster.nodesPerZone;
  switch (one(sel, ['ids', 'count', 'percent'], p)) {
    case 'ids': {
      if (zone !== undefined) {
        ctx.error([...p, 'zone'], ScenarioErrorCode.InvalidValue, '"zone" narrows a count or percent; with ids, name the nodes only');
        return undefined;
      }
      const ids = sel['ids'] as string[];
      const all = topo.nodes.map((n) => n.nodeId);
      return ids.map((n, i) => ctx.reference([...p, 'ids', i], 'node', n, all)).every(Boolean) ? { kind: 'nodes', ids } : undefined;
    }
    case 'count': {
      const count = sel['count'] as number;
      if (count > available) {
        ctx.error([...p, 'count'], ScenarioErrorCode.InvalidValue, `${count} nodes asked for, ${zone ?? 'the cluster'} has ${available}`);
        return undefined;
      }
      return zone === undefined ? { kind: 'nodes', count } : { kind: 'nodes', count, zone };
    }
    case 'percent': {
      const percent = sel['percent'] as number;
      return zone === undefined ? { kind: 'nodes', percent } : { kind: 'nodes', percent, zone };
    }
    default:
      return undefined;
  }
}
