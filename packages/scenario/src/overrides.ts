import { isMap, isScalar, isSeq, parse as parseYamlValue, type Document } from 'yaml';
import { formatPath, isPrefix, type FieldPath } from './field-path.js';

/**
 * Overrides of scenario fields given on the command line (`zonesim run --set`, `zonesim sweep
 * --set`): `cluster.heartbeat=100ms`, `functions[0].memory=512`, `faults[1].at=20s`. They are
 * applied to the YAML document before it is checked, so an override is held to every rule a value
 * written in the file is, and a problem in one names the `--set` it came from.
 */

/** One field set to one value. */
export interface ScenarioOverride {
  /** Where, from the document's root. */
  path: FieldPath;
  /** The value as typed (a YAML value: `100ms`, `512`, `true`, `[a, b]`, `{kind: constant, value: 5}`). */
  text: string;
  /** The value parsed as YAML. */
  value: unknown;
}

/** A `--set` argument that cannot be read (before any scenario is looked at). */
export class OverrideSyntaxError extends Error {
  override readonly name = 'OverrideSyntaxError';
  readonly code = 'OVERRIDE_SYNTAX' as const;
  constructor(readonly argument: string, detail: string) {
    super(`--set ${argument}: ${detail}`);
  }
}

const SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/** Reads `cluster.heartbeat`, `functions[0].synthetic.duration`, `a["odd key"]` into a path. */
export function parseFieldPath(text: string, argument = text): FieldPath {
  const path: Array<string | number> = [];
  let rest = text.trim();
  if (rest.length === 0) throw new OverrideSyntaxError(argument, 'the field path is empty (e.g. cluster.heartbeat=100ms)');
  let first = true;
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close < 0) throw new OverrideSyntaxError(argument, `"[" without "]" in ${text}`);
      const inner = rest.slice(1, close).trim();
      if (/^\d+$/.test(inner)) path.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) path.push(JSON.parse(inner) as string);
      else throw new OverrideSyntaxError(argument, `[${inner}] in ${text}: an index is a number (functions[0]) or a quoted key (["a key"])`);
      rest = rest.slice(close + 1);
    } else {
      if (!first) {
        if (!rest.startsWith('.')) throw new OverrideSyntaxError(argument, `expected "." or "[" at "${rest}" in ${text}`);
        rest = rest.slice(1);
      }
      const m = SEGMENT.exec(rest);
      if (!m) throw new OverrideSyntaxError(argument, `expected a field name at "${rest}" in ${text}`);
      path.push(m[0]);
      rest = rest.slice(m[0].length);
    }
    first = false;
  }
  return path;
}

function parseValue(text: string, argument: string): unknown {
  if (text.trim().length === 0) throw new OverrideSyntaxError(argument, 'the value is empty');
  try {
    return parseYamlValue(text);
  } catch (err) {
    throw new OverrideSyntaxError(argument, `the value is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function splitArgument(argument: string): { path: FieldPath; valueText: string } {
  const eq = argument.indexOf('=');
  if (eq < 0) throw new OverrideSyntaxError(argument, 'expected FIELD=VALUE (e.g. cluster.heartbeat=100ms)');
  return { path: parseFieldPath(argument.slice(0, eq), argument), valueText: argument.slice(eq + 1) };
}

/** `zonesim run --set FIELD=VALUE`: one override (the whole text after `=` is the value). */
export function parseOverride(argument: string): ScenarioOverride {
  const { path, valueText } = splitArgument(argument);
  return { path, text: valueText.trim(), value: parseValue(valueText, argument) };
}

/**
 * `zonesim sweep --set FIELD=V1,V2,...`: one axis of a grid, one override per value. Values are
 * split at commas outside brackets, braces and quotes, so `x=[1, 2],[3]` is two lists.
 */
export function parseOverrideAxis(argument: string): { path: FieldPath; values: ScenarioOverride[] } {
  const { path, valueText } = splitArgument(argument);
  const texts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < valueText.length; i++) {
    const c = valueText[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      texts.push(valueText.slice(start, i));
      start = i + 1;
    }
  }
  texts.push(valueText.slice(start));
  const values = texts.map((t) => ({ path, text: t.trim(), value: parseValue(t, argument) }));
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v.text)) throw new OverrideSyntaxError(argument, `the value ${v.text} is given twice`);
    seen.add(v.text);
  }
  return { path, values };
}

/** `cluster.heartbeat=100ms`: how an override is shown and given back to `--set`. */
export function formatOverride(o: ScenarioOverride): string {
  return `${formatPath(o.path)}=${o.text}`;
}

/** The override whose field is `path` or one of its parents (the last given wins). */
export function overrideAt(overrides: readonly ScenarioOverride[], path: FieldPath): ScenarioOverride | undefined {
  for (let i = overrides.length - 1; i >= 0; i--) if (isPrefix(overrides[i]!.path, path)) return overrides[i];
  return undefined;
}

/**
 * Sets each override's field in the YAML document, creating missing mappings on the way. Returns
 * a problem per override that cannot be placed: an index past the end of a list, a key into a
 * list, a field under a plain value.
 */
export function applyOverrides(doc: Document, overrides: readonly ScenarioOverride[]): Array<{ override: ScenarioOverride; detail: string }> {
  const problems: Array<{ override: ScenarioOverride; detail: string }> = [];
  for (const o of overrides) {
    let node: unknown = doc.contents;
    let problem: string | undefined;
    for (let i = 0; i < o.path.length - 1 && node !== undefined && node !== null; i++) {
      const part = o.path[i]!;
      const here = formatPath(o.path.slice(0, i)) || 'the document';
      if (isSeq(node)) {
        if (typeof part !== 'number') problem = `${here} is a list: address an item by its index (${formatPath([...o.path.slice(0, i), 0])})`;
        else if (part >= node.items.length) problem = `${formatPath(o.path.slice(0, i + 1))}: ${here} has ${node.items.length} item${node.items.length === 1 ? '' : 's'}`;
      } else if (isMap(node)) {
        if (typeof part === 'number') problem = `${here} is a mapping, not a list: [${part}] does not address a field of it`;
      } else if (isScalar(node) && node.value !== null) {
        problem = `${here} is a plain value, it has no field ${String(part)}`;
      }
      if (problem) break;
      node = isSeq(node) || isMap(node) ? node.get(part, true) : undefined;
    }
    if (!problem) {
      const last = o.path[o.path.length - 1]!;
      const parent = o.path.length > 1 ? doc.getIn(o.path.slice(0, -1), true) : doc.contents;
      if (isSeq(parent) && (typeof last !== 'number' || last >= parent.items.length)) {
        problem = typeof last === 'number' ? `${formatPath(o.path)}: ${formatPath(o.path.slice(0, -1))} has ${parent.items.length} item${parent.items.length === 1 ? '' : 's'}` : `${formatPath(o.path.slice(0, -1))} is a list: address an item by its index`;
      } else if (isMap(parent) && typeof last === 'number') {
        problem = `${formatPath(o.path.slice(0, -1)) || 'the document'} is a mapping, not a list`;
      } else if (isScalar(parent) && parent.value !== null) {
        problem = `${formatPath(o.path.slice(0, -1))} is a plain value, it has no field ${String(last)}`;
      }
    }
    if (!problem) {
      try {
        doc.setIn(o.path, doc.createNode(o.value));
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (problem) problems.push({ override: o, detail: problem });
  }
  return problems;
}
