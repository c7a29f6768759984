import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { DistributionError, validateDistribution, type Distribution } from '@zonesim/common';
import { parseDuration } from './duration.js';
import { ScenarioErrorCode } from './errors.js';
import { isPrefix, type FieldPath, type Issue } from './field-path.js';

/** A plain object from the document (the shape check has passed for it). */
export type Raw = Record<string, unknown>;

/**
 * What the resolve steps share: where the file is, the shape problems already found (so that a
 * broken part is not checked again into a cascade of follow-on errors), and the lists problems
 * and warnings go to.
 */
export class ResolveContext {
  readonly issues: Issue[] = [];
  readonly warnings: Issue[] = [];

  constructor(
    /** Directory of the scenario file: relative paths start here. */
    readonly baseDir: string,
    readonly shapeIssues: readonly Issue[],
  ) {}

  /** True when the shape check found a problem at, inside or above `path`. */
  broken(path: FieldPath): boolean {
    return this.shapeIssues.some((i) => isPrefix(path, i.path) || isPrefix(i.path, path));
  }

  /** True when the shape check found a problem at `path` itself or above it (not inside it). */
  brokenAt(path: FieldPath): boolean {
    return this.shapeIssues.some((i) => isPrefix(i.path, path));
  }

  error(path: FieldPath, code: Issue['code'], detail: string, at: Issue['at'] = 'value'): void {
    this.issues.push({ path, code, detail, at });
  }

  warn(path: FieldPath, detail: string): void {
    this.warnings.push({ path, code: ScenarioErrorCode.InvalidValue, detail });
  }

  /** A duration already checked by the shape step, in ms (0 when absent and no default). */
  ms(value: unknown, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    return parseDuration(value) ?? fallback;
  }

  /** A duration that must be more than 0 (reports 0); `fallback` when absent or bad. */
  positiveMs(value: unknown, path: FieldPath, fallback: number): number {
    const ms = this.ms(value, fallback);
    if (ms <= 0 && value !== undefined && !this.broken(path)) {
      this.error(path, ScenarioErrorCode.Duration, 'must be more than 0');
      return fallback;
    }
    return ms;
  }

  /** A duration in whole seconds within [min, max]; reports otherwise. */
  seconds(value: unknown, path: FieldPath, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const ms = this.ms(value, NaN);
    if (!Number.isFinite(ms)) return undefined;
    if (ms % 1000 !== 0 || ms < min * 1000 || ms > max * 1000) {
      this.error(path, ScenarioErrorCode.Duration, `must be whole seconds from ${min}s to ${max}s, got ${String(value)}`);
      return undefined;
    }
    return ms / 1000;
  }

  /** An absolute path for a path relative to the scenario file. */
  path(value: string): string {
    return isAbsolute(value) ? value : resolve(this.baseDir, value);
  }

  /** Checks that a file or folder exists; returns what it is. */
  async exists(path: FieldPath, absolute: string, want: 'file' | 'folder-or-zip'): Promise<'file' | 'folder' | undefined> {
    try {
      const s = await stat(absolute);
      if (want === 'file' && !s.isFile()) {
        this.error(path, ScenarioErrorCode.Path, `${absolute} is not a file`);
        return undefined;
      }
      if (want === 'folder-or-zip' && !s.isDirectory() && !(s.isFile() && absolute.toLowerCase().endsWith('.zip'))) {
        this.error(path, ScenarioErrorCode.Path, `${absolute} is neither a folder nor a .zip file`);
        return undefined;
      }
      return s.isDirectory() ? 'folder' : 'file';
    } catch {
      this.error(path, ScenarioErrorCode.Path, `${absolute} does not exist`);
      return undefined;
    }
  }

  /** A distribution (bare number = constant), checked; reports the bad parameter. */
  distribution(value: unknown, path: FieldPath): Distribution | undefined {
    if (value === undefined) return undefined;
    const d: Distribution = typeof value === 'number' ? { kind: 'constant', value } : (value as Distribution);
    try {
      return validateDistribution(d);
    } catch (err) {
      if (err instanceof DistributionError || (err as { code?: unknown }).code === 'INVALID_DISTRIBUTION') {
        const field = (err as DistributionError).field;
        const sub = typeof value === 'object' ? field.split('.') : [];
        this.error([...path, ...sub], ScenarioErrorCode.Distribution, (err as Error).message);
        return undefined;
      }
      throw err;
    }
  }

  /** Reports a name that is not among `known`. */
  reference(path: FieldPath, what: string, name: string, known: readonly string[]): boolean {
    if (known.includes(name)) return true;
    const list = known.length > 8 ? `${known.slice(0, 8).join(', ')}, ...` : known.join(', ');
    this.error(path, ScenarioErrorCode.UnknownReference, `unknown ${what} "${name}" (${known.length ? `known: ${list}` : `there are no ${what}s`})`);
    return false;
  }
}
