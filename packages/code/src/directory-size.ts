/**
 * Measuring an unpacked directory the way `extractZip` counts it (file bytes plus link-target
 * bytes), so directories adopted from a previous run weigh the same as fresh ones.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Sum of file sizes and link lengths below `dir`; links are not followed. */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile() || entry.isSymbolicLink()) total += (await lstat(path)).size;
  }
  return total;
}
