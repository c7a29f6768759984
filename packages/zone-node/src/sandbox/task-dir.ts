import { copyFileSync, linkSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
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
/** Entries linked between two turns of the event loop. */
const SLICE = 256;

/**
 * Synchronous calls in slices of {@link SLICE} entries: a package of a few files is linked at once,
 * with none of the thread-pool round trips that cost more than the links themselves (measured: tens
 * of ms per cold start on a loaded machine); a large one yields to the event loop between slices.
 * @returns the number of entries made.
 */
export async function linkTree(src: string, dest: string): Promise<number> {
  let count = 0;
  const stack: Array<[string, string]> = [[src, dest]];
  while (stack.length > 0) {
    const [fromDir, toDir] = stack.pop()!;
    for (const e of readdirSync(fromDir, { withFileTypes: true })) {
      const from = join(fromDir, e.name);
      const to = join(toDir, e.name);
      if (e.isDirectory()) {
        mkdirSync(to);
        stack.push([from, to]);
      } else if (e.isSymbolicLink()) {
        symlinkSync(readlinkSync(from), to);
      } else if (e.isFile()) {
        try {
          linkSync(from, to);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
          copyFileSync(from, to);
        }
      } else {
        // Sockets, FIFOs and devices are never part of a package (the unpacker refuses them).
        continue;
      }
      if (++count % SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return count;
}
