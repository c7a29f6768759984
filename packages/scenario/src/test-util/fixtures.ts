import { fileURLToPath } from 'node:url';
import { parseScenario, type LoadResult } from '../load-scenario.js';
import type { ResolvedScenario } from '../types.js';

/** packages/scenario/test-fixtures/ */
export const FIXTURES = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
/** The scenario fixtures directory: relative paths in inline test scenarios start here. */
export const SCENARIO_DIR = `${FIXTURES}scenarios`;

/** Parses inline scenario text as if it were `test-fixtures/scenarios/<file>`. */
export function parse(text: string, file = 'sim-scenarios/test.yaml'): Promise<LoadResult> {
  return parseScenario(text, { file, baseDir: SCENARIO_DIR });
}

/** Parses inline text that must be valid; throws with the errors otherwise. */
export async function resolved(text: string): Promise<ResolvedScenario> {
  const r = await parse(text);
  if (!r.scenario) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.scenario;
}

/** Joins lines into YAML text (so that tests can count lines). */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** A small valid scenario head: 3 zones, one synthetic function `fn`, 60 s load. */
export const HEAD = [
  'name: t',
  'duration: 60s',
  'functions:',
  '  - name: fn',
  '    synthetic: { duration: 10 }',
];
