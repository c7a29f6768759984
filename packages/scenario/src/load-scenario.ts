import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_SCENARIO } from './defaults.js';
import { formatDuration } from './duration.js';
import { ScenarioError, ScenarioErrorCode, ScenarioLoadError } from './errors.js';
import { ResolveContext, type Raw } from './resolve-context.js';
import { resolveCluster } from './resolve-cluster.js';
import { resolveFailures } from './resolve-failures.js';
import { resolveFaults } from './resolve-faults.js';
import { resolveFunctions } from './resolve-functions.js';
import { resolveHypotheses, resolveStopConditions } from './resolve-hypotheses.js';
import { resolveWorkload } from './resolve-workload.js';
import { resolveQueues, resolveTriggers } from './resolve-queues.js';
import { ScenarioFileSchema } from './schema.js';
import type { ResolvedScenario } from './types.js';
import { validateShape } from './validate-shape.js';
import { parseYamlSource } from './yaml-source.js';
import { formatOverride, type ScenarioOverride } from './overrides.js';

/** What loading a scenario gives: the resolved scenario, or every problem found. */
export type LoadResult =
  | { scenario: ResolvedScenario; errors: []; warnings: ScenarioError[] }
  | { scenario: undefined; errors: ScenarioError[]; warnings: ScenarioError[] };

/**
 * Reads, validates and resolves a scenario file. Problems are returned, all at once, each naming
 * the file, line, column and field; nothing is thrown for a bad file. Paths in the file are
 * relative to the file; `path` is shown in messages as given.
 *
 * @example
 * const { scenario, errors } = await loadScenario('sim-scenarios/az-power-loss.yaml');
 * if (!scenario) { console.error(formatScenarioErrors(errors)); process.exit(2); }
 */
export async function loadScenario(path: string, options: { overrides?: readonly ScenarioOverride[] } = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { scenario: undefined, errors: [new ScenarioError({ code: ScenarioErrorCode.File, file: path, line: 0, column: 0, field: '', detail: reason })], warnings: [] };
  }
  return parseScenario(text, { file: path, ...(options.overrides ? { overrides: options.overrides } : {}) });
}

/** {@link loadScenario} that throws a {@link ScenarioLoadError} listing every problem. */
export async function loadScenarioOrThrow(path: string, options: { overrides?: readonly ScenarioOverride[] } = {}): Promise<ResolvedScenario> {
  const result = await loadScenario(path, options);
  if (!result.scenario) throw new ScenarioLoadError(result.errors);
  return result.scenario;
}

/**
 * Validates and resolves scenario text. `file` names it in messages and anchors relative paths
 * (unless `baseDir` is given); `overrides` set fields first (`--set`), and are kept in the result.
 */
export async function parseScenario(text: string, options: { file: string; baseDir?: string; overrides?: readonly ScenarioOverride[] }): Promise<LoadResult> {
  const overrides = options.overrides ?? [];
  const source = parseYamlSource(text, options.file, overrides);
  if (source.errors.length > 0) return { scenario: undefined, errors: source.errors, warnings: [] };
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    const error = new ScenarioError({ code: ScenarioErrorCode.InvalidValue, file: options.file, line: 1, column: 1, field: '', detail: 'a scenario is a mapping (name:, duration:, functions:, ...)' });
    return { scenario: undefined, errors: [error], warnings: [] };
  }
  const shapeIssues = validateShape(ScenarioFileSchema, source.value);
  const ctx = new ResolveContext(options.baseDir ?? dirname(resolve(options.file)), shapeIssues);
  const resolved = await resolveValue(source.value as Raw, ctx, resolve(options.file));
  const scenario = overrides.length > 0 ? { ...resolved, overrides: overrides.map(formatOverride) } : resolved;
  const errors = [...shapeIssues, ...ctx.issues].map((i) => source.toError(i)).sort((a, b) => a.line - b.line || a.column - b.column);
  const warnings = ctx.warnings.map((i) => source.toError(i));
  if (errors.length > 0) return { scenario: undefined, errors, warnings };
  return { scenario, errors: [], warnings };
}

async function resolveValue(doc: Raw, ctx: ResolveContext, file: string): Promise<ResolvedScenario> {
  const durationMs = ctx.broken(['duration']) ? NaN : ctx.positiveMs(doc['duration'], ['duration'], NaN);
  const warmupMs = ctx.ms(doc['warmup'], DEFAULT_SCENARIO.warmupMs);
  const cooldownMs = ctx.ms(doc['cooldown'], DEFAULT_SCENARIO.cooldownMs);
  if (warmupMs >= durationMs) {
    ctx.error(['warmup'], ScenarioErrorCode.OutsideRun, `must be shorter than the load phase (duration ${formatDuration(durationMs)})`);
  }
  const runEndMs = durationMs + cooldownMs;
  const cluster = resolveCluster(ctx.broken(['cluster']) && !isObject(doc['cluster']) ? undefined : (doc['cluster'] as Raw | undefined), ctx);
  const declared = await resolveFunctions(list(doc['functions']), cluster, ctx);
  // Functions that failed their own checks still count as known: no follow-on "unknown function".
  const declaredNames = [...new Set(list(doc['functions']).map((f) => (f as Raw)?.['name']).filter((n): n is string => typeof n === 'string'))];
  const queues = resolveQueues(list(doc['queues']), ctx);
  resolveTriggers(list(doc['functions']), declared, queues, ctx);
  const queueNames = [...new Set(list(doc['queues']).map((q) => (q as Raw)?.['name']).filter((n): n is string => typeof n === 'string'))];
  const { workload, traceFunctions } = await resolveWorkload(list(doc['workload']), ctx, { functionNames: declaredNames, durationMs, queueNames });
  const functions = [...declared, ...traceFunctions];
  const faults = resolveFaults(list(doc['faults']), ctx, { cluster, runEndMs });
  const faultIds = list(doc['faults']).map((f) => (f as Raw)?.['id']).filter((id): id is string => typeof id === 'string');
  const functionNames = [...declaredNames, ...traceFunctions.map((f) => f.name)];
  const hypotheses = resolveHypotheses(list(doc['hypotheses']), ctx, { cluster, functions: functionNames, faults, faultIds });
  const stopConditions = resolveStopConditions(list(doc['stopConditions']), ctx);
  const scenario: ResolvedScenario = {
    file,
    name: doc['name'] as string,
    seed: (doc['seed'] as number | string | undefined) ?? DEFAULT_SCENARIO.seed,
    mode: (doc['mode'] as 'real' | 'virtual' | undefined) ?? 'real',
    durationMs,
    warmupMs,
    cooldownMs,
    runEndMs,
    cluster,
    functions,
    queues,
    workload,
    faults,
    hypotheses,
    stopConditions,
  };
  if (typeof doc['description'] === 'string') scenario.description = doc['description'];
  if (typeof doc['slo'] === 'number') scenario.slo = doc['slo'];
  const failures = resolveFailures(list(doc['failures']), ctx, { seed: scenario.seed, cluster, durationMs, runEndMs, faultIds });
  if (failures.length > 0) scenario.failures = failures;
  return scenario;
}

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A section that should be a list; anything else (already reported by the shape check) is empty. */
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
