import { copyFile, link, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Fills a spare runtime's `/var/task` (issue 15). A spare is sandboxed before anyone knows which
 * function it will run, with its own empty host directory bound read-only at `/var/task`; when a
 * cold start takes it, the zone node fills that directory with the function's code, then sends
 * `init`. The runtime touches `/var/task` only after `init`, so the fill cannot race user code, and
 * the directory is the spare's alone, so no other environment ever sees it.
 *
 * Files are hard links to the code cache's (same inodes, no copy; the sandbox's bind is read-only
 * whatever the files' modes), or copies where a link is refused (another file system); directories
 * are made, symlinks re-made with the same target (resolved inside the sandbox, where the host's
 * paths do not exist).
 */
export async function linkTree(src: string, dest: string): Promise<number> {
  let count = 0;
  const entries = await readdir(src, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const from = join(src, e.name);
      const to = join(dest, e.name);
      if (e.isDirectory()) {
        await mkdir(to);
        count += 1 + (await linkTree(from, to));
      } else if (e.isSymbolicLink()) {
        await symlink(await readlink(from), to);
        count++;
      } else if (e.isFile()) {
        try {
          await link(from, to);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
          await copyFile(from, to);
        }
        count++;
      }
      // Sockets, FIFOs and devices are never part of a package (the unpacker refuses them).
    }),
  );
  return count;
}
