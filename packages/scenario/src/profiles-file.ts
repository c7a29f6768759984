import type { Distribution } from '@zonesim/common';
import { Document, YAMLMap, isCollection, type Node } from 'yaml';
import type { CalibrationResult, CalibrationSamples } from './calibrate.js';
import type { SyntheticSpec } from './types.js';

/**
 * The profiles file `zonesim calibrate` writes: function name -> profile, where each profile's
 * `synthetic` is exactly the scenario format's `synthetic:` block (paste it under a function) and
 * `memory` its `memory:`; `samples`, `versions` and `exact` say what it rests on. YAML by default
 * (what scenario files are), JSON for a `.json` file or `--json`.
 *
 * ```yaml
 * v: 1
 * source: { results: /abs/results/run-1, scenario: /abs/scenario.yaml, ledger: { files: 1, records: 642, truncatedLines: 0 } }
 * percentiles: [ 0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100 ]
 * functions:
 *   api:
 *     memory: 128
 *     synthetic:
 *       init: { kind: empirical, percentiles: { 0: 71.2, 1: 71.2, ..., 100: 88.4 } }
 *       duration: { kind: empirical, percentiles: { 0: 10.1, ..., 100: 14.9 } }
 *       memory: { kind: empirical, percentiles: { 0: 52, ..., 100: 61 } }
 *       errorRate: 0.05
 *     samples: { attempts: 320, ran: 320, coldStarts: 2, ... }
 *     versions: [ $LATEST ]
 *     exact: true
 * ```
 */

/** Version of the profiles file. */
export const PROFILES_FORMAT_VERSION = 1;

/** One function's entry of the profiles file. */
export interface ProfileEntry {
  /** MemorySize, MB: the scenario format's `memory:`. */
  memory: number;
  /** The scenario format's `synthetic:`; absent when nothing could be measured. */
  synthetic?: SyntheticSpec;
  samples: CalibrationSamples;
  versions: string[];
  exact: boolean;
}

/** The content of a profiles file. */
export interface ProfilesFile {
  v: typeof PROFILES_FORMAT_VERSION;
  source: { results: string; scenario?: string; ledger: { files: number; records: number; truncatedLines: number } };
  percentiles: number[];
  functions: Record<string, ProfileEntry>;
}

/** The profiles file's value for a calibration. */
export function profilesFile(result: CalibrationResult): ProfilesFile {
  const functions: Record<string, ProfileEntry> = {};
  for (const f of result.functions) {
    functions[f.name] = {
      memory: f.memoryMb,
      ...(f.synthetic && { synthetic: f.synthetic }),
      samples: f.samples,
      versions: f.versions,
      exact: f.exact,
    };
  }
  return {
    v: PROFILES_FORMAT_VERSION,
    source: { results: result.dir, ...(result.run?.file !== undefined && { scenario: result.run.file }), ledger: result.ledger },
    percentiles: [...result.percentiles],
    functions,
  };
}

/** The text of a profiles file, YAML (with a header comment) or JSON. */
export function formatProfiles(result: CalibrationResult, format: 'yaml' | 'json'): string {
  const value = profilesFile(result);
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const doc = new Document(value);
  doc.commentBefore = [
    ' zonesim calibrate: synthetic profiles measured from a run\'s ledger (docs/calibrate.md).',
    ' functions.<name>.synthetic is the scenario format\'s synthetic: block, memory its memory:.',
  ].join('\n');
  for (const f of result.functions) {
    if (f.synthetic) for (const key of ['init', 'duration', 'memory'] as const) doc.setIn(['functions', f.name, 'synthetic', key], distributionNode(doc, f.synthetic[key]));
    flow(doc.getIn(['functions', f.name, 'samples'], true));
    flow(doc.getIn(['functions', f.name, 'versions'], true));
  }
  flow(doc.get('percentiles', true));
  flow((doc.get('source', true) as YAMLMap).get('ledger', true));
  return doc.toString({ lineWidth: 0 });
}

function flow(node: unknown): void {
  if (isCollection(node)) node.flow = true;
}

/**
 * A distribution as one flow mapping, an empirical one with its percentiles as numbers in
 * increasing order (`{ 0: 1, 1: 1.2, ..., 99.9: 7, 100: 9 }`, as the scenario README writes them;
 * a JS object would put `99.9` after `100`).
 */
export function distributionNode(doc: Document, d: Distribution): Node {
  if (d.kind !== 'empirical') {
    const node = doc.createNode(d) as YAMLMap;
    node.flow = true;
    return node;
  }
  const percentiles = new YAMLMap();
  percentiles.flow = true;
  for (const [p, v] of Object.entries(d.percentiles).sort((a, b) => Number(a[0]) - Number(b[0]))) percentiles.add(doc.createPair(Number(p), v));
  const node = new YAMLMap();
  node.flow = true;
  node.add(doc.createPair('kind', 'empirical'));
  node.add(doc.createPair('percentiles', percentiles));
  return node;
}
