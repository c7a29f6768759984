import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SYNTHETIC_DEFINITION_FILE,
  SeededRandom,
  parseSyntheticDefinition,
  sampler,
  type ResolvedSyntheticDefinition,
  type Sampler,
} from '@zonesim/common';

/** What one invocation of a synthetic function will do, drawn before it starts. */
export interface SyntheticInvocationDraw {
  /** Handler duration, ms (before the timeout or an out-of-memory kill cut it short). */
  durationMs: number;
  /** Peak memory of the invocation, MB. */
  memoryMb: number;
  /** True when the invocation fails as a handled function error. */
  fails: boolean;
}

/**
 * Where a synthetic environment finds its function's definition, given its code directory: the text
 * of `synthetic.json` (parsed and checked) or a definition already resolved. Throw an error with
 * `code: 'ENOENT'` when there is none (INIT then fails as `Synthetic.InvalidDefinition`, "not found").
 */
export type SyntheticDefinitionSource = (codeDir: string) => ResolvedSyntheticDefinition | string;

/** The real definition source: `synthetic.json` in the unpacked package. */
export function readSyntheticDefinition(codeDir: string): string {
  return readFileSync(join(codeDir, SYNTHETIC_DEFINITION_FILE), 'utf8');
}

/** Durations are kept to the microsecond, as REPORT prints two decimals of a millisecond. */
function roundUs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The draws of one synthetic environment. Every environment has its own generator seeded with
 * `${seed ?? specKey}:${environmentId}`, so a run is reproducible given its environment ids, and
 * separate streams for INIT, duration, memory and errors: changing the error rate does not change
 * which durations are drawn.
 */
export class SyntheticModel {
  readonly definition: ResolvedSyntheticDefinition;
  readonly seedKey: string;
  readonly #init: Sampler;
  readonly #duration: Sampler;
  readonly #memory: Sampler;
  readonly #initRandom: SeededRandom;
  readonly #durationRandom: SeededRandom;
  readonly #memoryRandom: SeededRandom;
  readonly #errorRandom: SeededRandom;

  constructor(definition: ResolvedSyntheticDefinition, specKey: string, environmentId: string) {
    this.definition = definition;
    this.seedKey = `${definition.seed ?? specKey}:${environmentId}`;
    this.#init = sampler(definition.init);
    this.#duration = sampler(definition.duration);
    this.#memory = sampler(definition.memory);
    const root = new SeededRandom(this.seedKey);
    this.#initRandom = root.fork('init');
    this.#durationRandom = root.fork('duration');
    this.#memoryRandom = root.fork('memory');
    this.#errorRandom = root.fork('error');
  }

  /**
   * The model of one environment, from the definition of the package in `codeDir`: by default
   * `synthetic.json` read from the unpacked package (a few hundred bytes, read once per
   * environment); a simulation passes its own `definitionOf`.
   * @throws SyntheticDefinitionError for a bad definition; an fs error (ENOENT) when the file is missing.
   */
  static load(codeDir: string, specKey: string, environmentId: string, definitionOf: SyntheticDefinitionSource = readSyntheticDefinition): SyntheticModel {
    const definition = definitionOf(codeDir);
    return new SyntheticModel(typeof definition === 'string' ? parseSyntheticDefinition(definition) : definition, specKey, environmentId);
  }

  /** INIT duration of this environment, ms. */
  drawInitMs(): number {
    return roundUs(this.#init(this.#initRandom));
  }

  /** The next invocation. Every stream is drawn every time, so the sequences stay aligned. */
  drawInvocation(): SyntheticInvocationDraw {
    const durationMs = roundUs(this.#duration(this.#durationRandom));
    const memoryMb = this.#memory(this.#memoryRandom);
    const fails = this.#errorRandom.next() < this.definition.errorRate;
    return { durationMs, memoryMb, fails };
  }
}
