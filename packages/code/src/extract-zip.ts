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
import { BoundedTasks } from './bounded-tasks.js';
import { resolveZipLimits, type ZipLimits } from './limits.js';
import { walkZip, type WalkedEntry, type ZipSummary } from './zip-walker.js';

/** Mode of extracted files with an execute bit in the archive (e.g. a custom runtime's `bootstrap`). */
export const EXECUTABLE_FILE_MODE = 0o755;
/** Mode of all other extracted files. */
export const REGULAR_FILE_MODE = 0o644;
/** Mode of extracted directories. */
export const DIRECTORY_MODE = 0o755;

/**
 * Small files written at once. Writes go through libuv's thread pool (4 threads by default), so a
 * few more than that keeps it busy without starving other I/O of the zone node.
 */
const PARALLEL_WRITES = 8;

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
  const writes = new BoundedTasks(PARALLEL_WRITES);
  try {
    const links: Array<{ at: string; target: string }> = [];
    const dirs = new DirectoryMaker(tmp);
    const modeOf = (entry: WalkedEntry): number => (entry.executable ? EXECUTABLE_FILE_MODE : REGULAR_FILE_MODE);
    const summary = await walkZip(
      data,
      resolved,
      {
        directory: (entry) => dirs.ensure(inside(tmp, entry)),
        fileData: (entry, bytes) => {
          const path = inside(tmp, entry);
          return writes.add(async () => {
            await dirs.ensure(dirname(path));
            await writeNewFile(path, modeOf(entry), bytes);
          });
        },
        fileSink: async (entry) => {
          const path = inside(tmp, entry);
          await dirs.ensure(dirname(path));
          return openNewFile(path, modeOf(entry));
        },
        symlink: (entry, target) => {
          links.push({ at: inside(tmp, entry), target });
        },
      },
      options.signal,
    );
    await writes.drain();
    for (const link of links) {
      await dirs.ensure(dirname(link.at));
      await symlink(link.target, link.at);
    }
    // mkdtemp made the directory 0o700; the code directory is read by the function's process.
    await chmod(tmp, DIRECTORY_MODE);
    options.signal?.throwIfAborted();
    const created = await renameIntoPlace(tmp, dest);
    return { ...summary, dir: dest, created };
  } catch (err) {
    // Let in-flight writes finish first, or they could recreate files under a directory being removed.
    await writes.settle();
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

/** Creates directories below the extraction root once each (archives repeat parents a lot). */
class DirectoryMaker {
  private readonly made = new Set<string>();

  constructor(root: string) {
    this.made.add(root);
  }

  async ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: DIRECTORY_MODE });
    this.made.add(dir);
  }
}

/** Never an existing file, never through a link: the entry must be new. */
const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes a new file with an exact mode (fchmod, so the umask cannot strip bits). */
async function writeNewFile(path: string, mode: number, data: Buffer): Promise<void> {
  const handle = await open(path, NEW_FILE_FLAGS, mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/** Opens a new file with an exact mode, as a stream that closes the file when it ends or fails. */
async function openNewFile(path: string, mode: number): Promise<Writable> {
  const handle = await open(path, NEW_FILE_FLAGS, mode);
  try {
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
