/**
 * The one table of archive refusals: each function builds the {@link CodeError} for one case, so
 * the wording users see lives in one place. Where Lambda has a known message it is used verbatim
 * ("Could not unzip uploaded file...", "Unzipped size must be smaller than 262144000 bytes"); the
 * cases Lambda does not spell out add one sentence after its generic unzip message.
 */
import { COULD_NOT_UNZIP, CodeError, CodeErrorCode } from './errors.js';

/** Quotes an entry name for a message; JSON escaping keeps NUL and control characters visible. */
function q(name: string): string {
  return JSON.stringify(name);
}

/** Not a zip, or a corrupt one (bad central directory, CRC or size mismatch). */
export function notAZip(detail: string, cause?: unknown, entryName?: string): CodeError {
  const fields = entryName === undefined ? { detail } : { detail, entryName };
  return new CodeError(CodeErrorCode.NotAZip, COULD_NOT_UNZIP, fields, { cause });
}

/** An entry name that would land outside the code directory, or cannot be a file name at all. */
export function unsafePath(entryName: string, reason: string): CodeError {
  return new CodeError(
    CodeErrorCode.UnsafePath,
    `${COULD_NOT_UNZIP} Entry ${q(entryName)} has an unsafe path (${reason}); ` +
      "every entry must stay inside the function's code directory.",
    { entryName, detail: reason },
  );
}

/** A symbolic link whose target leaves the code directory (or cannot be checked). */
export function unsafeSymlink(entryName: string, target: string, reason: string): CodeError {
  return new CodeError(
    CodeErrorCode.UnsafeSymlink,
    `${COULD_NOT_UNZIP} Entry ${q(entryName)} is a symbolic link to ${q(target)}, which ${reason}; ` +
      "links must point inside the function's code directory.",
    { entryName, target, detail: reason },
  );
}

/** An entry whose path goes through a symbolic link stored earlier or later in the same archive. */
export function writesThroughSymlink(entryName: string, link: string): CodeError {
  return new CodeError(
    CodeErrorCode.UnsafeSymlink,
    `${COULD_NOT_UNZIP} Entry ${q(entryName)} would be written through the symbolic link ${q(link)} ` +
      'stored in the same archive.',
    { entryName, target: link, detail: 'path goes through a symbolic link' },
  );
}

/** Lambda's own message for the unzipped quota. `observed` is a lower bound when inflation stopped early. */
export function tooLargeUnzipped(limit: number, observed: number): CodeError {
  return new CodeError(CodeErrorCode.TooLargeUnzipped, `Unzipped size must be smaller than ${limit} bytes`, {
    limit,
    observed,
  });
}

/** The archive is larger than the zipped quota (phrased like Lambda's unzipped message). */
export function tooLargeZipped(limit: number, observed: number): CodeError {
  return new CodeError(CodeErrorCode.TooLargeZipped, `Zipped size must be smaller than ${limit} bytes`, {
    limit,
    observed,
  });
}

/** More entries than allowed; refused from the end-of-central-directory count before reading any. */
export function tooManyEntries(limit: number, observed: number): CodeError {
  return new CodeError(
    CodeErrorCode.TooManyEntries,
    `${COULD_NOT_UNZIP} The archive has ${observed} entries; at most ${limit} are allowed.`,
    { limit, observed },
  );
}

/** An encrypted entry (zonesim has no password to decrypt it, and neither has Lambda). */
export function encrypted(entryName: string | undefined): CodeError {
  const which = entryName === undefined ? 'An entry' : `Entry ${q(entryName)}`;
  return new CodeError(
    CodeErrorCode.Encrypted,
    `${COULD_NOT_UNZIP} ${which} is encrypted; encrypted zip files are not supported.`,
    entryName === undefined ? {} : { entryName },
  );
}

/** Two entries for one path, or one path used as both a file and a directory. */
export function duplicateEntry(entryName: string, reason: string): CodeError {
  return new CodeError(CodeErrorCode.DuplicateEntry, `${COULD_NOT_UNZIP} Entry ${q(entryName)} ${reason}.`, {
    entryName,
    detail: reason,
  });
}

/** A compression method other than store (0) or deflate (8), e.g. bzip2 (12) or LZMA (14). */
export function unsupportedCompression(entryName: string, method: number): CodeError {
  return new CodeError(
    CodeErrorCode.UnsupportedCompression,
    `${COULD_NOT_UNZIP} Entry ${q(entryName)} uses compression method ${method}; ` +
      'only stored (0) and deflated (8) entries are supported.',
    { entryName, detail: `compression method ${method}` },
  );
}
