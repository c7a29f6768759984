import { DEFAULT_SCENARIO, DEFAULT_SYNTHETIC_INIT, DEFAULT_SYNTHETIC_MEMORY, SYNTHETIC_HANDLER, SYNTHETIC_RUNTIME } from './defaults.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import type { FunctionCommon, ResolvedCluster, ResolvedFunction } from './types.js';

/** The functions section: defaults, whole-second limits, distributions, code paths. */
export async function resolveFunctions(raw: unknown[] | undefined, cluster: ResolvedCluster, ctx: ResolveContext): Promise<ResolvedFunction[]> {
  const out: ResolvedFunction[] = [];
  const seen = new Map<string, number>();
  for (const [i, item] of (raw ?? []).entries()) {
    const path = ['functions', i];
    const f = item as Raw;
    const name = typeof f?.['name'] === 'string' ? f['name'] : undefined;
    if (name !== undefined && !ctx.broken([...path, 'name'])) {
      if (seen.has(name)) ctx.error([...path, 'name'], ScenarioErrorCode.Duplicate, `function "${name}" is already defined at functions[${seen.get(name)}]`);
      else seen.set(name, i);
    }
    if (ctx.broken(path)) {
      // Still check what can be checked alone, so that one run shows every problem.
      if (!ctx.brokenAt(path) && typeof f['path'] === 'string' && !ctx.broken([...path, 'path'])) await ctx.exists([...path, 'path'], ctx.path(f['path']), 'folder-or-zip');
      continue;
    }
    const common = resolveCommon(f, path, ctx);
    if ('synthetic' in f) {
      const s = f['synthetic'] as Raw;
      const sp = [...path, 'synthetic'];
      const duration = ctx.distribution(s['duration'], [...sp, 'duration']);
      const init = ctx.distribution(s['init'], [...sp, 'init']) ?? DEFAULT_SYNTHETIC_INIT;
      const memory = ctx.distribution(s['memory'], [...sp, 'memory']) ?? DEFAULT_SYNTHETIC_MEMORY;
      if (!duration) continue;
      out.push({
        ...common,
        kind: 'synthetic',
        runtime: SYNTHETIC_RUNTIME,
        handler: SYNTHETIC_HANDLER,
        synthetic: { init, duration, memory, errorRate: (s['errorRate'] as number | undefined) ?? 0 },
      });
    } else {
      const absolute = ctx.path(f['path'] as string);
      const what = await ctx.exists([...path, 'path'], absolute, 'folder-or-zip');
      out.push({
        ...common,
        kind: 'code',
        path: absolute,
        packaging: what === 'folder' ? 'folder' : 'zip',
        handler: (f['handler'] as string | undefined) ?? DEFAULT_SCENARIO.handler,
        runtime: (f['runtime'] as string | undefined) ?? DEFAULT_SCENARIO.runtime,
      });
    }
  }
  checkConcurrency(out, raw ?? [], cluster, ctx);
  return out;
}

/** Settings shared by code and synthetic functions. */
export function resolveCommon(f: Raw, path: Array<string | number>, ctx: ResolveContext): FunctionCommon {
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries((f['environment'] as Raw | undefined) ?? {})) environment[k] = String(v);
  const common: FunctionCommon = {
    name: f['name'] as string,
    tenant: (f['tenant'] as string | undefined) ?? (f['name'] as string),
    memoryMb: (f['memory'] as number | undefined) ?? DEFAULT_SCENARIO.memoryMb,
    timeoutSec: ctx.seconds(f['timeout'], [...path, 'timeout'], 1, 900) ?? DEFAULT_SCENARIO.timeoutSec,
    architecture: (f['architecture'] as FunctionCommon['architecture'] | undefined) ?? DEFAULT_SCENARIO.architecture,
    environment,
  };
  if (typeof f['description'] === 'string') common.description = f['description'];
  for (const key of ['provisionedConcurrency', 'reservedConcurrency', 'retries'] as const) {
    if (typeof f[key] === 'number') common[key] = f[key];
  }
  const age = ctx.seconds(f['maxEventAge'], [...path, 'maxEventAge'], 60, 21_600);
  if (age !== undefined) common.maxEventAgeSec = age;
  return common;
}

// Lambda keeps 100 of the account's concurrency unreserved, and provisioned concurrency cannot
// exceed a function's reserved concurrency (lambda-facts: PutFunctionConcurrency, PutProvisionedConcurrencyConfig).
function checkConcurrency(functions: ResolvedFunction[], raw: unknown[], cluster: ResolvedCluster, ctx: ResolveContext): void {
  let reserved = 0;
  for (const f of functions) {
    const i = raw.findIndex((r) => (r as Raw)?.['name'] === f.name);
    if (f.reservedConcurrency !== undefined) {
      reserved += f.reservedConcurrency;
      if (reserved > cluster.accountConcurrency - 100) {
        ctx.error(['functions', i, 'reservedConcurrency'], ScenarioErrorCode.InvalidValue, `reserved concurrency of all functions (${reserved}) must leave 100 of accountConcurrency (${cluster.accountConcurrency}) unreserved`);
      }
    }
    if (f.provisionedConcurrency !== undefined && f.reservedConcurrency !== undefined && f.provisionedConcurrency > f.reservedConcurrency) {
      ctx.error(['functions', i, 'provisionedConcurrency'], ScenarioErrorCode.InvalidValue, `must not exceed reservedConcurrency (${f.reservedConcurrency})`);
    }
  }
}
