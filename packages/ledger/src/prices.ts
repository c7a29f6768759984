import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PriceTableError } from './errors.js';

/** The price-file format version this package reads. */
export const PRICE_TABLE_FORMAT_VERSION = 1;

// Every entry says where its numbers came from and when they were read, so a reader of a bill can
// check them and a stale table is visible (the issue asks for "the date and source of each price").
const Meta = {
  /** URL of the page the value was taken from. */
  source: Type.String({ pattern: '^https?://', maxLength: 2048 }),
  /** When the value was read from `source`: `YYYY-MM` or `YYYY-MM-DD`. */
  asOf: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$' }),
  note: Type.Optional(Type.String({ maxLength: 4096 })),
};
const Usd = Type.Number({ minimum: 0, maximum: 1 });
const Architectures = <T extends TSchema>(entry: T) => ({ x86_64: entry, arm64: entry });

const DurationTierSchema = Type.Object({
  /** Cumulative on-demand GB-s (per architecture, per month) up to which this rate applies; `null` for the last tier. */
  upToGbSeconds: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
  usdPerGbSecond: Usd,
});

/** The schema of a price file (see `prices/us-east-1.json`). */
export const PriceTableSchema = Type.Object({
  formatVersion: Type.Literal(PRICE_TABLE_FORMAT_VERSION),
  region: Type.String({ minLength: 1, maxLength: 64 }),
  currency: Type.Literal('USD'),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  requests: Type.Object({ usdPerRequest: Usd, ...Meta }),
  durationGranularityMs: Type.Object({ value: Type.Integer({ minimum: 1, maximum: 1000 }), ...Meta }),
  duration: Type.Object(Architectures(Type.Object({ tiers: Type.Array(DurationTierSchema, { minItems: 1, maxItems: 16 }), ...Meta }))),
  provisionedConcurrency: Type.Object({
    ...Architectures(Type.Object({ allocatedUsdPerGbSecond: Usd, durationUsdPerGbSecond: Usd, ...Meta })),
    billingGranularitySeconds: Type.Object({ value: Type.Integer({ minimum: 1, maximum: 86_400 }), ...Meta }),
  }),
  ephemeralStorage: Type.Object({ usdPerGbSecond: Usd, includedMb: Type.Integer({ minimum: 0, maximum: 10_240 }), ...Meta }),
  freeTier: Type.Object({ requests: Type.Integer({ minimum: 0 }), gbSeconds: Type.Number({ minimum: 0 }), ...Meta }),
  initBilling: Type.Object({
    /** Date from which INIT is billed for on-demand Zip functions on managed runtimes (`YYYY-MM-DD`). */
    onDemandZipManagedRuntimeSince: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
    ...Meta,
  }),
});

/** A validated price table. Money is in USD; GB means 1,024 MB as in Lambda's pricing examples. */
export type PriceTable = Static<typeof PriceTableSchema>;
/** The architectures priced separately. */
export type Architecture = 'x86_64' | 'arm64';

const CHECK = TypeCompiler.Compile(PriceTableSchema);

/** Billing keeps money in integer pico-dollars (see billing.ts); a price must be exact at that scale. */
export const PICO_PER_USD = 1_000_000_000_000;

function checkPrecision(value: number, field: string, file: string | undefined): void {
  const scaled = value * PICO_PER_USD;
  if (Math.abs(scaled - Math.round(scaled)) > 1e-3) {
    throw new PriceTableError(`price ${value} has more precision than 1e-12 USD`, { field, ...(file !== undefined && { file }) });
  }
}

/**
 * Validates a parsed price file; throws a {@link PriceTableError} naming the field. Besides the
 * schema: tier bounds must rise and only the last tier is open-ended; every price must be exact in
 * pico-dollars. Returns a deeply frozen table.
 */
export function parsePriceTable(value: unknown, options: { file?: string } = {}): PriceTable {
  const file = options.file;
  const at = (field: string) => ({ field, ...(file !== undefined && { file }) });
  if (!CHECK.Check(value)) {
    const first = CHECK.Errors(value).First();
    throw new PriceTableError(first?.message ?? 'invalid price table', at(first?.path || '/'));
  }
  const table = value as PriceTable;
  for (const arch of ['x86_64', 'arm64'] as const) {
    const tiers = table.duration[arch].tiers;
    let previous = 0;
    tiers.forEach((tier, i) => {
      const field = `/duration/${arch}/tiers/${i}`;
      const last = i === tiers.length - 1;
      if (last !== (tier.upToGbSeconds === null)) {
        throw new PriceTableError('only the last tier has upToGbSeconds: null', at(`${field}/upToGbSeconds`));
      }
      if (tier.upToGbSeconds !== null) {
        if (tier.upToGbSeconds <= previous) throw new PriceTableError('tier bounds must rise', at(`${field}/upToGbSeconds`));
        previous = tier.upToGbSeconds;
      }
      checkPrecision(tier.usdPerGbSecond, `${field}/usdPerGbSecond`, file);
    });
    const pc = table.provisionedConcurrency[arch];
    checkPrecision(pc.allocatedUsdPerGbSecond, `/provisionedConcurrency/${arch}/allocatedUsdPerGbSecond`, file);
    checkPrecision(pc.durationUsdPerGbSecond, `/provisionedConcurrency/${arch}/durationUsdPerGbSecond`, file);
  }
  checkPrecision(table.requests.usdPerRequest, '/requests/usdPerRequest', file);
  checkPrecision(table.ephemeralStorage.usdPerGbSecond, '/ephemeralStorage/usdPerGbSecond', file);
  if (Number.isNaN(Date.parse(table.initBilling.onDemandZipManagedRuntimeSince))) {
    throw new PriceTableError('not a date', at('/initBilling/onDemandZipManagedRuntimeSince'));
  }
  return deepFreeze(structuredClone(table));
}

/** Reads and validates a price file (e.g. another region's); errors name the file and the field. */
export async function loadPriceTable(path: string, options: { signal?: AbortSignal } = {}): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(options.signal && { signal: options.signal }) });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new PriceTableError(`cannot read price file: ${(err as Error).message}`, { file: path, cause: err });
  }
  return parsePriceTableText(text, path);
}

function parsePriceTableText(text: string, file: string): PriceTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PriceTableError(`not JSON: ${(err as Error).message}`, { file, cause: err });
  }
  return parsePriceTable(value, { file });
}

/** Path of the us-east-1 price file shipped in this package (`prices/us-east-1.json`). */
export const DEFAULT_PRICE_FILE = fileURLToPath(new URL('../prices/us-east-1.json', import.meta.url));

let defaultTable: PriceTable | undefined;

/** The shipped us-east-1 price table (lambda-facts section 8), read once and cached. */
export function defaultPriceTable(): PriceTable {
  defaultTable ??= parsePriceTableText(readFileSync(DEFAULT_PRICE_FILE, 'utf8'), DEFAULT_PRICE_FILE);
  return defaultTable;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
