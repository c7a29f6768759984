/**
 * @zonesim/code: deployment packages (.zip), from upload to code directory.
 *
 * - The coordinator checks an upload with {@link inspectZip} at CreateFunction/UpdateFunctionCode
 *   (any {@link CodeError} becomes `InvalidParameterValueException` with its message) and keeps it
 *   in a content-addressed {@link CodeStore} under its SHA-256.
 * - A zone node gets a package through {@link CodeCache.ensureUnpacked}: one fetch per digest, the
 *   digest verified, unpacked by {@link extractZip} into `<root>/unpacked/<sha>/`, kept in an LRU
 *   bounded by size, pinned while environments use it.
 * - {@link buildZip} and {@link zipDirectory} make deterministic packages for the CLI and the demo.
 *
 * Safety rules (one walker enforces them for both inspecting and extracting): no entry outside the
 * root (`..`, absolute, drive letters, backslashes, NUL), links only to targets inside the root and
 * never written through, unzipped size counted on the inflated bytes (zip bombs lie in headers),
 * no encryption, no duplicates, bounded entry count and archive size. Limits default to Lambda's:
 * 50 MB zipped, 250 MB unzipped.
 */
export {
  COULD_NOT_UNZIP,
  CodeError,
  CodeErrorCode,
  CodeStoreError,
  CodeStoreErrorCode,
  isCodeError,
  type CodeErrorFields,
} from './errors.js';
export {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_LISTED_FILES,
  DEFAULT_MAX_UNZIPPED_BYTES,
  DEFAULT_MAX_ZIPPED_BYTES,
  resolveZipLimits,
  type ResolvedZipLimits,
  type ZipLimits,
} from './limits.js';
export { inspectZip, type ZipCallOptions, type ZipInfo } from './inspect-zip.js';
export { ancestorsOf, parseEntryPath, unsafePathReason, type EntryPath } from './entry-path.js';
export { MAX_SYMLINK_TARGET_BYTES, unsafeSymlinkReason } from './symlink-target.js';
export {
  DIRECTORY_MODE,
  EXECUTABLE_FILE_MODE,
  REGULAR_FILE_MODE,
  extractZip,
  type ExtractResult,
} from './extract-zip.js';
export {
  DEFAULT_COMPRESSION_LEVEL,
  DETERMINISTIC_MTIME,
  buildZip,
  type BuildZipOptions,
  type ZipFileSpec,
  type ZipInput,
  type ZipSymlinkSpec,
} from './build-zip.js';
export { zipDirectory, type ZipDirectoryOptions } from './zip-directory.js';
export { HASH_SLICE_BYTES, assertSha256Hex, isSha256Hex, sha256Base64, sha256Digests, sha256Hex, sha256HexInSlices, sha256HexToBase64 } from './sha256.js';
export { CodeStore, type CodeStoreOptions } from './code-store.js';
export {
  CodeCache,
  DEFAULT_CODE_CACHE_MAX_BYTES,
  resolveCodeCacheOptions,
  type CachedCode,
  type CodeCacheOptions,
  type EnsureUnpackedOptions,
  type FetchCode,
  type ResolvedCodeCacheOptions,
} from './code-cache.js';
