/**
 * `inspectZip`: the coordinator's check of an upload at CreateFunction / UpdateFunctionCode. It
 * inflates every entry (counting, never keeping the bytes) so that what it accepts is exactly what
 * `extractZip` will later write.
 */
import { Writable } from 'node:stream';
import { resolveZipLimits, type ZipLimits } from './limits.js';
import { sha256Digests } from './sha256.js';
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
  /**
   * Contents of the files named in {@link ZipCallOptions.readFiles} that the archive holds and that
   * are small (at most 256 KiB inflated); absent when nothing was asked for.
   */
  contents?: Map<string, Buffer>;
}

/** Options for one call that are not limits. */
export interface ZipCallOptions {
  /** Aborts the check; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Normalised paths (`synthetic.json`, `dir/file.json`) of small files whose contents to keep in
   * {@link ZipInfo.contents}, read in the same pass that checks them (e.g. a synthetic function's
   * definition). @default none
   */
  readFiles?: readonly string[];
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
  const wanted = new Set(options.readFiles ?? []);
  const contents = new Map<string, Buffer>();
  const summary = await walkZip(
    data,
    resolved,
    {
      // Bytes are counted and checked by the walker, then dropped: nothing is kept in memory but
      // the few small files the caller asked for.
      fileData: (entry, bytes) => {
        if (wanted.has(entry.path)) contents.set(entry.path, Buffer.from(bytes));
      },
      fileSink: () => new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    },
    options.signal,
  );
  const digest = sha256Digests(data);
  return {
    sha256Hex: digest.hex,
    sha256Base64: digest.base64,
    codeSize: data.length,
    unzippedSize: summary.unzippedSize,
    entryCount: summary.entryCount,
    fileCount: summary.fileCount,
    directoryCount: summary.directoryCount,
    symlinkCount: summary.symlinkCount,
    files: summary.files,
    filesTruncated: summary.fileCount + summary.symlinkCount > summary.files.length,
    ...(wanted.size > 0 ? { contents } : {}),
  };
}
