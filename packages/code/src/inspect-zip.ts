/**
 * `inspectZip`: the coordinator's check of an upload at CreateFunction / UpdateFunctionCode. It
 * inflates every entry (counting, never keeping the bytes) so that what it accepts is exactly what
 * `extractZip` will later write.
 */
import { Writable } from 'node:stream';
import { resolveZipLimits, type ZipLimits } from './limits.js';
import { sha256Base64, sha256Hex } from './sha256.js';
import { walkZip } from './zip-walker.js';

/** What an accepted archive contains. */
export interface ZipInfo {
  /** Lowercase hex SHA-256 of the archive bytes: the key in the code store. */
  sha256Hex: string;
  /** Base64 SHA-256 of the archive bytes: Lambda's `CodeSha256`. */
  sha256Base64: string;
  /** Archive size in bytes: Lambda's `CodeSize`. */
  codeSize: number;
  /** Inflated bytes (file contents and link targets), counted while inflating. */
  unzippedSize: number;
  /** Central-directory records, including directories. */
  entryCount: number;
  fileCount: number;
  directoryCount: number;
  symlinkCount: number;
  /** Normalised paths of the first `maxListedFiles` files and links, in archive order. */
  files: string[];
  /** True when more files and links exist than `files` lists. */
  filesTruncated: boolean;
}

/** Options for one call that are not limits. */
export interface ZipCallOptions {
  /** Aborts the check; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Checks a deployment package without writing anything.
 * @param buffer the uploaded archive.
 * @param limits size and count limits; Lambda's quotas by default.
 * @throws CodeError (`NOT_A_ZIP`, `UNSAFE_PATH`, `UNSAFE_SYMLINK`, `TOO_LARGE_UNZIPPED`,
 *   `TOO_LARGE_ZIPPED`, `TOO_MANY_ENTRIES`, `ENCRYPTED`, `DUPLICATE_ENTRY`, `UNSUPPORTED_COMPRESSION`)
 *   with a message fit for `InvalidParameterValueException`.
 */
export async function inspectZip(
  buffer: Uint8Array,
  limits?: ZipLimits,
  options: ZipCallOptions = {},
): Promise<ZipInfo> {
  const resolved = resolveZipLimits(limits);
  const data = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const summary = await walkZip(
    data,
    resolved,
    {
      // Bytes are counted and checked by the walker, then dropped: nothing is kept in memory.
      fileData: () => undefined,
      fileSink: () => new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    },
    options.signal,
  );
  return {
    sha256Hex: sha256Hex(data),
    sha256Base64: sha256Base64(data),
    codeSize: data.length,
    unzippedSize: summary.unzippedSize,
    entryCount: summary.entryCount,
    fileCount: summary.fileCount,
    directoryCount: summary.directoryCount,
    symlinkCount: summary.symlinkCount,
    files: summary.files,
    filesTruncated: summary.fileCount + summary.symlinkCount > summary.files.length,
  };
}
