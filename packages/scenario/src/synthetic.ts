import { validateDistribution, type Distribution } from '@zonesim/common';
import { SYNTHETIC_FILE } from './defaults.js';
import { canonicalJson } from './schedule-digest.js';
import type { SyntheticFunction, SyntheticSpec } from './types.js';

/** Version of `synthetic.json`. */
export const SYNTHETIC_FORMAT_VERSION = 1;

/** The content of `synthetic.json`: a {@link SyntheticSpec} with a version. */
export interface SyntheticPackage extends SyntheticSpec {
  v: typeof SYNTHETIC_FORMAT_VERSION;
}

/**
 * The text of `synthetic.json` for a synthetic function's zip (runtime `zonesim.synthetic`):
 * `{ "v": 1, "init": D, "duration": D, "memory": D, "errorRate": x }` with distributions in
 * @zonesim/common's form (times in ms, memory in MB). Keys are sorted, so the same spec always
 * gives the same bytes, hence the same CodeSha256 (no needless redeploys).
 */
export function syntheticPackageJson(spec: SyntheticSpec | SyntheticFunction): string {
  const s = 'synthetic' in spec ? spec.synthetic : spec;
  const pkg: SyntheticPackage = { v: SYNTHETIC_FORMAT_VERSION, init: s.init, duration: s.duration, memory: s.memory, errorRate: s.errorRate };
  return `${canonicalJson(pkg)}\n`;
}

/** The file name inside the zip. */
export const SYNTHETIC_PACKAGE_FILE = SYNTHETIC_FILE;

/**
 * Parses and checks `synthetic.json` (for the zone node that runs synthetic functions); throws
 * a TypeError naming the bad field.
 */
export function parseSyntheticPackage(text: string): SyntheticPackage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`${SYNTHETIC_FILE} is not JSON: ${(err as Error).message}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o['v'] !== SYNTHETIC_FORMAT_VERSION) throw new TypeError(`${SYNTHETIC_FILE}: v must be ${SYNTHETIC_FORMAT_VERSION}`);
  for (const key of ['init', 'duration', 'memory'] as const) {
    try {
      validateDistribution(o[key] as Distribution);
    } catch (err) {
      throw new TypeError(`${SYNTHETIC_FILE}: ${key}: ${(err as Error).message}`);
    }
  }
  const rate = o['errorRate'];
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new TypeError(`${SYNTHETIC_FILE}: errorRate must be a number from 0 to 1`);
  return o as unknown as SyntheticPackage;
}
