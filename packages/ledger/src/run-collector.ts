import { BillingAccumulator, NO_ZONE_KEY, OTHER_KEY, type BillingState } from './billing-accumulator.js';
import { LedgerStateError } from './errors.js';
import { InFlightCounter, type InFlightState } from './in-flight.js';
import { LatencyRecorder, type LatencyState } from './latency.js';
import type { LedgerLogger } from './logger.js';
import type { PriceTable } from './prices.js';
import { LedgerOutcome, attemptRan, type LedgerRecord } from './record.js';
import { stateArray, stateNumber, stateNumberOrNull, stateObject, statePairs, stateString } from './state-codec.js';
import { TimeSeries, type SecondPoint } from './time-series.js';

/** Attempts of a run, a function or a zone, by what happened to them. */
export interface AttemptCounts {
  /** Every attempt (ledger record). */
  attempts: number;
  /** First attempts (`attempt === 1`): the invocations asked for. */
  invocations: number;
  byOutcome: Record<LedgerOutcome, number>;
  /** Attempts that ran INIT (`cold` and the attempt ran). */
  coldStarts: number;
  /** Attempts past the first (`attempt > 1`). */
  retries: number;
  /** Deliveries flagged `duplicate`. */
  duplicates: number;
}

/** One closed second, as the collector hands it on (zone counts by column index). */
export interface SecondRow {
  /** Start of the second, epoch ms. */
  t: number;
  invocations: number;
  successes: number;
  functionErrors: number;
  serviceErrors: number;
  throttles: number;
  coldStarts: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** What the attempts that ended up to the end of this second were charged (no provisioned-concurrency allocation). */
  invocationCostUsd: number;
  /** Attempts that ended in this second per zone column (see {@link RunCollector.zoneColumns}). */
  zones: number[];
}

/** Settings of a {@link RunCollector}. */
export interface RunCollectorOptions {
  prices: PriceTable;
  freeTier: boolean;
  /** How long after a second ends it stays open for records that arrive out of order (ms). */
  lateGraceMs: number;
  /** Zones given a throughput column of their own; the rest share `(other)`. */
  maxZoneColumns: number;
  /** Longest span (seconds) over which in-flight attempts are counted. */
  maxInFlightSpanSeconds: number;
  /** Distinct functions and zones counted apart. @default 10_000 (as the billing and latency bounds) */
  maxKeys?: number;
}

/**
 * A finished {@link RunCollector} as JSON, from {@link RunCollector.exportState}: the run's exact
 * aggregate (counts, histograms, bill, in-flight deltas). With the per-second rows it streamed, it
 * is everything a report needs, so a ledger that keeps only a sample of its records (or none)
 * still reports exact totals. The prices are kept apart (the caller saves the table it used).
 */
export interface RunCollectorState {
  options: { freeTier: boolean; lateGraceMs: number; maxZoneColumns: number; maxInFlightSpanSeconds: number; maxKeys: number };
  run: AttemptCounts;
  byInvocationType: Array<[string, number]>;
  byFunction: Array<[string, AttemptCounts]>;
  byZone: Array<[string, AttemptCounts]>;
  /** Null when nothing was seen. */
  firstReceivedAt: number | null;
  lastRespondedAt: number | null;
  /** Seconds handed to `onSecond`. */
  seconds: number;
  /** Records for a second already closed (in every total, not in the per-second rows). */
  late: number;
  /** Seconds before this (epoch ms) are closed; null when none was. */
  closedBefore: number | null;
  /** Zone column names, and which column each zone seen counts in (folded zones share `(other)`). */
  zoneColumns: string[];
  zoneIndex: Array<[string, number]>;
  billing: BillingState;
  latency: LatencyState;
  inFlight: InFlightState;
}

const OUTCOMES = Object.values(LedgerOutcome);
const SECOND = 1000;

/** An all-zero {@link AttemptCounts}. */
export function emptyCounts(): AttemptCounts {
  return {
    attempts: 0,
    invocations: 0,
    byOutcome: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<LedgerOutcome, number>,
    coldStarts: 0,
    retries: 0,
    duplicates: 0,
  };
}

interface PendingSecond {
  costUsd: number;
  zones: Map<number, number>;
}

/**
 * Everything a report needs from one pass over the ledger, in bounded memory: billing
 * ({@link BillingAccumulator}), latency histograms ({@link LatencyRecorder}), per-second counters
 * ({@link TimeSeries} in `records` mode) joined with per-zone throughput and the cost so far, and
 * counts by outcome, invocation type, function and zone. Each closed second goes to `onSecond`
 * at once (to be streamed to disk); nothing per record is kept.
 *
 * Two users: the report folds a ledger's records into one; a ledger at detail `sampled` or
 * `aggregate` folds every record into one as it is recorded ({@link RunAggregator}) and saves its
 * state, so that the report over records no longer on disk is the same.
 */
export class RunCollector {
  readonly billing: BillingAccumulator;
  readonly latency: LatencyRecorder;
  readonly timeSeries: TimeSeries;
  readonly inFlight: InFlightCounter;
  readonly run = emptyCounts();
  readonly byInvocationType: Record<string, number> = {};
  readonly byFunction = new Map<string, AttemptCounts>();
  readonly byZone = new Map<string, AttemptCounts>();
  /** Earliest `receivedAt` and latest `respondedAt` seen (epoch ms). */
  firstReceivedAt = Infinity;
  lastRespondedAt = -Infinity;
  /** Seconds handed to `onSecond`. */
  seconds = 0;
  readonly #options: RunCollectorOptions;
  readonly #maxKeys: number;
  readonly #onSecond: (row: SecondRow) => void;
  readonly #zoneIndex = new Map<string, number>();
  readonly #zoneNames: string[] = [];
  readonly #pending = new Map<number, PendingSecond>();
  /** Seconds before this were closed by the time series. */
  #closedBefore = -Infinity;
  /** Late records counted before a restore (see {@link RunCollector.fromState}). */
  #lateBefore = 0;

  constructor(options: RunCollectorOptions, components: { onSecond: (row: SecondRow) => void; logger?: LedgerLogger }) {
    this.#options = options;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#onSecond = components.onSecond;
    const logger = components.logger;
    this.billing = new BillingAccumulator({ prices: options.prices, freeTier: options.freeTier }, { ...(logger && { logger }) });
    this.latency = new LatencyRecorder({}, { ...(logger && { logger }) });
    this.timeSeries = new TimeSeries(
      { timeSource: 'records', lateGraceMs: options.lateGraceMs },
      { ...(logger && { logger }), onSecond: (point) => this.#closeSecond(point) },
    );
    this.inFlight = new InFlightCounter({ maxSpanSeconds: options.maxInFlightSpanSeconds });
  }

  /** Zone names of the throughput columns, in the order of {@link SecondRow.zones}. */
  get zoneColumns(): readonly string[] {
    return this.#zoneNames;
  }

  /** Counts one attempt everywhere. */
  add(record: LedgerRecord): void {
    const charge = this.billing.add(record);
    this.latency.record(record);
    this.#count(record);
    this.inFlight.add(record.receivedAt, record.respondedAt);
    if (record.receivedAt < this.firstReceivedAt) this.firstReceivedAt = record.receivedAt;
    if (record.respondedAt > this.lastRespondedAt) this.lastRespondedAt = record.respondedAt;
    // Per-zone throughput and cost are kept per open second beside the time series, which may
    // close seconds while recording this one: so they are in place before it is recorded.
    const second = Math.floor(record.respondedAt / SECOND) * SECOND;
    if (second >= this.#closedBefore) {
      let p = this.#pending.get(second);
      if (!p) this.#pending.set(second, (p = { costUsd: 0, zones: new Map() }));
      p.costUsd += charge.totalUsd;
      const column = this.#zoneColumn(record.zone ?? NO_ZONE_KEY);
      p.zones.set(column, (p.zones.get(column) ?? 0) + 1);
    }
    this.timeSeries.record(record);
  }

  /** Records for a second the time series had already closed: in every total, not in the per-second rows. */
  get late(): number {
    return this.#lateBefore + this.timeSeries.stats.late;
  }

  /** Closes every open second (end of the ledger). Records may still be added after (later seconds). */
  finish(): void {
    this.timeSeries.close();
  }

  /**
   * The whole state as JSON, after {@link finish} (no second is open then). A collector built by
   * {@link RunCollector.fromState} from it goes on exactly where this one stopped.
   */
  exportState(): RunCollectorState {
    if (this.#pending.size > 0) throw new Error('RunCollector.exportState: call finish() first (seconds are still open)');
    const o = this.#options;
    return {
      options: { freeTier: o.freeTier, lateGraceMs: o.lateGraceMs, maxZoneColumns: o.maxZoneColumns, maxInFlightSpanSeconds: o.maxInFlightSpanSeconds, maxKeys: this.#maxKeys },
      run: cloneCounts(this.run),
      byInvocationType: Object.entries(this.byInvocationType),
      byFunction: [...this.byFunction].map(([k, c]) => [k, cloneCounts(c)]),
      byZone: [...this.byZone].map(([k, c]) => [k, cloneCounts(c)]),
      firstReceivedAt: Number.isFinite(this.firstReceivedAt) ? this.firstReceivedAt : null,
      lastRespondedAt: Number.isFinite(this.lastRespondedAt) ? this.lastRespondedAt : null,
      seconds: this.seconds,
      late: this.late,
      closedBefore: Number.isFinite(this.#closedBefore) ? this.#closedBefore : null,
      zoneColumns: [...this.#zoneNames],
      zoneIndex: [...this.#zoneIndex],
      billing: this.billing.exportState(),
      latency: this.latency.exportState(),
      inFlight: this.inFlight.exportState(),
    };
  }

  /**
   * A collector that goes on from a saved state (its options are the saved ones; `prices` must be
   * the table the state was priced with). Throws a {@link LedgerStateError} naming the bad field.
   */
  static fromState(state: unknown, options: { prices: PriceTable }, components: { onSecond: (row: SecondRow) => void; logger?: LedgerLogger }, path = ''): RunCollector {
    const s = stateObject(state, path || '/');
    const o = stateObject(s.options, `${path}/options`);
    if (typeof o.freeTier !== 'boolean') throw new LedgerStateError('must be a boolean', { field: `${path}/options/freeTier` });
    const int = (v: unknown, p: string, min: number) => stateNumber(v, p, { integer: true, min });
    const c = new RunCollector(
      {
        prices: options.prices,
        freeTier: o.freeTier,
        lateGraceMs: int(o.lateGraceMs, `${path}/options/lateGraceMs`, 0),
        maxZoneColumns: int(o.maxZoneColumns, `${path}/options/maxZoneColumns`, 1),
        maxInFlightSpanSeconds: int(o.maxInFlightSpanSeconds, `${path}/options/maxInFlightSpanSeconds`, 1),
        maxKeys: int(o.maxKeys, `${path}/options/maxKeys`, 1),
      },
      components,
    );
    Object.assign(c.run, importCounts(s.run, `${path}/run`));
    for (const [k, n] of statePairs(s.byInvocationType, `${path}/byInvocationType`)) c.byInvocationType[k] = int(n, `${path}/byInvocationType/${k}`, 0);
    for (const [k, v] of statePairs(s.byFunction, `${path}/byFunction`)) c.byFunction.set(k, importCounts(v, `${path}/byFunction/${k}`));
    for (const [k, v] of statePairs(s.byZone, `${path}/byZone`)) c.byZone.set(k, importCounts(v, `${path}/byZone/${k}`));
    c.firstReceivedAt = stateNumberOrNull(s.firstReceivedAt, `${path}/firstReceivedAt`) ?? Infinity;
    c.lastRespondedAt = stateNumberOrNull(s.lastRespondedAt, `${path}/lastRespondedAt`) ?? -Infinity;
    c.seconds = int(s.seconds, `${path}/seconds`, 0);
    c.#lateBefore = int(s.late, `${path}/late`, 0);
    const closedBefore = stateNumberOrNull(s.closedBefore, `${path}/closedBefore`);
    if (closedBefore !== null) {
      c.#closedBefore = closedBefore;
      c.timeSeries.resumeAt(closedBefore);
    }
    stateArray(s.zoneColumns, `${path}/zoneColumns`).forEach((z, i) => c.#zoneNames.push(stateString(z, `${path}/zoneColumns/${i}`)));
    for (const [k, v] of statePairs(s.zoneIndex, `${path}/zoneIndex`)) {
      const column = int(v, `${path}/zoneIndex/${k}`, 0);
      if (column >= c.#zoneNames.length) throw new LedgerStateError(`names column ${column} of ${c.#zoneNames.length}`, { field: `${path}/zoneIndex/${k}` });
      c.#zoneIndex.set(k, column);
    }
    c.billing.importState(s.billing, `${path}/billing`);
    c.latency.importState(s.latency, `${path}/latency`);
    c.inFlight.importState(s.inFlight, `${path}/inFlight`);
    return c;
  }

  #closeSecond(point: SecondPoint): void {
    const own = this.#pending.get(point.t);
    // Drop this second and any the time series skipped (their records were late for it too).
    for (const k of this.#pending.keys()) if (k <= point.t) this.#pending.delete(k);
    this.#closedBefore = point.t + SECOND;
    let laterUsd = 0;
    for (const p of this.#pending.values()) laterUsd += p.costUsd;
    const zones = new Array<number>(this.#zoneNames.length).fill(0);
    for (const [column, n] of own?.zones ?? []) zones[column] = n;
    this.seconds++;
    this.#onSecond({
      t: point.t,
      invocations: point.invocations,
      successes: point.successes,
      functionErrors: point.functionErrors,
      serviceErrors: point.serviceErrors,
      throttles: point.throttles,
      coldStarts: point.coldStarts,
      p50Ms: point.p50Ms,
      p99Ms: point.p99Ms,
      invocationCostUsd: Math.max(0, this.billing.totalUsd() - laterUsd),
      zones,
    });
  }

  #zoneColumn(zone: string): number {
    let i = this.#zoneIndex.get(zone);
    if (i !== undefined) return i;
    const key = this.#zoneNames.length < this.#options.maxZoneColumns ? zone : OTHER_KEY;
    i = this.#zoneIndex.get(key);
    if (i === undefined) {
      i = this.#zoneNames.length;
      this.#zoneNames.push(key);
    }
    this.#zoneIndex.set(key, i);
    // Later records of a folded zone find their column at once.
    if (key !== zone && this.#zoneIndex.size < this.#maxKeys) this.#zoneIndex.set(zone, i);
    return i;
  }

  #count(record: LedgerRecord): void {
    this.byInvocationType[record.invocationType] = (this.byInvocationType[record.invocationType] ?? 0) + 1;
    const fn = group(this.byFunction, record.functionName, this.#maxKeys);
    const zone = group(this.byZone, record.zone ?? NO_ZONE_KEY, this.#maxKeys);
    const cold = record.cold === true && attemptRan(record);
    for (const c of [this.run, fn, zone]) {
      c.attempts++;
      if (record.attempt === 1) c.invocations++;
      c.byOutcome[record.outcome]++;
      if (cold) c.coldStarts++;
      if (record.attempt > 1) c.retries++;
      if (record.duplicate === true) c.duplicates++;
    }
  }
}

function cloneCounts(c: AttemptCounts): AttemptCounts {
  return { ...c, byOutcome: { ...c.byOutcome } };
}

function importCounts(value: unknown, path: string): AttemptCounts {
  const s = stateObject(value, path);
  const int = (v: unknown, p: string) => stateNumber(v, p, { integer: true, min: 0 });
  const c = emptyCounts();
  for (const k of ['attempts', 'invocations', 'coldStarts', 'retries', 'duplicates'] as const) c[k] = int(s[k], `${path}/${k}`);
  const by = stateObject(s.byOutcome, `${path}/byOutcome`);
  for (const o of OUTCOMES) c.byOutcome[o] = int(by[o] ?? 0, `${path}/byOutcome/${o}`);
  return c;
}

function group(map: Map<string, AttemptCounts>, key: string, maxKeys: number): AttemptCounts {
  let c = map.get(key);
  if (c) return c;
  const k = map.size >= maxKeys ? OTHER_KEY : key;
  c = map.get(k);
  if (!c) map.set(k, (c = emptyCounts()));
  return c;
}
