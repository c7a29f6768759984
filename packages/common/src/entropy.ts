import { randomBytes, randomUUID } from 'node:crypto';
import { newHex32, newShortId } from './ids.js';
import { SeededRandom } from './random.js';

/**
 * Where the platform's ids and random draws come from (issue 16). Real processes use
 * {@link systemEntropy} (crypto-strength ids, `Math.random` draws); a simulation passes
 * {@link seededEntropy} so that the same seed gives the same request ids, revision ids, receipt
 * handles, alias picks and jitter, and a run replays byte for byte. Formats are the same either way.
 */
export interface Entropy {
  /** A float in [0, 1). */
  random(): number;
  /** A UUID (version 4 format), as Lambda's request ids and revision ids. */
  uuid(): string;
  /** A short, URL-safe id of 12 lowercase alphanumerics after `prefix`. */
  shortId(prefix?: string): string;
  /** 32 lowercase hex characters. */
  hex32(): string;
  /** `length` random bytes. */
  bytes(length: number): Buffer;
}

/** The real source. */
export const systemEntropy: Entropy = {
  random: () => Math.random(),
  uuid: () => randomUUID(),
  shortId: (prefix = '') => newShortId(prefix),
  hex32: () => newHex32(),
  bytes: (length) => randomBytes(length),
};

const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A deterministic source: the same seed, the same sequence of ids and draws. */
export function seededEntropy(seed: number | string): Entropy {
  const rng = new SeededRandom(seed);
  const bytes = (length: number): Buffer => {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
    return out;
  };
  return {
    random: () => rng.next(),
    uuid: () => {
      const b = bytes(16);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    shortId: (prefix = '') => {
      let id = prefix;
      for (let i = 0; i < 12; i++) id += ALPHANUMERIC[rng.int(0, ALPHANUMERIC.length - 1)];
      return id;
    },
    hex32: () => bytes(16).toString('hex'),
    bytes,
  };
}
