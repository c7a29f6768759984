import {
  allocationUnits,
  attemptCharge,
  billedDurationMs,
  compilePrices,
  gbSecondsToMbMs,
  isInitBilled,
  ladderUnits,
  mbMsToGbSeconds,
  unitsToUsd,
  type CompiledPrices,
  type ProvisionedConcurrencyAllocation,
  type ProvisionedConcurrencyCost,
} from './billing.js';
import { LedgerOptionsError, LedgerStateError } from './errors.js';
import { noopLogger, type LedgerLogger } from './logger.js';
import { defaultPriceTable, type Architecture, type PriceTable } from './prices.js';
import { LedgerOutcome, type LedgerRecord } from './record.js';
import { exportFields, importFields, stateBigint, stateNumber, stateObject, statePairs, stateArray, stateString, type FieldsState } from './state-codec.js';

/** Default bound on distinct functions, zones and fault ids kept apart; the rest fold into {@link OTHER_KEY}. */
export const DEFAULT_BILLING_MAX_KEYS = 10_000;
/** The key that absorbs functions, zones or faults past the bound. */
export const OTHER_KEY = '(other)';
/** The zone key of attempts that never reached a zone (throttled or refused before placement). */
export const NO_ZONE_KEY = '(none)';

/** Usage earlier in the same billing month: it counts toward duration tiers and uses up the free tier. */
export interface PriorUsage {
  requests?: number;
  /** On-demand duration GB-s per architecture. */
  gbSeconds?: Partial<Record<Architecture, number>>;
}

/** Settings of a {@link BillingAccumulator}. */
export interface BillingOptions {
  /** Prices to apply. @default defaultPriceTable() (us-east-1) */
  prices?: PriceTable;
  /** Apply the monthly free tier (1 M requests + 400,000 GB-s, x86_64 and arm64 combined, not PC). @default false */
  freeTier?: boolean;
  /** Usage already in the month before this run. @default nothing */
  priorUsage?: PriorUsage;
  /** Distinct functions, zones and fault ids each kept apart before folding into `(other)`. @default 10_000 */
  maxKeys?: number;
}

/** {@link BillingOptions} with every default filled in. */
export interface ResolvedBillingOptions {
  prices: PriceTable;
  freeTier: boolean;
  priorUsage: { requests: number; gbSeconds: Record<Architecture, number> };
  maxKeys: number;
}

function nonNegative(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new LedgerOptionsError(field, `must be a finite number >= 0, got ${String(value)}`);
  return value;
}

/** Fills defaults and validates; throws a {@link LedgerOptionsError} naming the field. */
export function resolveBillingOptions(options: BillingOptions = {}): ResolvedBillingOptions {
  const maxKeys = options.maxKeys ?? DEFAULT_BILLING_MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new LedgerOptionsError('maxKeys', `must be an integer >= 1, got ${String(maxKeys)}`);
  const requests = nonNegative(options.priorUsage?.requests, 'priorUsage.requests');
  if (!Number.isInteger(requests)) throw new LedgerOptionsError('priorUsage.requests', `must be an integer, got ${requests}`);
  return {
    prices: options.prices ?? defaultPriceTable(),
    freeTier: options.freeTier ?? false,
    priorUsage: {
      requests,
      gbSeconds: {
        x86_64: nonNegative(options.priorUsage?.gbSeconds?.x86_64, 'priorUsage.gbSeconds.x86_64'),
        arm64: nonNegative(options.priorUsage?.gbSeconds?.arm64, 'priorUsage.gbSeconds.arm64'),
      },
    },
    maxKeys,
  };
}

/** Dollars per billing component. */
export interface CostBreakdown {
  requests: number;
  /** On-demand duration (tiered). */
  duration: number;
  /** Duration of invocations that ran on provisioned-concurrency environments. */
  provisionedDuration: number;
  /** The allocation charge of provisioned concurrency. */
  provisionedConcurrency: number;
  /** Ephemeral storage above 512 MB. */
  ephemeralStorage: number;
  total: number;
}

/** Totals of a run, a function or a zone. */
export interface BillingTotals {
  /** Every attempt seen, billed or not. */
  attempts: number;
  /** Attempts that ran and so were charged a request (before the free tier). */
  requests: number;
  throttles: number;
  coldStarts: number;
  /** Sum of the attempts' billed durations. */
  billedMs: number;
  /** Memory x billed duration of invocations (on-demand and on PC). */
  gbSeconds: number;
  /** count x memory x billed time of provisioned-concurrency allocations. */
  provisionedGbSeconds: number;
  /** What the free tier covered (zero unless the option is on). */
  freeTier: { requests: number; gbSeconds: number; savedUsd: number };
  usd: CostBreakdown;
}

/** What one fault window cost: attempts received while it was active, by kind. */
export interface FaultCost {
  faultId: string;
  attempts: number;
  throttles: number;
  /** Attempts past the first (`attempt > 1`), priced in full. */
  retries: { count: number; usd: number };
  /** Deliveries flagged `duplicate`, priced in full. */
  duplicates: { count: number; usd: number };
  /** Cold starts, priced by the billed INIT share of their duration. */
  coldStarts: { count: number; initBilledMs: number; usd: number };
  /** Each attempt counted once: full price for retries and duplicates, the INIT share for other cold starts. */
  totalUsd: number;
}

/** Everything the accumulator knows, as plain JSON-able objects. */
export interface BillingSnapshot {
  run: BillingTotals;
  byFunction: Record<string, BillingTotals>;
  byZone: Record<string, BillingTotals>;
  byFault: Record<string, FaultCost>;
  /** Cumulative on-demand GB-s per architecture, including prior usage (what the tiers are based on). */
  tierUsageGbSeconds: Record<Architecture, number>;
}

/** What {@link BillingAccumulator.add} charged one attempt (after the free tier). */
export interface RecordCharge {
  billedMs: number;
  gbSeconds: number;
  requestsUsd: number;
  durationUsd: number;
  ephemeralUsd: number;
  totalUsd: number;
  /** Portion covered by the free tier. */
  freeUsd: number;
}

/**
 * Everything a {@link BillingAccumulator} holds, as JSON (money and MB-ms as decimal strings, the
 * integers they are kept in): saved with the run's aggregate so that a report is the exact bill
 * of records that are no longer on disk. Read back with {@link BillingAccumulator.importState}
 * into an accumulator built with the same options.
 */
export interface BillingState {
  run: FieldsState;
  byFunction: Array<[string, FieldsState]>;
  byZone: Array<[string, FieldsState]>;
  byFault: Array<[string, FieldsState]>;
  folded: string[];
  tierUsage: Record<Architecture, string>;
  freeRequestsLeft: number;
  freeMbMsLeft: string;
}

class Bucket {
  attempts = 0;
  requests = 0;
  throttles = 0;
  coldStarts = 0;
  billedMs = 0;
  mbMs = 0n;
  allocatedMbMs = 0n;
  freeRequests = 0;
  freeMbMs = 0n;
  freeUnits = 0n;
  requestUnits = 0n;
  durationUnits = 0n;
  pcDurationUnits = 0n;
  pcAllocatedUnits = 0n;
  ephemeralUnits = 0n;

  totals(): BillingTotals {
    const total = this.requestUnits + this.durationUnits + this.pcDurationUnits + this.pcAllocatedUnits + this.ephemeralUnits;
    return {
      attempts: this.attempts,
      requests: this.requests,
      throttles: this.throttles,
      coldStarts: this.coldStarts,
      billedMs: this.billedMs,
      gbSeconds: mbMsToGbSeconds(this.mbMs),
      provisionedGbSeconds: mbMsToGbSeconds(this.allocatedMbMs),
      freeTier: { requests: this.freeRequests, gbSeconds: mbMsToGbSeconds(this.freeMbMs), savedUsd: unitsToUsd(this.freeUnits) },
      usd: {
        requests: unitsToUsd(this.requestUnits),
        duration: unitsToUsd(this.durationUnits),
        provisionedDuration: unitsToUsd(this.pcDurationUnits),
        provisionedConcurrency: unitsToUsd(this.pcAllocatedUnits),
        ephemeralStorage: unitsToUsd(this.ephemeralUnits),
        total: unitsToUsd(total),
      },
    };
  }
}

class FaultBucket {
  attempts = 0;
  throttles = 0;
  retries = 0;
  retryUnits = 0n;
  duplicates = 0;
  duplicateUnits = 0n;
  coldStarts = 0;
  initBilledMs = 0;
  coldUnits = 0n;
  totalUnits = 0n;

  cost(faultId: string): FaultCost {
    return {
      faultId,
      attempts: this.attempts,
      throttles: this.throttles,
      retries: { count: this.retries, usd: unitsToUsd(this.retryUnits) },
      duplicates: { count: this.duplicates, usd: unitsToUsd(this.duplicateUnits) },
      coldStarts: { count: this.coldStarts, initBilledMs: this.initBilledMs, usd: unitsToUsd(this.coldUnits) },
      totalUsd: unitsToUsd(this.totalUnits),
    };
  }
}

/**
 * Running Lambda-style bill of a run, fed one ledger record (and one provisioned-concurrency
 * allocation) at a time. Keeps totals per run, per function and per zone, and what each fault cost.
 *
 * - Duration tiers are by cumulative on-demand GB-s per architecture (lambda-facts 8); an attempt
 *   that crosses a bound is split. A function's or zone's dollars are what its attempts were charged
 *   when they arrived, so the parts always add up to the run.
 * - The free tier (only with `freeTier: true`) covers the first requests and on-demand GB-s of the
 *   month across both architectures, never provisioned concurrency or ephemeral storage; it is
 *   taken from the cheapest (first) part of the ladder.
 * - Memory is bounded: at most `maxKeys` functions, zones and fault ids each, then `(other)`.
 */
export class BillingAccumulator {
  readonly options: ResolvedBillingOptions;
  readonly #prices: CompiledPrices;
  readonly #logger: LedgerLogger;
  readonly #run = new Bucket();
  readonly #byFunction = new Map<string, Bucket>();
  readonly #byZone = new Map<string, Bucket>();
  readonly #byFault = new Map<string, FaultBucket>();
  readonly #folded = new Set<string>();
  readonly #tierUsage: Record<Architecture, bigint>;
  #freeRequestsLeft: number;
  #freeMbMsLeft: bigint;

  constructor(options: BillingOptions = {}, components: { logger?: LedgerLogger } = {}) {
    this.options = resolveBillingOptions(options);
    this.#prices = compilePrices(this.options.prices);
    this.#logger = components.logger ?? noopLogger;
    const prior = this.options.priorUsage;
    this.#tierUsage = { x86_64: gbSecondsToMbMs(prior.gbSeconds.x86_64), arm64: gbSecondsToMbMs(prior.gbSeconds.arm64) };
    const free = this.#prices.table.freeTier;
    this.#freeRequestsLeft = this.options.freeTier ? Math.max(0, free.requests - prior.requests) : 0;
    const freeMbMs = this.options.freeTier ? this.#prices.freeMbMs - this.#tierUsage.x86_64 - this.#tierUsage.arm64 : 0n;
    this.#freeMbMsLeft = freeMbMs > 0n ? freeMbMs : 0n;
  }

  /** Adds one attempt; returns what it was charged. */
  add(record: LedgerRecord): RecordCharge {
    const prices = this.#prices;
    const charge = attemptCharge(record, prices);
    let requestUnits = charge.requestUnits;
    let durationUnits = 0n;
    let pcDurationUnits = 0n;
    let freeUnits = 0n;
    let freeRequest = false;
    let freeMbMs = 0n;
    if (charge.ran) {
      if (this.#freeRequestsLeft > 0) {
        this.#freeRequestsLeft--;
        freeRequest = true;
        freeUnits += requestUnits;
        requestUnits = 0n;
      }
      if (charge.provisioned) {
        // PC duration has its own flat rate: no tiers, no free tier (lambda-facts 8).
        pcDurationUnits = charge.mbMs * prices.pcDurationPico[charge.architecture];
      } else {
        const tiers = prices.tiers[charge.architecture];
        const from = this.#tierUsage[charge.architecture];
        freeMbMs = charge.mbMs < this.#freeMbMsLeft ? charge.mbMs : this.#freeMbMsLeft;
        this.#freeMbMsLeft -= freeMbMs;
        freeUnits += ladderUnits(tiers, from, freeMbMs);
        durationUnits = ladderUnits(tiers, from + freeMbMs, charge.mbMs - freeMbMs);
        this.#tierUsage[charge.architecture] = from + charge.mbMs;
      }
    }
    const cold = record.cold === true && charge.ran;
    const throttled = record.outcome === LedgerOutcome.Throttled;
    for (const bucket of [this.#run, this.#bucket(this.#byFunction, 'function', record.functionName), this.#bucket(this.#byZone, 'zone', record.zone ?? NO_ZONE_KEY)]) {
      bucket.attempts++;
      if (charge.ran) bucket.requests++;
      if (throttled) bucket.throttles++;
      if (cold) bucket.coldStarts++;
      bucket.billedMs += charge.billedMs;
      bucket.mbMs += charge.mbMs;
      if (freeRequest) bucket.freeRequests++;
      bucket.freeMbMs += freeMbMs;
      bucket.freeUnits += freeUnits;
      bucket.requestUnits += requestUnits;
      bucket.durationUnits += durationUnits;
      bucket.pcDurationUnits += pcDurationUnits;
      bucket.ephemeralUnits += charge.ephemeralUnits;
    }
    const totalUnits = requestUnits + durationUnits + pcDurationUnits + charge.ephemeralUnits;
    if (record.faultIds !== undefined && record.faultIds.length > 0) {
      this.#addToFaults(record, charge.billedMs, totalUnits, durationUnits + pcDurationUnits + charge.ephemeralUnits, cold, throttled);
    }
    return {
      billedMs: charge.billedMs,
      gbSeconds: mbMsToGbSeconds(charge.mbMs),
      requestsUsd: unitsToUsd(requestUnits),
      durationUsd: unitsToUsd(durationUnits + pcDurationUnits),
      ephemeralUsd: unitsToUsd(charge.ephemeralUnits),
      totalUsd: unitsToUsd(totalUnits),
      freeUsd: unitsToUsd(freeUnits),
    };
  }

  /** Adds the allocation charge of a provisioned-concurrency configuration (enable to disable). */
  addProvisionedConcurrency(alloc: ProvisionedConcurrencyAllocation): ProvisionedConcurrencyCost {
    const { billedMs, mbMs, units } = allocationUnits(alloc, this.#prices);
    for (const bucket of [this.#run, this.#bucket(this.#byFunction, 'function', alloc.functionName), this.#bucket(this.#byZone, 'zone', alloc.zone ?? NO_ZONE_KEY)]) {
      bucket.allocatedMbMs += mbMs;
      bucket.pcAllocatedUnits += units;
    }
    return { billedSeconds: billedMs / 1000, gbSeconds: mbMsToGbSeconds(mbMs), usd: unitsToUsd(units) };
  }

  /** Run totals so far. */
  run(): BillingTotals {
    return this.#run.totals();
  }

  /** The run's total in dollars so far (cheap: for a per-second "cost so far" gauge). */
  totalUsd(): number {
    const b = this.#run;
    return unitsToUsd(b.requestUnits + b.durationUnits + b.pcDurationUnits + b.pcAllocatedUnits + b.ephemeralUnits);
  }

  /** Everything, as plain objects. */
  snapshot(): BillingSnapshot {
    const map = <B, T>(m: Map<string, B>, f: (b: B, k: string) => T): Record<string, T> => {
      const out: Record<string, T> = {};
      for (const [k, b] of m) out[k] = f(b, k);
      return out;
    };
    return {
      run: this.#run.totals(),
      byFunction: map(this.#byFunction, (b) => b.totals()),
      byZone: map(this.#byZone, (b) => b.totals()),
      byFault: this.faultCosts(),
      tierUsageGbSeconds: { x86_64: mbMsToGbSeconds(this.#tierUsage.x86_64), arm64: mbMsToGbSeconds(this.#tierUsage.arm64) },
    };
  }

  /** The whole state, for {@link importState} (e.g. in a saved run aggregate). */
  exportState(): BillingState {
    const pairs = <B extends object>(m: Map<string, B>): Array<[string, FieldsState]> => [...m].map(([k, b]) => [k, exportFields(b)]);
    return {
      run: exportFields(this.#run),
      byFunction: pairs(this.#byFunction),
      byZone: pairs(this.#byZone),
      byFault: pairs(this.#byFault),
      folded: [...this.#folded],
      tierUsage: { x86_64: this.#tierUsage.x86_64.toString(), arm64: this.#tierUsage.arm64.toString() },
      freeRequestsLeft: this.#freeRequestsLeft,
      freeMbMsLeft: this.#freeMbMsLeft.toString(),
    };
  }

  /**
   * Replaces this accumulator's totals with a saved state (from {@link exportState} of one built
   * with the same options); it then goes on as if it had seen those records. Only on an
   * accumulator that has seen nothing. Throws a {@link LedgerStateError} naming the bad field.
   */
  importState(state: unknown, path = ''): void {
    if (this.#run.attempts > 0 || this.#run.allocatedMbMs > 0n) throw new LedgerStateError('importState needs an accumulator that has seen nothing', { field: path || '/' });
    const s = stateObject(state, path || '/');
    const buckets = <B extends object>(map: Map<string, B>, value: unknown, p: string, make: () => B) => {
      map.clear();
      for (const [k, b] of statePairs(value, p)) map.set(k, importFields(make(), b, `${p}/${k}`));
    };
    importFields(this.#run, s.run, `${path}/run`);
    buckets(this.#byFunction, s.byFunction, `${path}/byFunction`, () => new Bucket());
    buckets(this.#byZone, s.byZone, `${path}/byZone`, () => new Bucket());
    buckets(this.#byFault, s.byFault, `${path}/byFault`, () => new FaultBucket());
    this.#folded.clear();
    stateArray(s.folded, `${path}/folded`).forEach((k, i) => this.#folded.add(stateString(k, `${path}/folded/${i}`)));
    const tier = stateObject(s.tierUsage, `${path}/tierUsage`);
    this.#tierUsage.x86_64 = stateBigint(tier.x86_64, `${path}/tierUsage/x86_64`);
    this.#tierUsage.arm64 = stateBigint(tier.arm64, `${path}/tierUsage/arm64`);
    this.#freeRequestsLeft = stateNumber(s.freeRequestsLeft, `${path}/freeRequestsLeft`, { integer: true, min: 0 });
    this.#freeMbMsLeft = stateBigint(s.freeMbMsLeft, `${path}/freeMbMsLeft`);
  }

  /** What each fault cost so far, by fault id. */
  faultCosts(): Record<string, FaultCost> {
    const out: Record<string, FaultCost> = {};
    for (const [k, b] of this.#byFault) out[k] = b.cost(k);
    return out;
  }

  #addToFaults(record: LedgerRecord, billedMs: number, totalUnits: bigint, timeUnits: bigint, cold: boolean, throttled: boolean): void {
    const retry = record.attempt > 1;
    const duplicate = record.duplicate === true;
    let initBilledMs = 0;
    let coldUnits = 0n;
    if (cold && billedMs > 0 && isInitBilled(record, this.#prices.table)) {
      // The INIT share of the billed duration: what the cold start added over a warm run.
      const withoutInit =
        record.durationMs !== undefined
          ? billedDurationMs(record.durationMs, undefined, { initBilled: false, granularityMs: this.#prices.granularityMs })
          : billedMs - Math.min(billedMs, Math.ceil(record.initMs ?? 0));
      initBilledMs = Math.max(0, billedMs - withoutInit);
      coldUnits = (timeUnits * BigInt(initBilledMs)) / BigInt(billedMs);
    }
    for (const faultId of new Set(record.faultIds)) {
      const f = this.#faultBucket(faultId);
      f.attempts++;
      if (throttled) f.throttles++;
      if (retry) {
        f.retries++;
        f.retryUnits += totalUnits;
      }
      if (duplicate) {
        f.duplicates++;
        f.duplicateUnits += totalUnits;
      }
      if (cold) {
        f.coldStarts++;
        f.initBilledMs += initBilledMs;
        f.coldUnits += coldUnits;
      }
      f.totalUnits += retry || duplicate ? totalUnits : coldUnits;
    }
  }

  #faultBucket(faultId: string): FaultBucket {
    let key = faultId;
    if (!this.#byFault.has(key) && this.#byFault.size >= this.options.maxKeys) key = this.#fold('fault', faultId);
    let f = this.#byFault.get(key);
    if (!f) this.#byFault.set(key, (f = new FaultBucket()));
    return f;
  }

  #bucket(map: Map<string, Bucket>, kind: string, key: string): Bucket {
    let k = key;
    if (!map.has(k) && map.size >= this.options.maxKeys) k = this.#fold(kind, key);
    let b = map.get(k);
    if (!b) map.set(k, (b = new Bucket()));
    return b;
  }

  #fold(kind: string, key: string): string {
    if (!this.#folded.has(kind)) {
      this.#folded.add(kind);
      this.#logger.warn({ kind, key, maxKeys: this.options.maxKeys }, `billing: more than maxKeys distinct ${kind} keys; the rest are folded into ${OTHER_KEY}`);
    }
    return OTHER_KEY;
  }
}

/**
 * What each fault cost, over a set of records (e.g. a whole ledger): retries, duplicate deliveries
 * and cold starts among the attempts received while it was active, priced as the accumulator
 * prices them (same tiers, free tier option and prior usage).
 */
export function faultCost(records: Iterable<LedgerRecord>, options: BillingOptions = {}): Record<string, FaultCost> {
  const acc = new BillingAccumulator(options);
  for (const record of records) acc.add(record);
  return acc.faultCosts();
}
