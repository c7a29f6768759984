import { DistributionError, validateDistribution, type Distribution } from './distributions.js';

/**
 * Synthetic functions (chaos-scenario issue): Lambda functions whose package holds no handler but a
 * `synthetic.json` saying how long INIT and each invocation take, how much memory they use and how
 * often they fail. Zone nodes run them on timers, without a process, so that thousands can be in
 * flight; they are billed, logged and recorded like real ones. The definition is checked here, in
 * one place, by the coordinator at CreateFunction / UpdateFunctionCode and by the zone node at INIT.
 */

/** The `Runtime` of synthetic functions. Not a Lambda runtime: zonesim's own. */
export const SYNTHETIC_RUNTIME = 'zonesim.synthetic';

/** The file at the root of a synthetic function's package that defines it. */
export const SYNTHETIC_DEFINITION_FILE = 'synthetic.json';

/** Largest `synthetic.json` accepted (an empirical distribution needs a few hundred bytes). */
export const MAX_SYNTHETIC_DEFINITION_BYTES = 64 * 1024;

/** What `synthetic.json` holds. Durations are in ms, memory in MB. */
export interface SyntheticDefinition {
  /** INIT duration of each new environment, ms. */
  init: Distribution;
  /** Handler duration of each invocation, ms. */
  duration: Distribution;
  /** Memory used by each invocation, MB; above the function's `MemorySize` it is `Runtime.OutOfMemory`. */
  memory: Distribution;
  /** Share of invocations that fail as a handled function error, 0..1. @default 0 */
  errorRate?: number;
  /** Seed of the draws; each environment draws from `${seed}:${environmentId}`. @default the spec key */
  seed?: number | string;
}

/** A checked definition, with defaults filled in. */
export interface ResolvedSyntheticDefinition {
  init: Distribution;
  duration: Distribution;
  memory: Distribution;
  errorRate: number;
  seed: number | string | undefined;
}

/** Why a synthetic definition is refused; `field` names the part at fault (`duration.p99`). */
export class SyntheticDefinitionError extends Error {
  override readonly name = 'SyntheticDefinitionError';
  readonly code = 'INVALID_SYNTHETIC_DEFINITION';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${SYNTHETIC_DEFINITION_FILE}: ${field}: ${message}`, options);
  }
}

const KEYS = new Set(['v', 'init', 'duration', 'memory', 'errorRate', 'seed']);

function distribution(value: unknown, field: string): Distribution {
  if (value === undefined) throw new SyntheticDefinitionError(field, 'is required (a distribution such as {"kind":"constant","value":100})');
  try {
    return validateDistribution(value as Distribution);
  } catch (err) {
    if (err instanceof DistributionError) throw new SyntheticDefinitionError(`${field}.${err.field}`, err.message, { cause: err });
    throw err;
  }
}

/**
 * Checks a parsed definition and fills defaults.
 * @throws SyntheticDefinitionError naming the bad field (unknown fields are refused too, so a typo
 *   such as `errorrate` is not silently ignored).
 */
export function validateSyntheticDefinition(value: unknown): ResolvedSyntheticDefinition {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyntheticDefinitionError('(root)', 'must be a JSON object with init, duration and memory');
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!KEYS.has(key)) throw new SyntheticDefinitionError(key, 'is not a known field (v, init, duration, memory, errorRate, seed)');
  }
  // `v` is the format version the scenario package writes; 1 is the only one.
  if (v['v'] !== undefined && v['v'] !== 1) throw new SyntheticDefinitionError('v', `must be 1, got ${JSON.stringify(v['v'])}`);
  const errorRate = v['errorRate'] ?? 0;
  if (typeof errorRate !== 'number' || !Number.isFinite(errorRate) || errorRate < 0 || errorRate > 1) {
    throw new SyntheticDefinitionError('errorRate', `must be a number from 0 to 1, got ${JSON.stringify(errorRate)}`);
  }
  const seed = v['seed'];
  if (seed !== undefined && !(typeof seed === 'string' && seed.length <= 256) && !(typeof seed === 'number' && Number.isSafeInteger(seed))) {
    throw new SyntheticDefinitionError('seed', `must be an integer or a string of at most 256 characters, got ${JSON.stringify(seed)}`);
  }
  return {
    init: distribution(v['init'], 'init'),
    duration: distribution(v['duration'], 'duration'),
    memory: distribution(v['memory'], 'memory'),
    errorRate,
    seed: seed as number | string | undefined,
  };
}

/**
 * Parses and checks the text of `synthetic.json`.
 * @throws SyntheticDefinitionError for bad JSON, an oversized file or a bad field.
 */
export function parseSyntheticDefinition(text: string): ResolvedSyntheticDefinition {
  if (text.length > MAX_SYNTHETIC_DEFINITION_BYTES) {
    throw new SyntheticDefinitionError('(root)', `is larger than ${MAX_SYNTHETIC_DEFINITION_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SyntheticDefinitionError('(root)', `is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateSyntheticDefinition(parsed);
}
