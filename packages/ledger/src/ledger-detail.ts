import { LedgerOptionsError } from './errors.js';

/**
 * How much of the ledger goes to disk (issue 16: "At trace scale a record per invocation is
 * gigabytes, so the ledger gets a detail level"):
 *
 * - `full`: one record per attempt (the default).
 * - `sampled`: the records of a deterministic fraction `rate` (0 < rate <= 1) of attempts, chosen
 *   by a hash of `requestId` and `attempt` ({@link sampleFraction}), so a replay writes the same ones.
 * - `aggregate`: no records.
 *
 * Latency histograms, time series, counts and the bill stay exact at every level: they are fed
 * every record in memory, and at `sampled` and `aggregate` the ledger keeps the run's exact
 * aggregate beside the files (`aggregate.json`, `seconds.ndjson`) for `zonesim report`.
 */
export type LedgerDetail = { level: 'full' } | { level: 'sampled'; rate: number } | { level: 'aggregate' };

/** The levels of {@link LedgerDetail}. */
export const LedgerDetailLevel = { Full: 'full', Sampled: 'sampled', Aggregate: 'aggregate' } as const;
/** One of {@link LedgerDetailLevel}. */
export type LedgerDetailLevel = (typeof LedgerDetailLevel)[keyof typeof LedgerDetailLevel];

/** @default { level: 'full' } */
export const DEFAULT_LEDGER_DETAIL: LedgerDetail = Object.freeze({ level: 'full' });

/**
 * Validates a detail setting (undefined is the default, `full`); throws a {@link LedgerOptionsError}
 * naming the field: `<field>.level` for an unknown level, `<field>.rate` for a rate outside (0, 1].
 */
export function resolveLedgerDetail(detail: LedgerDetail | undefined, field = 'detail'): LedgerDetail {
  if (detail === undefined) return DEFAULT_LEDGER_DETAIL;
  if (typeof detail !== 'object' || detail === null) throw new LedgerOptionsError(field, `must be an object with a level, got ${String(detail)}`);
  switch (detail.level) {
    case 'full':
      return { level: 'full' };
    case 'aggregate':
      return { level: 'aggregate' };
    case 'sampled': {
      const rate = (detail as { rate?: unknown }).rate;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 1) {
        throw new LedgerOptionsError(`${field}.rate`, `must be a number in (0, 1] (the fraction of attempts written), got ${String(rate)}`);
      }
      return { level: 'sampled', rate };
    }
    default:
      throw new LedgerOptionsError(`${field}.level`, `must be 'full', 'sampled' or 'aggregate', got ${String((detail as { level?: unknown }).level)}`);
  }
}

/**
 * Parses the text form used by options and flags: `full`, `aggregate`, or `sampled:<rate>` (e.g.
 * `sampled:0.01` writes 1% of the attempts). Throws a {@link LedgerOptionsError} naming `field`.
 */
export function parseLedgerDetail(text: string, field = 'detail'): LedgerDetail {
  const s = String(text).trim();
  if (s === 'full' || s === 'aggregate') return { level: s };
  const m = /^sampled:(.+)$/.exec(s);
  if (m) {
    const rate = /^(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?$/i.test(m[1]!.trim()) ? Number(m[1]) : NaN;
    return resolveLedgerDetail({ level: 'sampled', rate }, field);
  }
  throw new LedgerOptionsError(field, `must be 'full', 'aggregate' or 'sampled:<rate>' with 0 < rate <= 1 (e.g. sampled:0.01), got '${s}'`);
}

/** The text form of a detail level ({@link parseLedgerDetail} reads it back). */
export function formatLedgerDetail(detail: LedgerDetail): string {
  return detail.level === 'sampled' ? `sampled:${detail.rate}` : detail.level;
}

/**
 * Where an attempt falls in [0, 1): FNV-1a over `requestId`, `#` and `attempt`, then the murmur3
 * finalizer so that ids differing in their last character spread over the whole range. Pure and
 * stable across runs and processes (no seed, no Math.random): the same attempt is always in or
 * out of a sample.
 */
export function sampleFraction(requestId: string, attempt: number): number {
  const key = `${requestId}#${attempt}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Whether a record is written to the ledger files at this detail level. */
export function detailWrites(detail: LedgerDetail, record: { requestId: string; attempt: number }): boolean {
  switch (detail.level) {
    case 'full':
      return true;
    case 'aggregate':
      return false;
    case 'sampled':
      return detail.rate >= 1 || sampleFraction(record.requestId, record.attempt) < detail.rate;
  }
}
