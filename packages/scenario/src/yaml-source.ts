import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ScenarioError, ScenarioErrorCode } from './errors.js';
import { formatPath, type FieldPath, type Issue } from './field-path.js';
import { applyOverrides, formatOverride, overrideAt, type ScenarioOverride } from './overrides.js';

/**
 * A scenario file parsed with its source positions, so that every problem found later in the
 * plain value can be reported at its line and column.
 */
export interface YamlSource {
  /** The file as the user named it (for messages). */
  file: string;
  /** The plain JS value of the document (undefined when it did not parse). */
  value: unknown;
  /** Syntax errors (YAML 1.2; duplicate keys are errors). */
  errors: ScenarioError[];
  /** Turns an issue found in `value` into an error with a place. */
  toError(issue: Issue): ScenarioError;
}

/**
 * Parses YAML text, then sets each override's field (`--set`). A problem in a field an override set
 * names the `--set` instead of a line of the file.
 */
export function parseYamlSource(text: string, file: string, overrides: readonly ScenarioOverride[] = []): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const errors = doc.errors.map((err) => {
    const pos = err.linePos?.[0];
    return new ScenarioError({
      code: ScenarioErrorCode.Yaml,
      file,
      line: pos?.line ?? 0,
      column: pos?.col ?? 0,
      field: '',
      detail: (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, ''),
    });
  });
  if (errors.length === 0 && overrides.length > 0) {
    for (const p of applyOverrides(doc, overrides)) {
      errors.push(new ScenarioError({ code: ScenarioErrorCode.InvalidValue, file: `--set ${formatOverride(p.override)}`, line: 0, column: 0, field: '', detail: p.detail }));
    }
  }
  const value = errors.length === 0 ? doc.toJS({ maxAliasCount: 1000 }) : undefined;
  return {
    file,
    value,
    errors,
    toError(issue: Issue): ScenarioError {
      const set = overrideAt(overrides, issue.path);
      if (set) return new ScenarioError({ code: issue.code, file: `--set ${formatOverride(set)}`, line: 0, column: 0, field: formatPath(issue.path), detail: issue.detail });
      const offset = locate(doc, issue.path, issue.at ?? 'value');
      const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
      return new ScenarioError({ code: issue.code, file, line: pos.line, column: pos.col, field: formatPath(issue.path), detail: issue.detail });
    },
  };
}

/**
 * The source offset of the node at `path`: its key (`at: 'key'`) or its value. When the path
 * goes past what the document has (a missing field), the deepest existing node is used, which
 * is where the missing field belongs.
 */
function locate(doc: Document, path: FieldPath, at: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const part = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(part));
      if (!pair) return offset;
      if (last && at === 'key') return rangeStart(pair.key) ?? offset;
      const valueStart = rangeStart(pair.value);
      // An empty value (`at:`) has a zero-width range; the key is the better place.
      offset = valueStart !== undefined && !(isScalar(pair.value) && pair.value.value === null) ? valueStart : (rangeStart(pair.key) ?? offset);
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) return offset;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0] ?? undefined;
}
