import { DEFAULT_SCENARIO } from './defaults.js';
import { formatDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import { invocationsHeaderProblem, readHeader } from './trace-csv.js';
import { MAX_TRACE_FUNCTIONS, syntheticFunctionsFromTrace, type TraceSyntheticSettings } from './trace-functions.js';
import type { ArrivalProcess, ResolvedArrival, ResolvedClient, ResolvedTraceArrival, ResolvedWorkload, RetryableFailure, SyntheticFunction } from './types.js';

/** The workload section; trace entries with `functions: synthetic` add functions. */
export async function resolveWorkload(
  raw: unknown[] | undefined,
  ctx: ResolveContext,
  scenario: { functionNames: string[]; durationMs: number; queueNames?: string[] },
): Promise<{ workload: ResolvedWorkload[]; traceFunctions: SyntheticFunction[] }> {
  const workload: ResolvedWorkload[] = [];
  const traceFunctions: SyntheticFunction[] = [];
  const known = () => [...scenario.functionNames, ...traceFunctions.map((f) => f.name)];
  for (const [index, item] of (raw ?? []).entries()) {
    const path = ['workload', index];
    if (ctx.brokenAt(path)) continue;
    const w = item as Raw;
    if (ctx.broken(path)) {
      // Still check what can be checked alone, so that one run shows every problem.
      if (typeof w['function'] === 'string' && !ctx.broken([...path, 'function'])) ctx.reference([...path, 'function'], 'function', w['function'], known());
      if (!ctx.broken([...path, 'start']) && !ctx.broken([...path, 'end'])) checkSpan(ctx, path, ctx.ms(w['start'], 0), ctx.ms(w['end'], scenario.durationMs), scenario.durationMs);
      continue;
    }
    const arrivalRaw = w['arrival'] as Raw;
    const kind = Object.keys(arrivalRaw)[0] as ResolvedArrival['kind'];
    const ap = [...path, 'arrival', kind];
    const a = arrivalRaw[kind] as Raw;

    const startMs = ctx.ms(w['start'], 0);
    const endMs = ctx.ms(w['end'], scenario.durationMs);
    checkSpan(ctx, path, startMs, endMs, scenario.durationMs);

    let arrival: ResolvedArrival | undefined;
    let fn = w['function'] as string | undefined;
    const queue = w['queue'] as string | undefined;
    if (queue !== undefined) {
      // A queue entry sends messages; the queue's mappings invoke functions.
      if (fn !== undefined) ctx.error([...path, 'queue'], ScenarioErrorCode.InvalidValue, 'give either function or queue, not both');
      else if (w['invocation'] !== undefined) ctx.error([...path, 'invocation'], ScenarioErrorCode.InvalidValue, 'invocation is for function entries; a queue entry sends messages');
      else if (kind === 'trace') ctx.error([...path, 'queue'], ScenarioErrorCode.InvalidValue, 'a trace replay feeds functions, not a queue');
      else if (ctx.reference([...path, 'queue'], 'queue', queue, scenario.queueNames ?? [])) {
        const a2 = resolveRate(kind, a, ap, ctx);
        if (a2) {
          const entry: ResolvedWorkload = { index, function: queue, invocation: 'queue', startMs, endMs, arrival: a2 };
          if (w['payload'] !== undefined) entry.payload = w['payload'];
          const client = resolveClient(w['client'] as Raw | undefined, [...path, 'client'], ctx);
          if (client) entry.client = client;
          workload.push(entry);
        }
      }
      continue;
    }
    if (kind === 'trace') {
      const resolved = await resolveTrace(a, ap, w, ctx, known, traceFunctions, endMs - startMs);
      if (!resolved) continue;
      arrival = resolved;
      fn = resolved.functions[0];
    } else {
      if (fn === undefined) {
        ctx.error(path, ScenarioErrorCode.MissingField, 'missing required field "function"');
        continue;
      }
      if (!ctx.reference([...path, 'function'], 'function', fn, known())) continue;
      arrival = resolveRate(kind, a, ap, ctx);
    }
    if (!arrival || fn === undefined) continue;
    const entry: ResolvedWorkload = {
      index,
      function: fn,
      invocation: (w['invocation'] as 'sync' | 'async' | undefined) ?? DEFAULT_SCENARIO.invocation,
      startMs,
      endMs,
      arrival,
    };
    if (w['payload'] !== undefined) entry.payload = w['payload'];
    const client = resolveClient(w['client'] as Raw | undefined, [...path, 'client'], ctx);
    if (client) entry.client = client;
    workload.push(entry);
  }
  return { workload, traceFunctions };
}

/** Defaults of a workload entry's `client.retries` and `client.budget`. */
export const DEFAULT_CLIENT = { baseMs: 100, maxMs: 20_000, multiplier: 2, jitter: 'full', on: ['throttle', 'error', 'timeout'], minPerSecond: 10, windowMs: 10_000 } as const;

function resolveClient(raw: Raw | undefined, path: Array<string | number>, ctx: ResolveContext): ResolvedClient | undefined {
  if (raw === undefined) return undefined;
  const client: ResolvedClient = {};
  if (raw['timeout'] !== undefined) client.timeoutMs = ctx.positiveMs(raw['timeout'], [...path, 'timeout'], NaN);
  const r = raw['retries'] as Raw | undefined;
  if (r !== undefined) {
    const b = (r['backoff'] as Raw | undefined) ?? {};
    const baseMs = b['base'] === undefined ? DEFAULT_CLIENT.baseMs : ctx.positiveMs(b['base'], [...path, 'retries', 'backoff', 'base'], NaN);
    const maxMs = b['max'] === undefined ? Math.max(DEFAULT_CLIENT.maxMs, baseMs) : ctx.positiveMs(b['max'], [...path, 'retries', 'backoff', 'max'], NaN);
    if (maxMs < baseMs) ctx.error([...path, 'retries', 'backoff', 'max'], ScenarioErrorCode.InvalidValue, `must be at least base (${formatDuration(baseMs)})`);
    client.retries = {
      max: r['max'] as number,
      on: [...((r['on'] as RetryableFailure[] | undefined) ?? DEFAULT_CLIENT.on)],
      baseMs,
      maxMs,
      multiplier: (b['multiplier'] as number | undefined) ?? DEFAULT_CLIENT.multiplier,
      jitter: (r['jitter'] as 'full' | 'equal' | 'none' | undefined) ?? DEFAULT_CLIENT.jitter,
    };
  }
  const budget = raw['budget'] as Raw | undefined;
  if (budget !== undefined) {
    if (!client.retries) ctx.error([...path, 'budget'], ScenarioErrorCode.InvalidValue, 'a retry budget needs retries (client.retries.max)');
    client.budget = {
      ratio: budget['ratio'] as number,
      minPerSecond: (budget['minPerSecond'] as number | undefined) ?? DEFAULT_CLIENT.minPerSecond,
      windowMs: budget['window'] === undefined ? DEFAULT_CLIENT.windowMs : ctx.positiveMs(budget['window'], [...path, 'budget', 'window'], NaN),
    };
  }
  return client;
}

function checkSpan(ctx: ResolveContext, path: Array<string | number>, startMs: number, endMs: number, durationMs: number): void {
  if (!Number.isFinite(durationMs)) return;
  if (startMs >= durationMs) ctx.error([...path, 'start'], ScenarioErrorCode.OutsideRun, `starts at ${formatDuration(startMs)}, at or after the end of the load phase (${formatDuration(durationMs)})`);
  else if (endMs > durationMs) ctx.error([...path, 'end'], ScenarioErrorCode.OutsideRun, `ends at ${formatDuration(endMs)}, after the end of the load phase (${formatDuration(durationMs)})`);
  else if (endMs <= startMs) ctx.error([...path, 'end'], ScenarioErrorCode.OutsideRun, `must be after start (${formatDuration(startMs)})`);
}

function resolveRate(kind: Exclude<ResolvedArrival['kind'], 'trace'>, a: Raw, path: Array<string | number>, ctx: ResolveContext): ResolvedArrival | undefined {
  const process = (a['process'] as ArrivalProcess | undefined) ?? DEFAULT_SCENARIO.process;
  switch (kind) {
    case 'constant':
    case 'poisson':
      return { kind, rate: a['rate'] as number };
    case 'ramp':
      return { kind, from: a['from'] as number, to: a['to'] as number, process };
    case 'bursts': {
      const everyMs = ctx.positiveMs(a['every'], [...path, 'every'], NaN);
      const lengthMs = ctx.positiveMs(a['length'], [...path, 'length'], NaN);
      if (lengthMs > everyMs) ctx.error([...path, 'length'], ScenarioErrorCode.InvalidValue, `a burst (${formatDuration(lengthMs)}) must not be longer than its period every (${formatDuration(everyMs)})`);
      if (!Number.isFinite(everyMs) || !Number.isFinite(lengthMs) || lengthMs > everyMs) return undefined;
      return { kind, base: a['base'] as number, burst: a['burst'] as number, everyMs, lengthMs, offsetMs: ctx.ms(a['offset'], 0), process };
    }
    case 'diurnal': {
      const periodMs = ctx.positiveMs(a['period'], [...path, 'period'], NaN);
      const mean = a['mean'] as number;
      const amplitude = a['amplitude'] as number;
      if (amplitude > mean) {
        ctx.error([...path, 'amplitude'], ScenarioErrorCode.InvalidValue, `must be at most mean (${mean}): a rate cannot go below 0`);
        return undefined;
      }
      const peakAtMs = ctx.ms(a['peakAt'], periodMs / 2);
      if (peakAtMs > periodMs) ctx.error([...path, 'peakAt'], ScenarioErrorCode.InvalidValue, `must be within the period (${formatDuration(periodMs)})`);
      if (!Number.isFinite(periodMs) || peakAtMs > periodMs) return undefined;
      return { kind, mean, amplitude, periodMs, peakAtMs, process };
    }
  }
}

async function resolveTrace(
  t: Raw,
  path: Array<string | number>,
  w: Raw,
  ctx: ResolveContext,
  known: () => string[],
  traceFunctions: SyntheticFunction[],
  spanMs: number,
): Promise<ResolvedTraceArrival | undefined> {
  const file = ctx.path(t['path'] as string);
  if (!(await ctx.exists([...path, 'path'], file, 'file'))) return undefined;
  const problem = invocationsHeaderProblem(await readHeader(file));
  if (problem) {
    ctx.error([...path, 'path'], ScenarioErrorCode.Path, `${file} ${problem}`);
    return undefined;
  }
  const rows = { skip: (t['rows'] as Raw | undefined)?.['skip'] as number | undefined ?? 0, limit: (t['rows'] as Raw | undefined)?.['limit'] as number | undefined };
  const cleanRows = rows.limit === undefined ? { skip: rows.skip } : { skip: rows.skip, limit: rows.limit };
  const mapping = t['functions'];
  const entryFn = w['function'] as string | undefined;
  for (const key of ['durations', 'memory', 'synthetic'] as const) {
    if (t[key] !== undefined && mapping !== 'synthetic') ctx.error([...path, key], ScenarioErrorCode.InvalidValue, 'only used with functions: synthetic');
  }
  let functions: string[];
  if (mapping !== undefined && entryFn !== undefined) {
    ctx.error([...path, 'functions'], ScenarioErrorCode.InvalidValue, `give either the entry's function ("${entryFn}") or trace.functions, not both`);
    return undefined;
  } else if (Array.isArray(mapping)) {
    const ok = (mapping as string[]).map((name, i) => ctx.reference([...path, 'functions', i], 'function', name, known()));
    if (!ok.every(Boolean)) return undefined;
    functions = mapping as string[];
  } else if (mapping === 'synthetic') {
    const made = await traceSynthetic(t, path, file, cleanRows, ctx, known());
    if (!made) return undefined;
    traceFunctions.push(...made);
    functions = made.map((f) => f.name);
  } else if (entryFn !== undefined) {
    if (!ctx.reference(['workload', path[1]!, 'function'], 'function', entryFn, known())) return undefined;
    functions = [entryFn];
  } else {
    ctx.error(path.slice(0, 2), ScenarioErrorCode.MissingField, 'missing "function" (or arrival.trace.functions: a list of functions, or synthetic)');
    return undefined;
  }
  const minuteMs = ((t['minuteSeconds'] as number | undefined) ?? DEFAULT_SCENARIO.minuteSeconds) * 1000;
  const startMinute = (t['startMinute'] as number | undefined) ?? 1;
  const minutes = Math.ceil(spanMs / minuteMs);
  if (Number.isFinite(minutes) && startMinute + minutes - 1 > 1440) {
    ctx.warn([...path, 'startMinute'], `the entry spans ${minutes} trace minutes from minute ${startMinute}, past minute 1440: it sends nothing after the trace's last minute`);
  }
  return {
    kind: 'trace',
    path: file,
    minuteMs,
    startMinute,
    scale: (t['scale'] as number | undefined) ?? DEFAULT_SCENARIO.traceScale,
    spread: (t['spread'] as 'uniform' | 'even' | undefined) ?? DEFAULT_SCENARIO.traceSpread,
    rows: cleanRows,
    functions,
  };
}

async function traceSynthetic(
  t: Raw,
  path: Array<string | number>,
  file: string,
  rows: { skip: number; limit?: number },
  ctx: ResolveContext,
  known: string[],
): Promise<SyntheticFunction[] | undefined> {
  const durations = typeof t['durations'] === 'string' ? ctx.path(t['durations']) : undefined;
  const memory = typeof t['memory'] === 'string' ? ctx.path(t['memory']) : undefined;
  const okD = durations === undefined || (await ctx.exists([...path, 'durations'], durations, 'file'));
  const okM = memory === undefined || (await ctx.exists([...path, 'memory'], memory, 'file'));
  if (!okD || !okM) return undefined;
  const s = (t['synthetic'] as Raw | undefined) ?? {};
  const init = ctx.distribution(s['init'], [...path, 'synthetic', 'init']);
  const settings: TraceSyntheticSettings = {};
  if (init) settings.init = init;
  if (typeof s['errorRate'] === 'number') settings.errorRate = s['errorRate'];
  if (typeof s['memory'] === 'number') settings.memoryMb = s['memory'];
  const timeoutSec = ctx.seconds(s['timeout'], [...path, 'synthetic', 'timeout'], 1, 900);
  if (timeoutSec !== undefined) settings.timeoutSec = timeoutSec;
  const made = await syntheticFunctionsFromTrace({ invocations: file, ...(durations && { durations }), ...(memory && { memory }), rows, settings });
  if (made.tooMany !== undefined) {
    ctx.error([...path, 'functions'], ScenarioErrorCode.InvalidValue, `would make ${made.tooMany} functions, more than ${MAX_TRACE_FUNCTIONS}: choose rows with rows.limit`);
    return undefined;
  }
  if (made.functions.length === 0) {
    ctx.error([...path, 'rows'], ScenarioErrorCode.InvalidValue, 'selects no rows of the trace');
    return undefined;
  }
  const clash = made.functions.find((f) => known.includes(f.name));
  if (clash) {
    ctx.error([...path, 'functions'], ScenarioErrorCode.Duplicate, `makes function "${clash.name}", which the scenario already defines`);
    return undefined;
  }
  if (durations && made.missingDurations.length) ctx.warn([...path, 'durations'], `no durations for ${made.missingDurations.join(', ')}: lognormal median 100ms p99 1s used`);
  if (memory && made.missingMemory.length) ctx.warn([...path, 'memory'], `no memory for ${made.missingMemory.join(', ')}: 128 MB used`);
  return made.functions;
}
