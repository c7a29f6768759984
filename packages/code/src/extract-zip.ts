/**
 * `extractZip`: unpacking a deployment package on a zone node, all or nothing.
 *
 * Everything is written into a fresh temporary directory beside the destination and renamed into
 * place at the end, so nobody ever sees a half-extracted directory and a failure leaves nothing
 * behind. The archive is checked by the same walker as `inspectZip`, during extraction (a zone node
 * never trusts that the coordinator checked). Links are created last, after every file and
 * directory, and no entry may lie below a link of the archive, so extraction never writes through
 * a link; files are opened with `wx` (never following or replacing what exists).
 */
import { constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import type { ZipCallOptions } from './inspect-zip.js';
import { resolveZipLimits, type ZipLimits } from './limits.js';
import { walkZip, type WalkedEntry, type ZipSummary } from './zip-walker.js';

/** Mode of extracted files with an execute bit in the archive (e.g. a custom runtime's `bootstrap`). */
export const EXECUTABLE_FILE_MODE = 0o755;
/** Mode of all other extracted files. */
export const REGULAR_FILE_MODE = 0o644;
/** Mode of extracted directories. */
export const DIRECTORY_MODE = 0o755;

/** What `extractZip` did. */
export interface ExtractResult extends ZipSummary {
  /** The absolute destination directory. */
  dir: string;
  /**
   * False when the destination already existed when this call tried to rename its copy into place
   * (another extraction won the race); this call's copy was discarded and the existing one kept.
   */
  created: boolean;
}

/**
 * Unpacks `buffer` into `destDir` (created, with missing parents), enforcing every rule of
 * `inspectZip`. Files keep only their execute bit: 0o755 if any execute bit is stored, else 0o644.
 *
 * Safe to call concurrently for the same `destDir`: each call extracts into its own temporary
 * directory and the first rename wins; the others discard their copy and report `created: false`.
 * `destDir` is therefore meant to be content-addressed (same path, same archive).
 * @throws CodeError for a bad archive (nothing is left on disk); I/O errors as they are.
 */
export async function extractZip(
  buffer: Uint8Array,
  destDir: string,
  limits?: ZipLimits,
  options: ZipCallOptions = {},
): Promise<ExtractResult> {
  const resolved = resolveZipLimits(limits);
  const data = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dest = resolve(destDir);
  await mkdir(dirname(dest), { recursive: true });
  // Beside the destination so the final rename stays on one file system (rename is atomic only there).
  const tmp = await mkdtemp(join(dirname(dest), `.${basename(dest)}.tmp-`));
  try {
    const links: Array<{ at: string; target: string }> = [];
    const summary = await walkZip(
      data,
      resolved,
      {
        directory: async (entry) => {
          await mkdir(inside(tmp, entry), { recursive: true, mode: DIRECTORY_MODE });
        },
        fileSink: (entry) => openFileSink(inside(tmp, entry), entry.executable ? EXECUTABLE_FILE_MODE : REGULAR_FILE_MODE),
        symlink: (entry, target) => {
          links.push({ at: inside(tmp, entry), target });
        },
      },
      options.signal,
    );
    for (const link of links) {
      await mkdir(dirname(link.at), { recursive: true, mode: DIRECTORY_MODE });
      await symlink(link.target, link.at);
    }
    // mkdtemp made the directory 0o700; the code directory is read by the function's process.
    await chmod(tmp, DIRECTORY_MODE);
    options.signal?.throwIfAborted();
    const created = await renameIntoPlace(tmp, dest);
    return { ...summary, dir: dest, created };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The on-disk path of an entry inside `root`. The walker has already refused `..`, absolute and
 * empty components; the prefix check is a second lock on the same door.
 */
function inside(root: string, entry: WalkedEntry): string {
  const path = join(root, ...entry.parts);
  if (!path.startsWith(root + sep)) throw new Error(`internal: entry path escapes the extraction root: ${entry.path}`);
  return path;
}

/** Opens a new file (never an existing one, never through a link) with an exact mode. */
async function openFileSink(path: string, mode: number): Promise<Writable> {
  await mkdir(dirname(path), { recursive: true, mode: DIRECTORY_MODE });
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    // The umask would otherwise strip bits from `mode`; fchmod applies it exactly.
    await handle.chmod(mode);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle.createWriteStream();
}

/** Renames `tmp` to `dest`; false (and `tmp` removed) when `dest` already exists with content. */
async function renameIntoPlace(tmp: string, dest: string): Promise<boolean> {
  try {
    await rename(tmp, dest);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(tmp, { recursive: true, force: true });
    return false;
  }
}
