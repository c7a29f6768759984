import { validateDistribution, type Distribution } from '@zonesim/common';
import { DEFAULT_TRACE_INIT, SYNTHETIC_HANDLER, SYNTHETIC_RUNTIME } from './defaults.js';
import { invocationRows, selectRows, type CsvRecord } from './trace-csv.js';
import type { SyntheticFunction } from './types.js';

/** The most functions `functions: synthetic` makes from one trace (use `rows.limit` to pick fewer rows). */
export const MAX_TRACE_FUNCTIONS = 1000;

/** What a trace does not say about a function, given in the scenario. */
export interface TraceSyntheticSettings {
  init?: Distribution;
  errorRate?: number;
  memoryMb?: number;
  timeoutSec?: number;
}

/** The result of {@link syntheticFunctionsFromTrace}. */
export interface TraceFunctions {
  functions: SyntheticFunction[];
  /** Rows selected beyond {@link MAX_TRACE_FUNCTIONS} (then `functions` is empty). */
  tooMany?: number;
  /** Function names whose durations, or memory, were not in the given files (defaults used). */
  missingDurations: string[];
  missingMemory: string[];
}

const DURATION_PERCENTILES = ['0', '1', '25', '50', '75', '99', '100'];
const MEMORY_PERCENTILES = ['1', '5', '25', '50', '75', '95', '99', '100'];
/** Handler time when the durations file does not have the function. */
const FALLBACK_DURATION: Distribution = { kind: 'lognormal', median: 100, p99: 1000 };
const FALLBACK_MEMORY: Distribution = { kind: 'constant', value: 128 };

/**
 * One synthetic function per selected row of an invocations file: duration from the row's
 * percentiles in the durations file (an empirical distribution, as the trace gives it), memory use
 * from the memory file (per function, or per application in the official per-app file), INIT from
 * `settings.init` (the trace excludes cold starts). Names are `trace-` + the first 8 hex digits of
 * HashFunction (`-r<row>` added on a clash). All three files are streamed; only the selected
 * rows' hashes and matching lines are kept.
 */
export async function syntheticFunctionsFromTrace(options: {
  invocations: string;
  durations?: string;
  memory?: string;
  rows: { skip: number; limit?: number };
  settings: TraceSyntheticSettings;
}): Promise<TraceFunctions> {
  const picked: Array<{ row: number; hashOwner: string; hashApp: string; hashFunction: string; trigger: string }> = [];
  let count = 0;
  for await (const row of invocationRows(options.invocations, options.rows)) {
    count++;
    if (picked.length < MAX_TRACE_FUNCTIONS) picked.push({ row: row.row, hashOwner: row.hashOwner, hashApp: row.hashApp, hashFunction: row.hashFunction, trigger: row.trigger });
  }
  const result: TraceFunctions = { functions: [], missingDurations: [], missingMemory: [] };
  if (count > MAX_TRACE_FUNCTIONS) return { ...result, tooMany: count };

  const wanted = new Set(picked.map((p) => `${p.hashApp}/${p.hashFunction}`));
  const apps = new Set(picked.map((p) => p.hashApp));
  const durations = options.durations
    ? (await selectRows(options.durations, (r) => (wanted.has(`${r['HashApp']}/${r['HashFunction']}`) ? `${r['HashApp']}/${r['HashFunction']}` : undefined))).rows
    : new Map<string, CsvRecord>();
  const memory = options.memory
    ? (await selectRows(options.memory, (r) => {
        const k = r['HashFunction'] !== undefined ? `${r['HashApp']}/${r['HashFunction']}` : r['HashApp'];
        return k !== undefined && (wanted.has(k) || apps.has(k)) ? k : undefined;
      })).rows
    : new Map<string, CsvRecord>();

  const names = new Set<string>();
  for (const p of picked) {
    let name = `trace-${p.hashFunction.slice(0, 8).toLowerCase() || `row${p.row}`}`;
    if (names.has(name)) name = `${name}-r${p.row}`;
    names.add(name);
    const d = durations.get(`${p.hashApp}/${p.hashFunction}`);
    const m = memory.get(`${p.hashApp}/${p.hashFunction}`) ?? memory.get(p.hashApp);
    const duration = d ? percentiles(d, 'percentile_Average_', DURATION_PERCENTILES) : undefined;
    const mem = m ? percentiles(m, 'AverageAllocatedMb_pct', MEMORY_PERCENTILES) : undefined;
    if (!duration) result.missingDurations.push(name);
    if (!mem) result.missingMemory.push(name);
    const maxMs = Number(d?.['Maximum']);
    const p100Mb = Number(m?.['AverageAllocatedMb_pct100']);
    result.functions.push({
      kind: 'synthetic',
      name,
      // The trace's owner is the customer: functions of one owner are one tenant.
      tenant: p.hashOwner ? `owner-${p.hashOwner.slice(0, 8).toLowerCase()}` : name,
      runtime: SYNTHETIC_RUNTIME,
      handler: SYNTHETIC_HANDLER,
      memoryMb: options.settings.memoryMb ?? clamp(Number.isFinite(p100Mb) ? Math.ceil(p100Mb) : 128, 128, 10_240),
      timeoutSec: options.settings.timeoutSec ?? clamp(Number.isFinite(maxMs) ? Math.ceil(maxMs / 1000) : 3, 3, 900),
      architecture: 'x86_64',
      environment: {},
      synthetic: {
        init: options.settings.init ?? DEFAULT_TRACE_INIT,
        duration: duration ?? FALLBACK_DURATION,
        memory: mem ?? FALLBACK_MEMORY,
        errorRate: options.settings.errorRate ?? 0,
      },
      fromTrace: { hashOwner: p.hashOwner, hashApp: p.hashApp, hashFunction: p.hashFunction, trigger: p.trigger },
    });
  }
  return result;
}

function percentiles(record: CsvRecord, prefix: string, keys: readonly string[]): Distribution | undefined {
  const points: Record<string, number> = {};
  for (const k of keys) {
    const v = Number(record[`${prefix}${k}`]);
    if (record[`${prefix}${k}`] !== undefined && record[`${prefix}${k}`] !== '' && Number.isFinite(v) && v >= 0) points[k] = v;
  }
  try {
    return validateDistribution({ kind: 'empirical', percentiles: points });
  } catch {
    return undefined;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
