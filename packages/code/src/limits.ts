/**
 * Size and count limits for deployment packages: the public {@link ZipLimits} (all optional), the
 * `DEFAULT_*` constants, and {@link resolveZipLimits}, which fills defaults and validates once.
 */

/** Lambda's direct-upload (`Code.ZipFile`) quota: 50 MB = 52,428,800 bytes. */
export const DEFAULT_MAX_ZIPPED_BYTES = 50 * 1024 * 1024;

/** Lambda's unzipped quota (function code and layers): 250 MB = 262,144,000 bytes. */
export const DEFAULT_MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;

/**
 * Most entries accepted in one archive. Lambda publishes no such quota; this bounds the work and the
 * memory one upload can cost (one small record per entry is kept while checking).
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** How many entry names {@link ZipInfo.files} lists. */
export const DEFAULT_MAX_LISTED_FILES = 1_000;

/** Limits for inspecting or extracting one archive. Every field is optional. */
export interface ZipLimits {
  /**
   * Largest archive accepted, in bytes.
   * @default 52428800 ({@link DEFAULT_MAX_ZIPPED_BYTES})
   */
  maxZippedBytes?: number;
  /**
   * Largest total of inflated bytes accepted (file contents and link targets, counted while
   * inflating, never taken from the headers).
   * @default 262144000 ({@link DEFAULT_MAX_UNZIPPED_BYTES})
   */
  maxUnzippedBytes?: number;
  /**
   * Most entries (files, directories and links) accepted.
   * @default 100000 ({@link DEFAULT_MAX_ENTRIES})
   */
  maxEntries?: number;
  /**
   * How many names `inspectZip` returns in `files` (the rest are only counted).
   * @default 1000 ({@link DEFAULT_MAX_LISTED_FILES})
   */
  maxListedFiles?: number;
}

/** {@link ZipLimits} with every default filled in. */
export type ResolvedZipLimits = Readonly<Required<ZipLimits>>;

function checkCount(field: keyof ZipLimits, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`ZipLimits.${field} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Fills defaults and validates eagerly, naming the bad field. Resolving an already-resolved value is
 * cheap, so functions accept either.
 * @throws RangeError when a field is not a non-negative safe integer (limits of 0 are allowed).
 */
export function resolveZipLimits(limits: ZipLimits = {}): ResolvedZipLimits {
  return Object.freeze({
    maxZippedBytes: checkCount('maxZippedBytes', limits.maxZippedBytes ?? DEFAULT_MAX_ZIPPED_BYTES, 0),
    maxUnzippedBytes: checkCount('maxUnzippedBytes', limits.maxUnzippedBytes ?? DEFAULT_MAX_UNZIPPED_BYTES, 0),
    maxEntries: checkCount('maxEntries', limits.maxEntries ?? DEFAULT_MAX_ENTRIES, 0),
    maxListedFiles: checkCount('maxListedFiles', limits.maxListedFiles ?? DEFAULT_MAX_LISTED_FILES, 0),
  });
}
