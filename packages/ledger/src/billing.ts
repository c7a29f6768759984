/**
 * Lambda-style billing of single attempts and provisioned-concurrency allocations: pure functions.
 * The running totals (tiers, free tier, per function / zone / fault) are in billing-accumulator.ts.
 *
 * Money is computed in integers. A GB-s price such as $0.0000166667 is exact in pico-dollars
 * (16,666,700), and usage is exact in MB-ms (memory MB x billed ms), so usage x price is an exact
 * integer in "pico-dollar MB-ms per GB-s" ({@link MONEY_UNITS_PER_USD} of them make one dollar).
 * Floating-point sums of many tiny products drift (1e6 additions of 2.1e-6 lose the last digits)
 * and make "the parts add up to the total" fail by a hair; BigInt sums never do. Dollars become
 * floating-point numbers only when a total is read.
 */
import { PICO_PER_USD, defaultPriceTable, type Architecture, type PriceTable } from './prices.js';
import { attemptRan, type LedgerRecord } from './record.js';

/** MB-ms in one GB-s (GB = 1,024 MB, as in Lambda's pricing examples: 128 MB = 0.125 GB). */
export const MB_MS_PER_GB_SECOND = 1_024_000n;
/** Integer money units per dollar: pico-dollars x {@link MB_MS_PER_GB_SECOND}. */
export const MONEY_UNITS_PER_USD = BigInt(PICO_PER_USD) * MB_MS_PER_GB_SECOND;

/** Converts integer money units to dollars (the only place money becomes a float). */
export function unitsToUsd(units: bigint): number {
  const whole = units / MONEY_UNITS_PER_USD;
  return Number(whole) + Number(units - whole * MONEY_UNITS_PER_USD) / Number(MONEY_UNITS_PER_USD);
}

/** Converts MB-ms to GB-s. */
export function mbMsToGbSeconds(mbMs: bigint): number {
  const whole = mbMs / MB_MS_PER_GB_SECOND;
  return Number(whole) + Number(mbMs - whole * MB_MS_PER_GB_SECOND) / Number(MB_MS_PER_GB_SECOND);
}

/** Converts GB-s (may be fractional, e.g. 18.75 B) to MB-ms, exact to 1/1000 GB-s. */
export function gbSecondsToMbMs(gbSeconds: number): bigint {
  return BigInt(Math.round(gbSeconds * 1000)) * (MB_MS_PER_GB_SECOND / 1000n);
}

function pico(usd: number): bigint {
  return BigInt(Math.round(usd * PICO_PER_USD));
}

/** One rung of the duration ladder, in integer units. */
export interface CompiledTier {
  /** Cumulative MB-ms up to which `pico` applies; `null` for the open-ended last tier. */
  upToMbMs: bigint | null;
  /** Pico-dollars per GB-s. */
  pico: bigint;
}

/** A price table in integer units, compiled once per table. */
export interface CompiledPrices {
  readonly table: PriceTable;
  readonly requestPico: bigint;
  readonly granularityMs: number;
  readonly tiers: Readonly<Record<Architecture, readonly CompiledTier[]>>;
  readonly pcAllocatedPico: Readonly<Record<Architecture, bigint>>;
  readonly pcDurationPico: Readonly<Record<Architecture, bigint>>;
  readonly pcGranularityMs: number;
  readonly ephemeralPico: bigint;
  readonly ephemeralIncludedMb: number;
  readonly freeRequests: bigint;
  readonly freeMbMs: bigint;
  /** Epoch ms from which on-demand Zip INIT is billed. */
  readonly initBilledSinceMs: number;
}

const compiledCache = new WeakMap<PriceTable, CompiledPrices>();

/** Compiles a price table to integer units (cached per table object). */
export function compilePrices(table: PriceTable): CompiledPrices {
  let compiled = compiledCache.get(table);
  if (compiled) return compiled;
  const tiersOf = (arch: Architecture): CompiledTier[] =>
    table.duration[arch].tiers.map((t) => ({
      upToMbMs: t.upToGbSeconds === null ? null : gbSecondsToMbMs(t.upToGbSeconds),
      pico: pico(t.usdPerGbSecond),
    }));
  const pc = table.provisionedConcurrency;
  compiled = {
    table,
    requestPico: pico(table.requests.usdPerRequest),
    granularityMs: table.durationGranularityMs.value,
    tiers: { x86_64: tiersOf('x86_64'), arm64: tiersOf('arm64') },
    pcAllocatedPico: { x86_64: pico(pc.x86_64.allocatedUsdPerGbSecond), arm64: pico(pc.arm64.allocatedUsdPerGbSecond) },
    pcDurationPico: { x86_64: pico(pc.x86_64.durationUsdPerGbSecond), arm64: pico(pc.arm64.durationUsdPerGbSecond) },
    pcGranularityMs: pc.billingGranularitySeconds.value * 1000,
    ephemeralPico: pico(table.ephemeralStorage.usdPerGbSecond),
    ephemeralIncludedMb: table.ephemeralStorage.includedMb,
    freeRequests: BigInt(table.freeTier.requests),
    freeMbMs: gbSecondsToMbMs(table.freeTier.gbSeconds),
    initBilledSinceMs: Date.parse(`${table.initBilling.onDemandZipManagedRuntimeSince}T00:00:00Z`),
  };
  compiledCache.set(table, compiled);
  return compiled;
}

/**
 * Lambda's `Billed Duration`: handler duration plus (when billed) INIT, rounded up to the billing
 * granularity (1 ms since Dec 2020, lambda-facts 3.4). Example: init 166.62 + duration 128.83 =
 * 295.45 -> 296 ms. The sum is taken in whole microseconds first, so float noise such as
 * 99.3 + 0.7 = 100.00000000000001 cannot push an exact 100 ms to 101.
 */
export function billedDurationMs(
  durationMs: number,
  initMs: number | undefined,
  options: { initBilled: boolean; granularityMs?: number },
): number {
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`durationMs must be a finite number >= 0, got ${durationMs}`);
  if (initMs !== undefined && (!(initMs >= 0) || !Number.isFinite(initMs))) throw new RangeError(`initMs must be a finite number >= 0, got ${initMs}`);
  const granularityMs = options.granularityMs ?? 1;
  const micros = Math.round(durationMs * 1000) + (options.initBilled && initMs !== undefined ? Math.round(initMs * 1000) : 0);
  return Math.ceil(micros / (granularityMs * 1000)) * granularityMs;
}

/**
 * Whether INIT counts in an attempt's billed duration (lambda-facts 8, "INIT billing change"):
 * never for provisioned-concurrency environments (their INIT runs at allocation, outside any
 * invocation); always for container images and `provided*` runtimes; for on-demand Zip functions on
 * managed runtimes from the price table's `initBilling` date (August 1, 2025) on.
 */
export function isInitBilled(
  record: Pick<LedgerRecord, 'provisioned' | 'packageType' | 'runtime' | 'receivedAt'>,
  prices: PriceTable = defaultPriceTable(),
): boolean {
  if (record.provisioned === true) return false;
  if (record.packageType === 'Image' || record.runtime.startsWith('provided')) return true;
  return record.receivedAt >= compilePrices(prices).initBilledSinceMs;
}

/**
 * Cost of `qty` MB-ms placed on a tier ladder after `from` MB-ms of earlier usage, in money units.
 * Splits the quantity where it crosses a tier bound.
 */
export function ladderUnits(tiers: readonly CompiledTier[], from: bigint, qty: bigint): bigint {
  let units = 0n;
  let at = from;
  let left = qty;
  for (const tier of tiers) {
    if (left <= 0n) break;
    if (tier.upToMbMs !== null && at >= tier.upToMbMs) continue;
    const room = tier.upToMbMs === null ? left : tier.upToMbMs - at;
    const take = left < room ? left : room;
    units += take * tier.pico;
    at += take;
    left -= take;
  }
  return units;
}

/** The usage and money units of one attempt, before the free tier. */
export interface AttemptCharge {
  ran: boolean;
  provisioned: boolean;
  architecture: Architecture;
  billedMs: number;
  /** Memory x billed duration. */
  mbMs: bigint;
  /** Ephemeral storage above the included 512 MB x billed duration. */
  ephemeralMbMs: bigint;
  requestUnits: bigint;
  ephemeralUnits: bigint;
}

/** Usage of one attempt (duration money is placed on the ladder by the caller). */
export function attemptCharge(record: LedgerRecord, prices: CompiledPrices): AttemptCharge {
  const ran = attemptRan(record);
  const billedMs = ran ? record.billedMs : 0;
  const extraMb = Math.max(0, (record.ephemeralStorageMb ?? prices.ephemeralIncludedMb) - prices.ephemeralIncludedMb);
  const ephemeralMbMs = BigInt(extraMb) * BigInt(billedMs);
  return {
    ran,
    provisioned: record.provisioned === true,
    architecture: record.architecture,
    billedMs,
    mbMs: BigInt(record.memoryMb) * BigInt(billedMs),
    ephemeralMbMs,
    requestUnits: ran ? prices.requestPico * MB_MS_PER_GB_SECOND : 0n,
    ephemeralUnits: ephemeralMbMs * prices.ephemeralPico,
  };
}

/** What one attempt costs, in dollars. */
export interface InvocationCost {
  billedMs: number;
  /** Memory (GB) x billed seconds. */
  gbSeconds: number;
  requestsUsd: number;
  /** At the on-demand tier rate, or the provisioned-concurrency duration rate when `provisioned`. */
  durationUsd: number;
  ephemeralUsd: number;
  totalUsd: number;
  provisioned: boolean;
}

/**
 * What one attempt costs on its own: a request charge and memory x billed duration, for attempts
 * that ran (success, function error, timeout; a lost attempt that reported a duration). Throttled
 * and service-error attempts cost nothing. On-demand duration is priced at the tier that
 * `priorGbSeconds` of earlier usage of the same architecture reaches (default 0: the first tier);
 * provisioned-concurrency attempts use the PC duration rate. No free tier: that is a monthly
 * allowance, see `BillingAccumulator`.
 */
export function invocationCost(
  record: LedgerRecord,
  prices: PriceTable = defaultPriceTable(),
  options: { priorGbSeconds?: number } = {},
): InvocationCost {
  const compiled = compilePrices(prices);
  const charge = attemptCharge(record, compiled);
  const durationUnits = charge.provisioned
    ? charge.mbMs * compiled.pcDurationPico[charge.architecture]
    : ladderUnits(compiled.tiers[charge.architecture], gbSecondsToMbMs(options.priorGbSeconds ?? 0), charge.mbMs);
  return {
    billedMs: charge.billedMs,
    gbSeconds: mbMsToGbSeconds(charge.mbMs),
    requestsUsd: unitsToUsd(charge.requestUnits),
    durationUsd: unitsToUsd(durationUnits),
    ephemeralUsd: unitsToUsd(charge.ephemeralUnits),
    totalUsd: unitsToUsd(charge.requestUnits + durationUnits + charge.ephemeralUnits),
    provisioned: charge.provisioned,
  };
}

/** A provisioned-concurrency configuration that was enabled for a while. */
export interface ProvisionedConcurrencyAllocation {
  functionName: string;
  /** Where the environments were kept, when the allocation is per zone. */
  zone?: string;
  memoryMb: number;
  architecture: Architecture;
  /** Number of provisioned environments. */
  count: number;
  enabledAt: number;
  disabledAt: number;
}

/** What a provisioned-concurrency allocation costs. */
export interface ProvisionedConcurrencyCost {
  /** Enabled time rounded up to the billing granularity (5 minutes). */
  billedSeconds: number;
  /** count x memory (GB) x billed seconds. */
  gbSeconds: number;
  usd: number;
}

/** @internal Allocation usage in MB-ms and money units. */
export function allocationUnits(
  alloc: Omit<ProvisionedConcurrencyAllocation, 'functionName'>,
  prices: CompiledPrices,
): { billedMs: number; mbMs: bigint; units: bigint } {
  const { count, memoryMb, enabledAt, disabledAt } = alloc;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(memoryMb) || memoryMb < 128) throw new RangeError(`memoryMb must be an integer >= 128, got ${memoryMb}`);
  if (!(disabledAt >= enabledAt)) throw new RangeError(`disabledAt (${disabledAt}) is before enabledAt (${enabledAt})`);
  // "From enable to disable, rounded up to 5 min" (lambda-facts 8).
  const billedMs = Math.ceil((disabledAt - enabledAt) / prices.pcGranularityMs) * prices.pcGranularityMs;
  const mbMs = BigInt(count) * BigInt(memoryMb) * BigInt(billedMs);
  return { billedMs, mbMs, units: mbMs * prices.pcAllocatedPico[alloc.architecture] };
}

/**
 * The allocation charge of provisioned concurrency: count x memory x enabled time (rounded up to 5
 * minutes) at the PC rate. Invocations on those environments are billed separately (requests +
 * the PC duration rate), see {@link invocationCost}. No free tier applies.
 */
export function provisionedConcurrencyCost(
  alloc: Omit<ProvisionedConcurrencyAllocation, 'functionName'>,
  prices: PriceTable = defaultPriceTable(),
): ProvisionedConcurrencyCost {
  const { billedMs, mbMs, units } = allocationUnits(alloc, compilePrices(prices));
  return { billedSeconds: billedMs / 1000, gbSeconds: mbMsToGbSeconds(mbMs), usd: unitsToUsd(units) };
}
