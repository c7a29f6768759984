import * as hdr from 'hdr-histogram-js';
import { LedgerOptionsError, LedgerStateError } from './errors.js';
import { countAtPercentile } from './hdr-percentile.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import { LedgerOutcome, type LedgerRecord } from './record.js';
import { stateArray, stateNumber, stateObject, stateString } from './state-codec.js';

/** The phases of one attempt whose latency is kept. */
export const LatencyPhase = {
  /** Waiting before dispatch: `dispatchedAt - (queuedAt ?? receivedAt)`. */
  QueueWait: 'queueWait',
  /** INIT (cold starts only): `initMs`, or `initEndAt - initStartAt`. */
  Init: 'init',
  /** The handler: `durationMs`, or `execEndAt - execStartAt`. */
  Execution: 'execution',
  /** The rest of end to end: `endToEnd - queueWait - init - execution` (routing, links, zone-node work). */
  PlatformOverhead: 'platformOverhead',
  /** `respondedAt - receivedAt`. */
  EndToEnd: 'endToEnd',
} as const;
/** One of {@link LatencyPhase}. */
export type LatencyPhase = (typeof LatencyPhase)[keyof typeof LatencyPhase];
const PHASES = Object.values(LatencyPhase);

/**
 * The phase latencies of one attempt in milliseconds; a phase is absent when its timestamps are.
 * The four parts add up to `endToEnd`, so `platformOverhead` excludes queue wait (the issue's
 * "end to end minus init minus execution" would count an async event's time in the queue twice,
 * once as queue wait and once as overhead). Negative spans from clock skew are clamped to 0.
 */
export function latencyPhases(record: LedgerRecord): Partial<Record<LatencyPhase, number>> {
  const out: Partial<Record<LatencyPhase, number>> = {};
  const endToEnd = Math.max(0, record.respondedAt - record.receivedAt);
  out.endToEnd = endToEnd;
  if (record.dispatchedAt !== undefined) out.queueWait = Math.max(0, record.dispatchedAt - (record.queuedAt ?? record.receivedAt));
  const init = record.initMs ?? (record.initStartAt !== undefined && record.initEndAt !== undefined ? record.initEndAt - record.initStartAt : undefined);
  if (init !== undefined) out.init = Math.max(0, init);
  const execution = record.durationMs ?? (record.execStartAt !== undefined && record.execEndAt !== undefined ? record.execEndAt - record.execStartAt : undefined);
  if (execution !== undefined) {
    out.execution = Math.max(0, execution);
    out.platformOverhead = Math.max(0, endToEnd - (out.queueWait ?? 0) - (out.init ?? 0) - out.execution);
  }
  return out;
}

/** @default 10,000 function x zone pairs */
export const DEFAULT_LATENCY_MAX_KEYS = 10_000;
/** The function and zone of pairs past the bound. */
export const LATENCY_OTHER_KEY = '(other)';
/** The zone of attempts that never reached one. */
export const LATENCY_NO_ZONE = '(none)';

/** Settings of a {@link LatencyRecorder}. */
export interface LatencyRecorderOptions {
  /** Function x zone pairs kept apart; later pairs fold into `(other)` x `(other)`. @default 10_000 */
  maxKeys?: number;
  /** HDR precision: 3 keeps values within 0.1%. @default 3 */
  significantDigits?: 1 | 2 | 3 | 4 | 5;
  /** Outcomes whose latency is recorded (a throttle's few-ms reply would drag a function's p50 down). @default success and function-error */
  outcomes?: readonly LedgerOutcome[];
}

/** {@link LatencyRecorderOptions} with defaults filled in. */
export interface ResolvedLatencyRecorderOptions {
  maxKeys: number;
  significantDigits: 1 | 2 | 3 | 4 | 5;
  outcomes: ReadonlySet<LedgerOutcome>;
}

/** Fills defaults and validates; throws a {@link LedgerOptionsError} naming the field. */
export function resolveLatencyRecorderOptions(options: LatencyRecorderOptions = {}): ResolvedLatencyRecorderOptions {
  const maxKeys = options.maxKeys ?? DEFAULT_LATENCY_MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new LedgerOptionsError('maxKeys', `must be an integer >= 1, got ${String(maxKeys)}`);
  const significantDigits = options.significantDigits ?? 3;
  if (![1, 2, 3, 4, 5].includes(significantDigits)) throw new LedgerOptionsError('significantDigits', `must be 1 to 5, got ${String(significantDigits)}`);
  const outcomes = new Set(options.outcomes ?? [LedgerOutcome.Success, LedgerOutcome.FunctionError]);
  for (const o of outcomes) {
    if (!(Object.values(LedgerOutcome) as string[]).includes(o)) throw new LedgerOptionsError('outcomes', `unknown outcome ${String(o)}`);
  }
  return { maxKeys, significantDigits, outcomes };
}

/** Latency statistics in milliseconds (HDR: within 10^-significantDigits of the true value). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Histograms record integer microseconds: Lambda durations have sub-ms resolution (REPORT shows 2 decimals). */
export const MICROS_PER_MS = 1000;

/** Builds an empty histogram: pure JS ("packed" counts: memory grows with distinct values, not range). */
export function newLatencyHistogram(significantDigits: 1 | 2 | 3 | 4 | 5 = 3): hdr.Histogram {
  return hdr.build({ bitBucketSize: 'packed', numberOfSignificantValueDigits: significantDigits, autoResize: true, useWebAssembly: false });
}

/** Records one latency in ms into a histogram (as microseconds). */
export function recordMs(histogram: hdr.Histogram, ms: number): void {
  histogram.recordValue(Math.max(0, Math.round(ms * MICROS_PER_MS)));
}

/** What the JavaScript histograms (`useWebAssembly: false`, every one here) expose besides the `Histogram` interface. */
interface JsHistogramWalk {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  lowestEquivalentValue(value: number): number;
  highestEquivalentValue(value: number): number;
  medianEquivalentValue(value: number): number;
}

const SUMMARY_PERCENTILES = [50, 90, 99, 99.9] as const;

/**
 * Summarizes a histogram in ms; undefined when it is empty. One walk over the counts gives the
 * minimum, mean and every percentile exactly as HDR's own getters do (their operands, in their
 * order), where calling those getters walks a packed array six times (profiled: ~10 % of a short
 * virtual run went to the report's summaries).
 */
export function summarizeHistogram(h: hdr.Histogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  const walk = h as unknown as Partial<JsHistogramWalk>;
  if (typeof walk.getCountAtIndex !== 'function' || typeof walk.countsArrayLength !== 'number') return summarizeByGetters(h);
  const j = walk as JsHistogramWalk;
  const ms = (us: number) => us / MICROS_PER_MS;
  const total = h.totalCount;
  const targets = SUMMARY_PERCENTILES.map((p) => countAtPercentile(p, total));
  const at: number[] = SUMMARY_PERCENTILES.map(() => 0);
  let next = 0;
  let first: number | undefined;
  let cumulative = 0;
  let totalValue = 0;
  for (let i = 0; i < j.countsArrayLength && cumulative < total; i++) {
    const count = j.getCountAtIndex(i);
    if (count === 0) continue;
    const value = j.valueFromIndex(i);
    const highest = j.highestEquivalentValue(value);
    first ??= j.lowestEquivalentValue(value);
    totalValue += j.medianEquivalentValue(highest) * count;
    cumulative += count;
    while (next < targets.length && cumulative >= targets[next]!) at[next++] = highest;
  }
  return {
    count: total,
    // minNonZeroValue is MAX_SAFE_INTEGER when every value recorded was 0.
    min: (first ?? 0) === 0 ? 0 : ms(h.minNonZeroValue),
    mean: ms(totalValue / total),
    p50: ms(at[0]!),
    p90: ms(at[1]!),
    p99: ms(at[2]!),
    p999: ms(at[3]!),
    max: ms(h.maxValue),
  };
}

/** {@link summarizeHistogram} through HDR's getters (a histogram that is not the JavaScript one). */
export function summarizeByGetters(h: hdr.Histogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  const ms = (us: number) => us / MICROS_PER_MS;
  return {
    count: h.totalCount,
    // minNonZeroValue is MAX_SAFE_INTEGER when every value recorded was 0.
    min: h.getValueAtPercentile(0) === 0 ? 0 : ms(h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/** A histogram as saved: HDR's compressed V2 encoding plus its exact min and max (decoding rounds them to bucket edges). */
export interface HistogramState {
  encoded: string;
  max: number;
  minNonZero: number;
}

/** Saves a histogram ({@link importHistogram} reads it back with the same counts, min and max). */
export function exportHistogram(h: hdr.Histogram): HistogramState {
  return { encoded: hdr.encodeIntoCompressedBase64(h), max: h.maxValue, minNonZero: h.minNonZeroValue };
}

/** Reads a saved histogram; throws a {@link LedgerStateError} naming `path` when it is not one. */
export function importHistogram(state: unknown, path: string, significantDigits: number): hdr.Histogram {
  const s = stateObject(state, path);
  let h: hdr.Histogram;
  try {
    h = hdr.decodeFromCompressedBase64(stateString(s.encoded, `${path}/encoded`), 'packed', false);
  } catch (err) {
    if (err instanceof LedgerStateError) throw err;
    throw new LedgerStateError('is not an HDR histogram', { field: `${path}/encoded`, cause: err });
  }
  if (h.numberOfSignificantValueDigits !== significantDigits) {
    throw new LedgerStateError(`has ${h.numberOfSignificantValueDigits} significant digits, expected ${significantDigits}`, { field: `${path}/encoded` });
  }
  const mutable = h as hdr.Histogram & { autoResize: boolean; maxValue: number; minNonZeroValue: number };
  mutable.autoResize = true;
  mutable.maxValue = stateNumber(s.max, `${path}/max`, { min: 0 });
  mutable.minNonZeroValue = stateNumber(s.minNonZero, `${path}/minNonZero`, { min: 0 });
  return h;
}

/** Everything a {@link LatencyRecorder} holds, as JSON (see {@link LatencyRecorder.exportState}). */
export interface LatencyState {
  stats: { recorded: number; skipped: number; folded: number };
  entries: Array<{ functionName: string; zone: string; histograms: Partial<Record<LatencyPhase, HistogramState>> }>;
}

interface Entry {
  functionName: string;
  zone: string;
  histograms: Partial<Record<LatencyPhase, hdr.Histogram>>;
}

/** Counters of a recorder. */
export interface LatencyRecorderStats {
  /** Attempts recorded. */
  recorded: number;
  /** Attempts skipped for their outcome. */
  skipped: number;
  /** Attempts recorded under `(other)` because the key bound was reached. */
  folded: number;
  /** Function x zone pairs held. */
  keys: number;
}

/**
 * Latency per function x zone x phase in HDR histograms (hdr-histogram-js, pure JS). Memory is
 * bounded by `maxKeys` pairs of five histograms each; a histogram is a few hundred bytes empty
 * and some 10-15 KB when its values spread over six decades.
 */
export class LatencyRecorder {
  readonly options: ResolvedLatencyRecorderOptions;
  readonly #logger: LedgerLogger;
  readonly #entries = new Map<string, Entry>();
  #stats = { recorded: 0, skipped: 0, folded: 0 };

  constructor(options: LatencyRecorderOptions = {}, components: { logger?: LedgerLogger } = {}) {
    this.options = resolveLatencyRecorderOptions(options);
    this.#logger = components.logger ?? noopLogger;
  }

  get stats(): LatencyRecorderStats {
    return { ...this.#stats, keys: this.#entries.size };
  }

  /** Records the phases of one attempt; returns false when its outcome is not recorded. */
  record(record: LedgerRecord): boolean {
    if (!this.options.outcomes.has(record.outcome)) {
      this.#stats.skipped++;
      return false;
    }
    const entry = this.#entry(record.functionName, record.zone ?? LATENCY_NO_ZONE);
    const phases = latencyPhases(record);
    for (const phase of PHASES) {
      const value = phases[phase];
      if (value === undefined) continue;
      recordMs((entry.histograms[phase] ??= newLatencyHistogram(this.options.significantDigits)), value);
    }
    this.#stats.recorded++;
    return true;
  }

  /**
   * Statistics of one phase over the pairs that match: give `functionName` and/or `zone` to narrow,
   * neither for the whole run. Undefined when nothing was recorded.
   */
  summary(query: { phase: LatencyPhase; functionName?: string; zone?: string }): LatencySummary | undefined {
    const h = this.#histogram(query);
    return h && summarizeHistogram(h);
  }

  /** One percentile (0-100) of one phase, in ms; undefined when nothing was recorded. */
  percentile(query: { phase: LatencyPhase; functionName?: string; zone?: string }, percentile: number): number | undefined {
    const h = this.#histogram(query);
    return h && h.totalCount > 0 ? h.getValueAtPercentile(percentile) / MICROS_PER_MS : undefined;
  }

  /** The function x zone pairs held. */
  keys(): { functionName: string; zone: string }[] {
    return [...this.#entries.values()].map(({ functionName, zone }) => ({ functionName, zone }));
  }

  /** Every pair and phase with its summary (for reports). */
  snapshot(): { functionName: string; zone: string; phase: LatencyPhase; summary: LatencySummary }[] {
    const out: { functionName: string; zone: string; phase: LatencyPhase; summary: LatencySummary }[] = [];
    for (const e of this.#entries.values()) {
      for (const phase of PHASES) {
        const h = e.histograms[phase];
        const summary = h && summarizeHistogram(h);
        if (summary) out.push({ functionName: e.functionName, zone: e.zone, phase, summary });
      }
    }
    return out;
  }

  /** The whole state, for {@link importState}: every histogram, exactly (counts, min, max). */
  exportState(): LatencyState {
    return {
      stats: { ...this.#stats },
      entries: [...this.#entries.values()].map((e) => {
        const histograms: Partial<Record<LatencyPhase, HistogramState>> = {};
        for (const phase of PHASES) {
          const h = e.histograms[phase];
          if (h) histograms[phase] = exportHistogram(h);
        }
        return { functionName: e.functionName, zone: e.zone, histograms };
      }),
    };
  }

  /**
   * Replaces this recorder's histograms with a saved state (from a recorder with the same options).
   * Only on a recorder that has seen nothing; throws a {@link LedgerStateError} naming the bad field.
   */
  importState(state: unknown, path = ''): void {
    if (this.#stats.recorded > 0 || this.#stats.skipped > 0) throw new LedgerStateError('importState needs a recorder that has seen nothing', { field: path || '/' });
    const s = stateObject(state, path || '/');
    const stats = stateObject(s.stats, `${path}/stats`);
    const count = (k: 'recorded' | 'skipped' | 'folded') => stateNumber(stats[k], `${path}/stats/${k}`, { integer: true, min: 0 });
    const entries = new Map<string, Entry>();
    stateArray(s.entries, `${path}/entries`).forEach((value, i) => {
      const p = `${path}/entries/${i}`;
      const e = stateObject(value, p);
      const entry: Entry = { functionName: stateString(e.functionName, `${p}/functionName`), zone: stateString(e.zone, `${p}/zone`), histograms: {} };
      const hs = stateObject(e.histograms, `${p}/histograms`);
      for (const phase of PHASES) {
        if (hs[phase] !== undefined) entry.histograms[phase] = importHistogram(hs[phase], `${p}/histograms/${phase}`, this.options.significantDigits);
      }
      entries.set(key(entry.functionName, entry.zone), entry);
    });
    this.#stats = { recorded: count('recorded'), skipped: count('skipped'), folded: count('folded') };
    this.#entries.clear();
    for (const [k, e] of entries) this.#entries.set(k, e);
  }

  // One pair's own histogram, or a merged copy over the matching pairs.
  #histogram(query: { phase: LatencyPhase; functionName?: string; zone?: string }): hdr.Histogram | undefined {
    if (query.functionName !== undefined && query.zone !== undefined) {
      const h = this.#entries.get(key(query.functionName, query.zone))?.histograms[query.phase];
      return h && h.totalCount > 0 ? h : undefined;
    }
    let merged: hdr.Histogram | undefined;
    for (const e of this.#entries.values()) {
      if (query.functionName !== undefined && e.functionName !== query.functionName) continue;
      if (query.zone !== undefined && e.zone !== query.zone) continue;
      const h = e.histograms[query.phase];
      if (!h || h.totalCount === 0) continue;
      merged ??= newLatencyHistogram(this.options.significantDigits);
      merged.add(h);
    }
    return merged;
  }

  #entry(functionName: string, zone: string): Entry {
    const k = key(functionName, zone);
    let entry = this.#entries.get(k);
    if (entry) return entry;
    if (this.#entries.size >= this.options.maxKeys) {
      this.#stats.folded++;
      const other = key(LATENCY_OTHER_KEY, LATENCY_OTHER_KEY);
      entry = this.#entries.get(other);
      if (!entry) {
        this.#logger.warn({ maxKeys: this.options.maxKeys, functionName, zone }, `latency: more than maxKeys function x zone pairs; the rest are folded into ${LATENCY_OTHER_KEY}`);
        this.#entries.set(other, (entry = { functionName: LATENCY_OTHER_KEY, zone: LATENCY_OTHER_KEY, histograms: {} }));
      }
      return entry;
    }
    this.#entries.set(k, (entry = { functionName, zone, histograms: {} }));
    return entry;
  }
}

function key(functionName: string, zone: string): string {
  return `${functionName}\u0000${zone}`;
}
