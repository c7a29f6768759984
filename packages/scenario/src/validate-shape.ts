import { durationProblem, parseDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import { describeValue, didYouMean, type FieldPath, type Issue } from './field-path.js';

/**
 * Checks a parsed document against a JSON Schema (the TypeBox schema of the format) and reports
 * every problem with its path, in words a user can act on. General validators (TypeBox's own,
 * ajv) say "Expected union value" for a bad fault; this walker picks the branch the user meant
 * (by `action`, or by the one key that names the kind, e.g. `poisson:`) and reports inside it.
 *
 * Supported keywords: type (object, array, string, number, integer, boolean), properties,
 * required, additionalProperties: false, patternProperties, items, minItems, maxItems,
 * uniqueItems, minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, const, anyOf; plus `x-zonesim: duration` and `x-expect` (see schema.ts).
 */
export function validateShape(schema: unknown, value: unknown, path: FieldPath = []): Issue[] {
  const issues: Issue[] = [];
  check(schema as Schema, value, path, issues);
  return issues;
}

interface Schema {
  type?: string;
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  'x-zonesim'?: string;
  'x-expect'?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function expected(schema: Schema): string {
  if (schema['x-expect']) return schema['x-expect'];
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf) return schema.anyOf.map(expected).join(' or ');
  switch (schema.type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return 'a value';
  }
}

function typeMatches(schema: Schema, value: unknown): boolean {
  if (schema['x-zonesim'] === 'duration') return typeof value === 'string' || typeof value === 'number';
  if (schema.const !== undefined) return typeof schema.const === typeof value;
  if (schema.anyOf) return schema.anyOf.some((b) => typeMatches(b, value));
  switch (schema.type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function invalid(issues: Issue[], path: FieldPath, detail: string): void {
  issues.push({ path, code: ScenarioErrorCode.InvalidValue, detail });
}

function check(schema: Schema, value: unknown, path: FieldPath, issues: Issue[]): void {
  if (schema['x-zonesim'] === 'duration') {
    if (parseDuration(value) === undefined) issues.push({ path, code: ScenarioErrorCode.Duration, detail: durationProblem(value) });
    return;
  }
  if (schema.anyOf) return checkUnion(schema, value, path, issues);
  if (schema.const !== undefined) {
    if (value !== schema.const) invalid(issues, path, `expected ${JSON.stringify(schema.const)}, got ${describeValue(value)}`);
    return;
  }
  if (schema.type === undefined) return;
  if (!typeMatches(schema, value) || (typeof value === 'number' && !Number.isFinite(value))) {
    invalid(issues, path, `expected ${expected(schema)}, got ${describeValue(value)}`);
    return;
  }
  switch (schema.type) {
    case 'object':
      return checkObject(schema, value as Record<string, unknown>, path, issues);
    case 'array':
      return checkArray(schema, value as unknown[], path, issues);
    case 'string':
      return checkString(schema, value as string, path, issues);
    case 'integer':
    case 'number':
      return checkNumber(schema, value as number, path, issues);
  }
}

function checkObject(schema: Schema, value: Record<string, unknown>, path: FieldPath, issues: Issue[]): void {
  const properties = schema.properties ?? {};
  const patterns = Object.entries(schema.patternProperties ?? {}).map(([p, s]) => [new RegExp(p), s] as const);
  for (const name of schema.required ?? []) {
    if (value[name] === undefined || value[name] === null) {
      issues.push({ path: [...path, ...(name in value ? [name] : [])], code: ScenarioErrorCode.MissingField, detail: `missing required field "${name}"` });
    }
  }
  for (const [key, v] of Object.entries(value)) {
    const sub = properties[key];
    if (sub) {
      if (v === undefined || (v === null && !(schema.required ?? []).includes(key))) {
        invalid(issues, [...path, key], `expected ${expected(sub)}, got nothing`);
      } else if (v !== null) {
        check(sub, v, [...path, key], issues);
      }
      continue;
    }
    const pattern = patterns.find(([re]) => re.test(key));
    if (pattern) {
      check(pattern[1], v, [...path, key], issues);
      continue;
    }
    if (schema.additionalProperties === false) {
      const known = Object.keys(properties);
      const guess = didYouMean(key, known);
      const detail = patterns.length > 0
        ? `"${key}" is not an allowed key (must match ${patterns.map(([re]) => re.source).join(' or ')})`
        : `unknown field "${key}"${guess ? ` (did you mean "${guess}"?)` : known.length ? ` (known: ${known.join(', ')})` : ''}`;
      issues.push({ path: [...path, key], code: ScenarioErrorCode.UnknownField, detail, at: 'key' });
    }
  }
}

function checkArray(schema: Schema, value: unknown[], path: FieldPath, issues: Issue[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) invalid(issues, path, `needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems) invalid(issues, path, `allows at most ${schema.maxItems} items, got ${value.length}`);
  if (schema.uniqueItems) {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) issues.push({ path: [...path, i], code: ScenarioErrorCode.Duplicate, detail: `${describeValue(item)} appears twice` });
      seen.add(key);
    });
  }
  if (schema.items) value.forEach((item, i) => check(schema.items!, item, [...path, i], issues));
}

function checkString(schema: Schema, value: string, path: FieldPath, issues: Issue[]): void {
  if (schema.minLength !== undefined && value.length < schema.minLength) invalid(issues, path, schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
  else if (schema.maxLength !== undefined && value.length > schema.maxLength) invalid(issues, path, `must be at most ${schema.maxLength} characters`);
  else if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) invalid(issues, path, `${describeValue(value)} is not ${expected(schema)}`);
}

function checkNumber(schema: Schema, value: number, path: FieldPath, issues: Issue[]): void {
  if (schema.type === 'integer' && !Number.isInteger(value)) return invalid(issues, path, `expected an integer, got ${value}`);
  if (schema.minimum !== undefined && value < schema.minimum) return invalid(issues, path, `must be >= ${schema.minimum}, got ${value}`);
  if (schema.maximum !== undefined && value > schema.maximum) return invalid(issues, path, `must be <= ${schema.maximum}, got ${value}`);
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return invalid(issues, path, `must be > ${schema.exclusiveMinimum}, got ${value}`);
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return invalid(issues, path, `must be < ${schema.exclusiveMaximum}, got ${value}`);
}

/** The key whose `const` tells object branches apart (e.g. `action`, `kind`), if there is one. */
function discriminator(branches: Schema[]): string | undefined {
  const first = branches[0]?.properties;
  if (!first) return undefined;
  return Object.keys(first).find((key) => branches.every((b) => b.properties?.[key]?.const !== undefined));
}

/** For each branch, a required key no other branch requires (e.g. `poisson`, `path`), if every branch has one. */
function namingKeys(branches: Schema[]): string[] | undefined {
  const keys: string[] = [];
  for (const b of branches) {
    const own = (b.required ?? []).find((k) => branches.every((o) => o === b || !(o.required ?? []).includes(k)));
    if (own === undefined) return undefined;
    keys.push(own);
  }
  return keys;
}

function checkUnion(schema: Schema, value: unknown, path: FieldPath, issues: Issue[]): void {
  const branches = schema.anyOf!;
  const objectBranches = branches.filter((b) => b.type === 'object');
  if (isObject(value) && objectBranches.length > 1) {
    const key = discriminator(objectBranches);
    if (key !== undefined) {
      const tag = value[key];
      const branch = objectBranches.find((b) => b.properties![key]!.const === tag);
      if (branch) return check(branch, value, path, issues);
      const allowed = objectBranches.map((b) => String(b.properties![key]!.const));
      if (tag === undefined || tag === null) issues.push({ path, code: ScenarioErrorCode.MissingField, detail: `missing required field "${key}" (one of ${allowed.join(', ')})` });
      else {
        const guess = typeof tag === 'string' ? didYouMean(tag, allowed) : undefined;
        invalid(issues, [...path, key], `${describeValue(tag)} is not one of ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
      }
      return;
    }
    const names = namingKeys(objectBranches);
    if (names) {
      const present = names.filter((n) => n in value);
      if (present.length === 1) return check(objectBranches[names.indexOf(present[0]!)]!, value, path, issues);
      if (present.length === 0) {
        const guessKey = Object.keys(value).map((k) => didYouMean(k, names)).find((g) => g !== undefined);
        issues.push({ path, code: ScenarioErrorCode.MissingField, detail: `needs one of ${names.join(', ')}${guessKey ? ` (did you mean "${guessKey}"?)` : ''}` });
      } else {
        invalid(issues, [...path, present[1]!], `give only one of ${present.join(', ')}`);
      }
      return;
    }
  }
  const candidates = branches.filter((b) => typeMatches(b, value));
  if (candidates.length === 0) {
    invalid(issues, path, `expected ${expected(schema)}, got ${describeValue(value)}`);
    return;
  }
  let best: Issue[] | undefined;
  for (const branch of candidates) {
    const found: Issue[] = [];
    check(branch, value, path, found);
    if (found.length === 0) return;
    if (!best || found.length < best.length) best = found;
  }
  // One plausible branch: its own words are the most precise. Several: say what was expected.
  if (candidates.length === 1 || !schema['x-expect']) issues.push(...best!);
  else invalid(issues, path, `expected ${expected(schema)}, got ${describeValue(value)}`);
}
