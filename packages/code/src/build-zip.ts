/**
 * `buildZip`: making deployment packages in memory, for `zonesim deploy`, the demo and tests.
 * Output is deterministic: entries are sorted by name, every timestamp is the DOS epoch and no
 * extended-timestamp field is written, so the same files always give the same bytes and therefore
 * the same `CodeSha256` (which is what makes "nothing changed" visible, as in Lambda).
 */
import yazl from 'yazl';
import { parseEntryPath } from './entry-path.js';

/**
 * The fixed modification time of every entry: 1980-01-01 00:00 local time, the DOS epoch. yazl
 * encodes DOS dates in local time, so a local date gives the same bytes in every time zone.
 */
export const DETERMINISTIC_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Default deflate level (zlib's own default). */
export const DEFAULT_COMPRESSION_LEVEL = 6;

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** One file's content, optionally with its permission bits. */
export interface ZipFileSpec {
  content: string | Uint8Array;
  /**
   * Permission bits, e.g. 0o755 for a custom runtime's `bootstrap`.
   * @default 0o644
   */
  mode?: number;
}

/** A symbolic link stored as a link (Unix mode 0o120777), pointing at `symlink`. */
export interface ZipSymlinkSpec {
  symlink: string;
}

/**
 * What `buildZip` accepts per name: text (UTF-8), bytes, a {@link ZipFileSpec} or a
 * {@link ZipSymlinkSpec}. A name ending in `/` adds an empty directory (its value is ignored).
 */
export type ZipInput = string | Uint8Array | ZipFileSpec | ZipSymlinkSpec;

/** Options of `buildZip` and `zipDirectory`. */
export interface BuildZipOptions {
  /**
   * Deflate level, 0 (store) to 9.
   * @default 6 ({@link DEFAULT_COMPRESSION_LEVEL})
   */
  compressionLevel?: number;
}

/** One entry ready for writing: a full Unix mode (type and permission bits) and its bytes. */
export interface ZipSource {
  name: string;
  mode: number;
  data: Buffer;
}

function toBuffer(content: string | Uint8Array): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

/** Turns one `buildZip` input into a {@link ZipSource}. */
function toSource(name: string, input: ZipInput): ZipSource {
  if (name.endsWith('/')) return { name, mode: S_IFDIR | 0o755, data: Buffer.alloc(0) };
  if (typeof input === 'string' || input instanceof Uint8Array) {
    return { name, mode: S_IFREG | 0o644, data: toBuffer(input) };
  }
  if ('symlink' in input) return { name, mode: S_IFLNK | 0o777, data: Buffer.from(input.symlink, 'utf8') };
  const perms = input.mode ?? 0o644;
  if (!Number.isInteger(perms) || perms < 0 || perms > 0o7777) {
    const what = `buildZip: mode of ${JSON.stringify(name)}`;
    throw new RangeError(`${what} must be permission bits (0 to 0o7777), got ${perms}`);
  }
  return { name, mode: S_IFREG | perms, data: toBuffer(input.content) };
}

/**
 * Builds a zip in memory from a map of names to contents.
 * @example
 * buildZip({
 *   'index.mjs': 'export const handler = async () => 42;',
 *   bootstrap: { content: '#!/bin/sh', mode: 0o755 },
 * })
 * @throws CodeError `UNSAFE_PATH` for a name that `inspectZip` would refuse.
 */
export async function buildZip(
  files: Readonly<Record<string, ZipInput>>,
  options: BuildZipOptions = {},
): Promise<Buffer> {
  return writeZip(
    Object.entries(files).map(([name, input]) => toSource(name, input)),
    options,
  );
}

/**
 * Writes sources as a deterministic zip (sorted by name, fixed timestamps). Shared by `buildZip`
 * and `zipDirectory`.
 */
export async function writeZip(sources: readonly ZipSource[], options: BuildZipOptions = {}): Promise<Buffer> {
  const level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`BuildZipOptions.compressionLevel must be an integer 0 to 9, got ${level}`);
  }
  const zip = new yazl.ZipFile();
  const sorted = [...sources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const source of sorted) {
    // Same rules as the reader, so a package built here is never refused at upload for its names.
    parseEntryPath(source.name);
    if ((source.mode & 0o170000) === S_IFDIR) {
      zip.addEmptyDirectory(source.name, { mtime: DETERMINISTIC_MTIME, mode: source.mode, forceDosTimestamp: true });
    } else {
      zip.addBuffer(source.data, source.name, {
        mtime: DETERMINISTIC_MTIME,
        mode: source.mode,
        forceDosTimestamp: true,
        compressionLevel: level,
      });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
