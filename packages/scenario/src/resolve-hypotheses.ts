import { DEFAULT_SCENARIO } from './defaults.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import type { FaultAction, HypothesisKind, ResolvedCluster, ResolvedFault, ResolvedHypothesis, ResolvedStopCondition, WindowSettings } from './types.js';

/** Faults that stop a zone's heartbeats, so the coordinator must mark it down: what `detection` measures. */
export const DETECTABLE_ACTIONS: ReadonlySet<FaultAction> = new Set(['kill', 'pause', 'partition']);
/**
 * Faults whose target keeps its heartbeats but fails its work: `detection` measures them too, to the
 * first time the detector took the target out of placement (a work-aware detector does; heartbeats never).
 */
export const GRAY_ACTIONS: ReadonlySet<FaultAction> = new Set(['gray']);

const HYPOTHESIS_KINDS: readonly HypothesisKind[] = ['successRate', 'p99', 'lostEvents', 'detection', 'duplicates', 'throttles', 'deadLetters'];

/** The time after a fault's end that `steady` still leaves out: the nominal detection time. */
export function defaultSettleMs(cluster: Pick<ResolvedCluster, 'heartbeatMs' | 'missLimit'>): number {
  return cluster.heartbeatMs * cluster.missLimit;
}

/** The hypotheses section, checked against the functions and faults. */
export function resolveHypotheses(
  raw: unknown[] | undefined,
  ctx: ResolveContext,
  scenario: { cluster: ResolvedCluster; functions: string[]; faults: ResolvedFault[]; faultIds: string[] },
): ResolvedHypothesis[] {
  const out: ResolvedHypothesis[] = [];
  const ids = new Map<string, number>();
  const list = raw ?? [];
  for (const [index, item] of list.entries()) {
    const path = ['hypotheses', index];
    if (ctx.broken(path)) continue;
    const h = item as Raw;
    const kind = HYPOTHESIS_KINDS.find((k) => h[k] !== undefined)!;
    const body = h[kind] as Raw;
    const bp = [...path, kind];
    const id = uniqueId(h['id'] as string | undefined, kind, ids, index, path, ctx, 'hypothesis');
    if (id === undefined) continue;
    const base = { id, ...(typeof h['description'] === 'string' && { description: h['description'] }) };

    const windowOf = (): WindowSettings | undefined => {
      const w: WindowSettings = { during: (body['during'] as WindowSettings['during'] | undefined) ?? 'steady', settleMs: ctx.ms(body['settle'], defaultSettleMs(scenario.cluster)) };
      let ok = true;
      if (Array.isArray(body['functions'])) {
        ok = (body['functions'] as string[]).map((f, i) => ctx.reference([...bp, 'functions', i], 'function', f, scenario.functions)).every(Boolean) && ok;
        w.functions = body['functions'] as string[];
      }
      if (Array.isArray(body['faults'])) {
        ok = (body['faults'] as string[]).map((f, i) => ctx.reference([...bp, 'faults', i], 'fault', f, scenario.faultIds)).every(Boolean) && ok;
        if (w.during !== 'faults') ctx.error([...bp, 'faults'], ScenarioErrorCode.InvalidValue, 'only used with during: faults');
        w.faultIds = body['faults'] as string[];
      }
      if (w.during === 'faults' && scenario.faultIds.length === 0) {
        ctx.error([...bp, 'during'], ScenarioErrorCode.InvalidValue, 'the scenario has no faults, so there is no fault window to judge');
        ok = false;
      }
      return ok ? w : undefined;
    };

    switch (kind) {
      case 'successRate': {
        const window = windowOf();
        if (window) out.push({ ...base, kind, min: body['min'] as number, functionErrorsFail: (body['functionErrorsFail'] as boolean | undefined) ?? false, window });
        break;
      }
      case 'p99': {
        const window = windowOf();
        if (window) out.push({ ...base, kind, maxMs: ctx.ms(body['max'], 0), window });
        break;
      }
      case 'detection': {
        let faultIds: string[];
        if (Array.isArray(body['faults'])) {
          faultIds = body['faults'] as string[];
          if (!faultIds.map((f, i) => ctx.reference([...bp, 'faults', i], 'fault', f, scenario.faultIds)).every(Boolean)) break;
        } else {
          faultIds = scenario.faults.filter((f) => DETECTABLE_ACTIONS.has(f.action) && f.target.kind !== 'coordinator').map((f) => f.id);
          if (faultIds.length === 0 && scenario.faultIds.length === scenario.faults.length) {
            ctx.error(bp, ScenarioErrorCode.InvalidValue, 'there is no kill, pause or partition fault on a zone or node to detect (name faults with "faults")');
            break;
          }
        }
        out.push({ ...base, kind, maxMs: ctx.ms(body['max'], 0), faultIds });
        break;
      }
      case 'throttles': {
        if (body['max'] === undefined && body['maxRate'] === undefined) {
          ctx.error(bp, ScenarioErrorCode.MissingField, 'needs max, maxRate or both');
          break;
        }
        out.push({ ...base, kind, ...(typeof body['max'] === 'number' && { max: body['max'] }), ...(typeof body['maxRate'] === 'number' && { maxRate: body['maxRate'] }) });
        break;
      }
      case 'lostEvents':
      case 'duplicates':
      case 'deadLetters':
        out.push({ ...base, kind, max: (body['max'] as number | undefined) ?? 0 });
        break;
    }
  }
  return out;
}

/** The stopConditions section. */
export function resolveStopConditions(raw: unknown[] | undefined, ctx: ResolveContext): ResolvedStopCondition[] {
  const out: ResolvedStopCondition[] = [];
  const ids = new Map<string, number>();
  for (const [index, item] of (raw ?? []).entries()) {
    const path = ['stopConditions', index];
    if (ctx.broken(path)) continue;
    const s = item as Raw;
    const kind = s['errorRate'] !== undefined ? 'errorRate' : 'p99';
    const body = s[kind] as Raw;
    const id = uniqueId(s['id'] as string | undefined, kind, ids, index, path, ctx, 'stop condition');
    if (id === undefined) continue;
    const forMs = ctx.positiveMs(body['for'], [...path, kind, 'for'], NaN);
    if (!Number.isFinite(forMs)) continue;
    const minOps = (body['minOps'] as number | undefined) ?? DEFAULT_SCENARIO.stopMinOps;
    if (kind === 'errorRate') out.push({ id, kind, above: body['above'] as number, forMs, minOps });
    else out.push({ id, kind, aboveMs: ctx.ms(body['above'], 0), forMs, minOps });
  }
  return out;
}

function uniqueId(given: string | undefined, kind: string, ids: Map<string, number>, index: number, path: Array<string | number>, ctx: ResolveContext, what: string): string | undefined {
  if (given !== undefined) {
    if (ids.has(given)) {
      ctx.error([...path, 'id'], ScenarioErrorCode.Duplicate, `${what} "${given}" is already defined at ${path[0]}[${ids.get(given)}]`);
      return undefined;
    }
    ids.set(given, index);
    return given;
  }
  let id = kind;
  for (let n = 2; ids.has(id); n++) id = `${kind}-${n}`;
  ids.set(id, index);
  return id;
}
