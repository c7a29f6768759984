/**
 * The one place that reads an archive, shared by `inspectZip` and `extractZip` so both enforce the
 * same rules in the same order. Two passes over an in-memory buffer:
 *
 * 1. Catalogue: read every central-directory record (no inflation). Refuse too many entries (from
 *    the end record, before reading any), unsafe names, encryption, unknown compression, duplicate
 *    paths, a path used as both file and directory, any entry below a link of the archive, and
 *    headers that already admit to more than the unzipped limit.
 * 2. Content: inflate each entry in archive order, counting inflated bytes against the limit and
 *    checking size and CRC: small entries in one bounded call, others streamed through an
 *    {@link EntryChecker} into the visitor's sink. Link targets (bounded to PATH_MAX) are checked
 *    against the link policy.
 *
 * The walker never touches the disk; the visitor decides where bytes go.
 */
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry } from 'yauzl';
import { ancestorsOf, parseEntryPath, unsafePathReason } from './entry-path.js';
import { EntryChecker, UnzippedBudget, checkWholeEntry, type EntryExpectation } from './entry-checker.js';
import { inflateBounded, storedBytes, storedStream } from './entry-data.js';
import { entryKind, isExecutable, type EntryKind } from './entry-kind.js';
import { isCodeError } from './errors.js';
import type { ResolvedZipLimits } from './limits.js';
import {
  duplicateEntry,
  encrypted,
  notAZip,
  tooLargeUnzipped,
  tooLargeZipped,
  tooManyEntries,
  unsafePath,
  unsafeSymlink,
  unsupportedCompression,
  writesThroughSymlink,
} from './refusals.js';
import { MAX_SYMLINK_TARGET_BYTES, unsafeSymlinkReason } from './symlink-target.js';
import { openZip, readEntries } from './zip-reader.js';

/** zlib's default output chunk is 16 KiB; 64 KiB means fewer callbacks on big entries. */
const INFLATE_CHUNK_BYTES = 64 * 1024;

/**
 * Entries whose header claims at most this many bytes are inflated in one call, bounded to this
 * size (a liar falls back to streaming). It bounds the memory of one entry in flight while sparing
 * small files the cost of a stream pipeline (10x faster on a 20,000-file node_modules).
 */
export const SMALL_ENTRY_BYTES = 256 * 1024;

/** One checked entry, as the visitor sees it. */
export interface WalkedEntry {
  /** The name as stored (decoded), for messages. */
  readonly name: string;
  /** The normalised relative path (see `parseEntryPath`). */
  readonly path: string;
  /** The components of {@link path}. */
  readonly parts: readonly string[];
  /** File, directory or symbolic link (see `entryKind`). */
  readonly kind: EntryKind;
  /** Any execute bit is set in the stored Unix mode. */
  readonly executable: boolean;
}

/** Where the walker puts what it reads. */
export interface ZipVisitor {
  /** Called for each explicit directory entry (parents implied by file paths are not reported). */
  directory?(entry: WalkedEntry): void | Promise<void>;
  /** Receives a small file whole, already counted and checked (see {@link SMALL_ENTRY_BYTES}). */
  fileData(entry: WalkedEntry, data: Buffer): void | Promise<void>;
  /** Returns the stream that receives a larger file's inflated bytes as they are counted. */
  fileSink(entry: WalkedEntry): Writable | Promise<Writable>;
  /** Called with a link's target once it has passed the link policy. */
  symlink?(entry: WalkedEntry, target: string): void | Promise<void>;
}

/** What a walk found. */
export interface ZipSummary {
  /** Entries in the central directory, including directories and links. */
  entryCount: number;
  fileCount: number;
  directoryCount: number;
  symlinkCount: number;
  /** Inflated bytes counted: file contents plus link targets. */
  unzippedSize: number;
  /** Normalised paths of files and links, in archive order, at most `maxListedFiles`. */
  files: string[];
}

interface Catalogued {
  readonly entry: Entry;
  readonly walked: WalkedEntry;
}

/**
 * Walks `buffer`, refusing anything unsafe with a `CodeError`.
 * @throws CodeError for a bad archive; the signal's reason when aborted; the visitor's own errors.
 */
export async function walkZip(
  buffer: Buffer,
  limits: ResolvedZipLimits,
  visitor: ZipVisitor,
  signal?: AbortSignal,
): Promise<ZipSummary> {
  signal?.throwIfAborted();
  if (buffer.length > limits.maxZippedBytes) throw tooLargeZipped(limits.maxZippedBytes, buffer.length);
  const zip = await openZip(buffer);
  try {
    if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits.maxEntries, zip.entryCount);
    const catalogue = await readCatalogue(zip, limits);
    signal?.throwIfAborted();
    return await readContents(buffer, zip.entryCount, catalogue, limits, visitor, signal);
  } finally {
    zip.close();
  }
}

/** Pass 1: every record, checked on its own and against the others. */
async function readCatalogue(zip: yauzl.ZipFile, limits: ResolvedZipLimits): Promise<Catalogued[]> {
  const catalogue: Catalogued[] = [];
  const kinds = new Map<string, EntryKind>();
  let declared = 0;
  await readEntries(zip, (entry) => {
    const name = decodeName(entry);
    const parsed = parseEntryPath(name);
    if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw encrypted(name);
    const kind = entryKind(entry, parsed.endsWithSlash);
    if (kind !== 'directory' && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw unsupportedCompression(name, entry.compressionMethod);
    }
    // `./` and the like name the code directory itself: harmless, nothing to create.
    if (parsed.parts.length === 0) return;
    const seen = kinds.get(parsed.path);
    if (seen !== undefined) {
      // Two records for one directory are harmless; anything else would make the result depend on
      // archive order (the last one wins in most unzippers).
      if (seen === 'directory' && kind === 'directory') return;
      throw duplicateEntry(name, 'appears more than once in the archive');
    }
    kinds.set(parsed.path, kind);
    if (kind !== 'directory') declared += entry.uncompressedSize;
    catalogue.push({ entry, walked: { name, ...parsed, kind, executable: isExecutable(entry) } });
  });
  // Honest headers that already exceed the limit need no inflating to be refused; lying ones are
  // caught by the byte counter in pass 2.
  if (declared > limits.maxUnzippedBytes) throw tooLargeUnzipped(limits.maxUnzippedBytes, declared);
  for (const { walked } of catalogue) {
    for (const ancestor of ancestorsOf(walked.parts)) {
      const kind = kinds.get(ancestor);
      if (kind === 'symlink') throw writesThroughSymlink(walked.name, ancestor);
      if (kind === 'file') throw duplicateEntry(walked.name, `is inside ${JSON.stringify(ancestor)}, which is a file`);
    }
  }
  return catalogue;
}

/**
 * The entry's name, as Lambda's unzipper would see it. The Info-ZIP Unicode Path field (0x7075)
 * may carry a different name than the header; other tools read the header one, so both must pass.
 */
function decodeName(entry: Entry): string {
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const headerName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, [], true);
  if (headerName !== name) {
    const reason = unsafePathReason(headerName);
    if (reason !== undefined) throw unsafePath(headerName, reason);
  }
  return name;
}

/** Pass 2: inflate and count everything, in archive order. */
async function readContents(
  buffer: Buffer,
  entryCount: number,
  catalogue: readonly Catalogued[],
  limits: ResolvedZipLimits,
  visitor: ZipVisitor,
  signal: AbortSignal | undefined,
): Promise<ZipSummary> {
  const budget = new UnzippedBudget(limits.maxUnzippedBytes);
  const links = new Set(catalogue.filter((c) => c.walked.kind === 'symlink').map((c) => c.walked.path));
  const summary: ZipSummary = {
    entryCount,
    fileCount: 0,
    directoryCount: 0,
    symlinkCount: 0,
    unzippedSize: 0,
    files: [],
  };
  for (const { entry, walked } of catalogue) {
    signal?.throwIfAborted();
    if (walked.kind === 'directory') {
      summary.directoryCount++;
      await visitor.directory?.(walked);
      continue;
    }
    const stored = storedBytes(buffer, entry, walked.name);
    const expect = { name: walked.name, uncompressedSize: entry.uncompressedSize, crc32: entry.crc32 };
    if (walked.kind === 'symlink') {
      const bytes = inflateBounded(stored, entry.compressionMethod, MAX_SYMLINK_TARGET_BYTES, walked.name);
      if (bytes === undefined) {
        throw unsafeSymlink(walked.name, '(too long to show)', `is longer than ${MAX_SYMLINK_TARGET_BYTES} bytes`);
      }
      checkWholeEntry(budget, expect, bytes);
      const target = bytes.toString('utf8');
      const reason = unsafeSymlinkReason(walked.parts, target, (path) => links.has(path));
      if (reason !== undefined) throw unsafeSymlink(walked.name, target, reason);
      summary.symlinkCount++;
      await visitor.symlink?.(walked, target);
    } else {
      // Most package files are small: inflate them in one bounded call. Anything that would inflate
      // past the bound (big files, and bombs whatever their headers say) is streamed and counted.
      const small =
        entry.uncompressedSize <= SMALL_ENTRY_BYTES
          ? inflateBounded(stored, entry.compressionMethod, SMALL_ENTRY_BYTES, walked.name)
          : undefined;
      if (small !== undefined) {
        checkWholeEntry(budget, expect, small);
        await visitor.fileData(walked, small);
      } else {
        await streamEntry(stored, entry.compressionMethod, expect, budget, await visitor.fileSink(walked), signal);
      }
      summary.fileCount++;
    }
    if (summary.files.length < limits.maxListedFiles) summary.files.push(walked.path);
  }
  summary.unzippedSize = budget.used;
  return summary;
}

/** Streams one entry through the inflater and the checker into `sink`. */
async function streamEntry(
  stored: Buffer,
  method: number,
  expect: EntryExpectation,
  budget: UnzippedBudget,
  sink: Writable,
  signal: AbortSignal | undefined,
): Promise<void> {
  const checker = new EntryChecker(budget, expect, signal);
  try {
    if (method === 8) {
      const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
      await pipeline(storedStream(stored), inflater, checker, sink, signalOption(signal));
    } else {
      await pipeline(storedStream(stored), checker, sink, signalOption(signal));
    }
  } catch (err) {
    throw classifyStreamError(err, expect.name, signal);
  }
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

/**
 * Keeps refusals and aborts as they are, turns inflater failures (corrupt deflate data, truncated
 * streams) into `NOT_A_ZIP`, and lets everything else (disk full, permission denied) through:
 * those are the platform's problem, not the uploader's.
 */
function classifyStreamError(err: unknown, entryName: string, signal: AbortSignal | undefined): unknown {
  if (isCodeError(err)) return err;
  if (signal?.aborted) return signal.reason;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return notAZip(`entry data is corrupt: ${(err as Error).message}`, err, entryName);
  }
  return err;
}
