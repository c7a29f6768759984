/**
 * `zipDirectory`: packaging a folder, for `zonesim deploy DIR` and the demo. Deterministic like
 * `buildZip` (sorted, fixed timestamps, permissions normalised to 0o755 / 0o644 from the execute
 * bit), so deploying an unchanged folder yields the same `CodeSha256`.
 */
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeZip, type BuildZipOptions, type ZipSource } from './build-zip.js';

/** Options of {@link zipDirectory}. */
export interface ZipDirectoryOptions extends BuildZipOptions {
  /**
   * Store the files that links point to instead of the links (like `zip -r` without `-y`). Needed
   * when links point outside the folder (npm workspaces), which an upload would refuse.
   * @default false (links are stored as links, like `zip -ry`)
   */
  followSymlinks?: boolean;
  /**
   * Leaves out a path (relative, `/`-separated; directories end without `/`) when it returns true.
   * A left-out directory is not descended into.
   * @default nothing is left out
   */
  ignore?: (relativePath: string) => boolean;
}

/**
 * Zips the contents of `dir` (not `dir` itself: `index.mjs` lands at the root, where Lambda looks
 * for the handler). Empty directories are kept; sockets, FIFOs and devices are skipped.
 */
export async function zipDirectory(dir: string, options: ZipDirectoryOptions = {}): Promise<Buffer> {
  const sources: ZipSource[] = [];
  const root = await realpath(dir);
  await collect(root, '', options, sources, new Set([root]));
  return writeZip(sources, options);
}

function fileMode(statMode: number): number {
  return 0o100000 | ((statMode & 0o111) !== 0 ? 0o755 : 0o644);
}

async function collect(
  absDir: string,
  relDir: string,
  options: ZipDirectoryOptions,
  out: ZipSource[],
  // Real paths of the directories on the current descent, so followed links cannot loop forever.
  ancestors: Set<string>,
): Promise<void> {
  const names = (await readdir(absDir)).sort();
  if (names.length === 0 && relDir !== '') out.push({ name: `${relDir}/`, mode: 0o040755, data: Buffer.alloc(0) });
  for (const name of names) {
    const rel = relDir === '' ? name : `${relDir}/${name}`;
    if (options.ignore?.(rel)) continue;
    const abs = join(absDir, name);
    let info = await lstat(abs);
    if (info.isSymbolicLink()) {
      if (!options.followSymlinks) {
        out.push({ name: rel, mode: 0o120777, data: Buffer.from(await readlink(abs), 'utf8') });
        continue;
      }
      info = await stat(abs);
    }
    if (info.isDirectory()) {
      const real = await realpath(abs);
      if (ancestors.has(real)) continue;
      ancestors.add(real);
      await collect(abs, rel, options, out, ancestors);
      ancestors.delete(real);
    } else if (info.isFile()) {
      out.push({ name: rel, mode: fileMode(info.mode), data: await readFile(abs) });
    }
  }
}
