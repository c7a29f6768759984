/**
 * Errors of the code package, in two categories:
 *
 * - {@link CodeError}: the uploaded archive itself is unacceptable. The message is written for the
 *   person who uploaded it, in Lambda's words; the coordinator turns any `CodeError` into
 *   `InvalidParameterValueException` with this message.
 * - {@link CodeStoreError}: the store or the zone-node cache failed (bad digest, fetch failure). These
 *   are platform faults, never the uploader's, so they are kept out of `CodeError` on purpose.
 *
 * I/O failures (ENOSPC, EACCES) and aborts pass through unchanged: they are neither.
 * Across packages, tell errors apart by `name` and `code` ({@link isCodeError}), not `instanceof`.
 */

/** Why an archive was refused. Stable strings: other packages and tests match on them. */
export const CodeErrorCode = {
  /** Not a zip at all, or corrupt: bad or truncated central directory, bad CRC, size mismatch. */
  NotAZip: 'NOT_A_ZIP',
  /** An entry name would land outside the code directory (`..`, absolute, drive letter, `\`, NUL). */
  UnsafePath: 'UNSAFE_PATH',
  /** A symbolic link points outside the code directory, or an entry would be written through one. */
  UnsafeSymlink: 'UNSAFE_SYMLINK',
  /** The inflated bytes passed the unzipped limit (Lambda: 250 MB). */
  TooLargeUnzipped: 'TOO_LARGE_UNZIPPED',
  /** The archive itself is larger than the zipped limit (Lambda: 50 MB for a direct upload). */
  TooLargeZipped: 'TOO_LARGE_ZIPPED',
  /** The archive has more entries than allowed. */
  TooManyEntries: 'TOO_MANY_ENTRIES',
  /** An entry is encrypted (traditional PKWARE or strong encryption). */
  Encrypted: 'ENCRYPTED',
  /** Two entries map to the same path, or one path is both a file and a directory. */
  DuplicateEntry: 'DUPLICATE_ENTRY',
  /** An entry uses a compression method other than store (0) or deflate (8). */
  UnsupportedCompression: 'UNSUPPORTED_COMPRESSION',
} as const;

/** One of the values of {@link CodeErrorCode}. */
export type CodeErrorCode = (typeof CodeErrorCode)[keyof typeof CodeErrorCode];

/** Structured facts about a refusal, so callers need not parse the message. */
export interface CodeErrorFields {
  /** The entry name as stored in the archive, when one entry is at fault. */
  entryName?: string;
  /** The symbolic link's target, for `UNSAFE_SYMLINK`. */
  target?: string;
  /** The limit that was passed, for the `TOO_*` codes. */
  limit?: number;
  /**
   * What was seen: bytes inflated so far (a lower bound: checking stops at the first chunk past the
   * limit), bytes the headers declare, archive bytes, or entry count.
   */
  observed?: number;
  /** A short technical reason, for logs (e.g. the zip reader's own message). */
  detail?: string;
}

/** Lambda's wording when it cannot read an upload; every archive refusal starts with it. */
export const COULD_NOT_UNZIP = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

/**
 * The uploaded archive is unacceptable. `message` reads like Lambda's `InvalidParameterValueException`
 * message; `code` and the {@link CodeErrorFields} say what exactly was wrong.
 */
export class CodeError extends Error implements CodeErrorFields {
  override readonly name = 'CodeError';
  readonly code: CodeErrorCode;
  readonly entryName?: string;
  readonly target?: string;
  readonly limit?: number;
  readonly observed?: number;
  readonly detail?: string;

  constructor(code: CodeErrorCode, message: string, fields: CodeErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Only set what is known, so `t.same`/JSON output shows no undefined keys.
    if (fields.entryName !== undefined) this.entryName = fields.entryName;
    if (fields.target !== undefined) this.target = fields.target;
    if (fields.limit !== undefined) this.limit = fields.limit;
    if (fields.observed !== undefined) this.observed = fields.observed;
    if (fields.detail !== undefined) this.detail = fields.detail;
  }
}

/** Why a store or cache operation failed. */
export const CodeStoreErrorCode = {
  /** A digest argument is not 64 lowercase hex characters (it is also a path component, so it is checked). */
  InvalidSha256: 'INVALID_SHA256',
  /** The fetched bytes do not hash to the digest that was asked for. */
  Sha256Mismatch: 'SHA256_MISMATCH',
  /** The fetch function threw; `cause` holds its error. */
  FetchFailed: 'CODE_FETCH_FAILED',
  /** `pin` was called for code that is not unpacked in the cache. */
  NotCached: 'NOT_CACHED',
} as const;

/** One of the values of {@link CodeStoreErrorCode}. */
export type CodeStoreErrorCode = (typeof CodeStoreErrorCode)[keyof typeof CodeStoreErrorCode];

/** The code store or cache failed; a platform fault (zone nodes report it as `CODE_UNAVAILABLE`). */
export class CodeStoreError extends Error {
  override readonly name = 'CodeStoreError';
  readonly code: CodeStoreErrorCode;
  /** The digest involved (as given, even when invalid). */
  readonly sha256: string;
  /** For `SHA256_MISMATCH`: the digest of what was actually fetched. */
  readonly actualSha256?: string;

  constructor(
    code: CodeStoreErrorCode,
    message: string,
    fields: { sha256: string; actualSha256?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.sha256 = fields.sha256;
    if (fields.actualSha256 !== undefined) this.actualSha256 = fields.actualSha256;
  }
}

const CODE_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(CodeErrorCode));

/**
 * True when `err` is an archive refusal ({@link CodeError}), judged by `name` and `code` so it also
 * works for errors from another copy of this package.
 */
export function isCodeError(err: unknown): err is CodeError {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'CodeError' && typeof code === 'string' && CODE_ERROR_CODES.has(code);
}
