import { LedgerStateError } from './errors.js';

/**
 * Small checked readers for saved state (the run's aggregate): every value read from disk is
 * checked before use, and a bad one throws a {@link LedgerStateError} naming its JSON path.
 * Bigints are saved as decimal strings (JSON has no bigint).
 */

/** Plain numeric fields of an object, bigints as decimal strings. */
export type FieldsState = Record<string, number | string>;

export function stateObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LedgerStateError('must be an object', { field: path });
  return value as Record<string, unknown>;
}

export function stateArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new LedgerStateError('must be an array', { field: path });
  return value;
}

export function stateNumber(value: unknown, path: string, options: { integer?: boolean; min?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LedgerStateError(`must be a finite number, got ${JSON.stringify(value)}`, { field: path });
  if (options.integer && !Number.isInteger(value)) throw new LedgerStateError(`must be an integer, got ${value}`, { field: path });
  if (options.min !== undefined && value < options.min) throw new LedgerStateError(`must be >= ${options.min}, got ${value}`, { field: path });
  return value;
}

/** A number, or null for a value that was not finite (JSON writes Infinity as null). */
export function stateNumberOrNull(value: unknown, path: string): number | null {
  return value === null ? null : stateNumber(value, path);
}

export function stateString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new LedgerStateError(`must be a string, got ${JSON.stringify(value)}`, { field: path });
  return value;
}

export function stateBigint(value: unknown, path: string): bigint {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw new LedgerStateError(`must be an integer in a string, got ${JSON.stringify(value)}`, { field: path });
  return BigInt(value);
}

/** `[key, value]` pairs (Map order kept; object keys that look like numbers would be reordered). */
export function statePairs(value: unknown, path: string): Array<[string, unknown]> {
  return stateArray(value, path).map((pair, i) => {
    const a = stateArray(pair, `${path}/${i}`);
    if (a.length !== 2) throw new LedgerStateError('must be a [key, value] pair', { field: `${path}/${i}` });
    return [stateString(a[0], `${path}/${i}/0`), a[1]];
  });
}

/** The own number and bigint fields of `source`, bigints as strings. */
export function exportFields(source: object): FieldsState {
  const out: FieldsState = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === 'bigint') out[k] = v.toString();
    else if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Sets every number and bigint field of `target` from `state` (each must be there, of the same kind). */
export function importFields<T extends object>(target: T, state: unknown, path: string): T {
  const s = stateObject(state, path);
  const t = target as Record<string, unknown>;
  for (const [k, current] of Object.entries(target)) {
    if (typeof current === 'bigint') t[k] = stateBigint(s[k], `${path}/${k}`);
    else if (typeof current === 'number') t[k] = stateNumber(s[k], `${path}/${k}`);
  }
  return target;
}
