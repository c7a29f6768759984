import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Pair, isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import type { FunctionProfile } from './calibrate.js';
import { CalibrationError, CalibrationErrorCode } from './calibration-errors.js';
import { distributionNode } from './profiles-file.js';

/**
 * The second half of `zonesim calibrate` (issue 16): the scenario a run used, rewritten so that
 * every function with code (`path:`) becomes a synthetic function with its calibrated profile. The
 * file is edited as a YAML document, not regenerated: comments, order, workload, faults,
 * hypotheses and every other setting of a function (memory, timeout, environment, concurrency,
 * triggers ...) stay as written. The scenario's name gets `-calibrated`, so results of the two
 * runs are told apart, and relative paths (code kept as is, traces, `$schema`) are rewritten for
 * the new file's directory.
 */

/** Appended to the scenario's name. */
export const CALIBRATED_NAME_SUFFIX = '-calibrated';
/** Longest scenario name (schema.ts `Name`). */
const MAX_NAME = 64;

/** Settings of {@link calibrateScenarioText}. */
export interface CalibrateScenarioOptions {
  /** The scenario file the text was read from: its relative paths are relative to its directory. */
  sourceFile: string;
  /** Where the new text will be written: relative paths are rewritten for its directory. */
  outFile: string;
  /** The results directory the profiles came from, named in the header comment. */
  resultsDir?: string;
}

/** A function of the scenario left as it was, and why. */
export interface KeptFunction {
  name: string;
  reason: 'synthetic' | 'not-invoked' | 'no-profile';
}

/** The rewritten scenario. */
export interface CalibratedScenario {
  text: string;
  /** Code functions now synthetic. */
  replaced: string[];
  /** Functions left as they were. */
  kept: KeptFunction[];
  /** One line per code function that could not be calibrated (never invoked, nothing ran). */
  warnings: string[];
}

/**
 * Rewrites a scenario's text with calibrated profiles (see the module comment). Functions made
 * from a trace (`functions: synthetic`) are synthetic already and are not in the file's list.
 * @throws CalibrationError `CALIBRATE_SCENARIO` when the text is not a YAML mapping.
 */
export function calibrateScenarioText(text: string, profiles: readonly FunctionProfile[], options: CalibrateScenarioOptions): CalibratedScenario {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new CalibrationError(CalibrationErrorCode.Scenario, options.sourceFile, `${options.sourceFile} is not a scenario (${doc.errors[0]?.message.split('\n')[0] ?? 'not a YAML mapping'})`);
  }
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const fromDir = dirname(resolve(options.sourceFile));
  const toDir = dirname(resolve(options.outFile));
  const repath = (p: string): string => {
    if (isAbsolute(p) || fromDir === toDir) return p;
    const target = resolve(fromDir, p);
    const r = relative(toDir, target);
    // Up to the root and down again (/tmp/x -> /home/...) says nothing a reader can use: absolute.
    const ups = r.split(sep).filter((part) => part === '..').length;
    if (ups > 0 && ups >= toDir.split(sep).filter(Boolean).length) return target;
    return r.startsWith('.') ? r : `./${r}`;
  };
  const out: CalibratedScenario = { text: '', replaced: [], kept: [], warnings: [] };

  const functions = doc.get('functions', true);
  for (const item of isSeq(functions) ? functions.items : []) {
    if (!isMap(item)) continue;
    const name = scalarText(item.get('name', true));
    if (name === undefined) continue;
    if (!item.has('path')) {
      out.kept.push({ name, reason: 'synthetic' });
      continue;
    }
    const profile = byName.get(name);
    if (profile?.synthetic === undefined) {
      const reason = profile === undefined ? 'not-invoked' : 'no-profile';
      out.kept.push({ name, reason });
      out.warnings.push(
        reason === 'not-invoked'
          ? `${name}: never invoked in the run (no ledger record): left as is, with its code`
          : `${name}: invoked but nothing could be measured (no attempt ran, or none reported a duration): left as is, with its code`,
      );
      rewritePath(item, 'path', repath);
      continue;
    }
    replaceWithSynthetic(doc, item, profile);
    out.replaced.push(name);
  }

  const workload = doc.get('workload', true);
  for (const entry of isSeq(workload) ? workload.items : []) {
    const trace = isMap(entry) ? entry.getIn(['arrival', 'trace'], true) : undefined;
    if (isMap(trace)) for (const key of ['path', 'durations', 'memory']) rewritePath(trace, key, repath);
  }
  const schema = scalarText(doc.get('$schema', true));
  if (schema !== undefined && !/^[a-z]+:/i.test(schema)) doc.set('$schema', repath(schema));
  // A header comment with no blank line after it belongs to the first key; it is the file's all the same.
  let header = doc.commentBefore ?? '';
  const firstKey = doc.contents.items[0]?.key;
  if (header === '' && isScalar(firstKey) && firstKey.commentBefore) {
    header = firstKey.commentBefore;
    firstKey.commentBefore = undefined;
  }
  const rewritten = header.replace(/(yaml-language-server:\s*\$schema=)(\S+)/, (_, lead: string, p: string) => (/^[a-z]+:/i.test(p) ? `${lead}${p}` : `${lead}${repath(p)}`));
  const name = scalarText(doc.get('name', true));
  if (name !== undefined) doc.set('name', `${name.slice(0, MAX_NAME - CALIBRATED_NAME_SUFFIX.length)}${CALIBRATED_NAME_SUFFIX}`);
  const note = [
    ` Calibrated by zonesim calibrate${options.resultsDir ? ` from ${options.resultsDir}` : ''} (docs/calibrate.md):`,
    out.replaced.length > 0 ? ` ${out.replaced.join(', ')} ${out.replaced.length === 1 ? 'is' : 'are'} now synthetic, with the profile measured in that run.` : ' no function with code was replaced (synthetic functions are kept as written).',
  ];
  // The yaml-language-server line must stay the first line for editors to see it.
  const lines = rewritten === '' ? [] : rewritten.split('\n');
  const first = lines[0]?.includes('yaml-language-server') ? [lines.shift()!, ''] : [];
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  doc.commentBefore = [...first, ...note, ...(lines.length > 0 ? ['', ...lines] : [])].join('\n');
  out.text = doc.toString({ lineWidth: 0 });
  return out;
}

/** Swaps `path`, `handler` and `runtime` for `synthetic:` in place (where `path:` was). */
function replaceWithSynthetic(doc: Document, fn: YAMLMap, profile: FunctionProfile): void {
  const spec = profile.synthetic!;
  const was = ['path', 'handler', 'runtime'].flatMap((k) => {
    const v = scalarText(fn.get(k, true));
    return v === undefined ? [] : [`${k} ${v}`];
  });
  const synthetic = doc.createNode({}) as YAMLMap;
  synthetic.set('init', distributionNode(doc, spec.init));
  synthetic.set('duration', distributionNode(doc, spec.duration));
  synthetic.set('memory', distributionNode(doc, spec.memory));
  synthetic.set('errorRate', spec.errorRate);
  const s = profile.samples;
  const key = doc.createNode('synthetic');
  key.commentBefore = ` calibrated: ${s.ran} attempts ran, ${s.coldStarts} cold, ${s.functionErrors} function errors (was ${was.join(', ')})`;
  const at = fn.items.findIndex((p) => scalarText(p.key) === 'path');
  fn.items.splice(at, 1, new Pair(key, synthetic));
  fn.delete('handler');
  fn.delete('runtime');
}

function rewritePath(map: YAMLMap, key: string, repath: (p: string) => string): void {
  const value = scalarText(map.get(key, true));
  if (value !== undefined) map.set(key, repath(value));
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}
