import {
  BillingAccumulator,
  LatencyRecorder,
  LedgerOutcome,
  NO_ZONE_KEY,
  OTHER_KEY,
  TimeSeries,
  attemptRan,
  type LedgerLogger,
  type LedgerRecord,
  type PriceTable,
  type SecondPoint,
} from '@zonesim/ledger';
import { InFlightCounter } from './in-flight.js';

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
  lateGraceMs: number;
  maxZoneColumns: number;
  maxInFlightSpanSeconds: number;
  /** Distinct functions and zones counted apart. @default 10_000 (as the billing and latency bounds) */
  maxKeys?: number;
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

  /** Closes every open second (end of the ledger). */
  finish(): void {
    this.timeSeries.close();
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

function group(map: Map<string, AttemptCounts>, key: string, maxKeys: number): AttemptCounts {
  let c = map.get(key);
  if (c) return c;
  const k = map.size >= maxKeys ? OTHER_KEY : key;
  c = map.get(k);
  if (!c) map.set(k, (c = emptyCounts()));
  return c;
}
