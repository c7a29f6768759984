import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';
import { DETERMINISTIC_MTIME } from '@zonesim/code';
import { ImageError, ImageErrorCode } from './image-errors.js';

/**
 * Packs an unpacked image root as a zip, the form in which code reaches zone nodes (the code store,
 * `GET /zonesim/v1/code/{sha}`, the zone node's safe extraction). Deterministic like `buildZip`
 * (sorted names, fixed timestamps), files streamed from disk rather than read into memory, modes
 * reduced to what zip extraction keeps (0o755 when any execute bit is set, else 0o644), links kept
 * as links and empty directories as directories.
 */
export async function zipRoot(root: string, maxZipBytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const options = { mtime: DETERMINISTIC_MTIME, forceDosTimestamp: true } as const;
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    if (names.length === 0 && rel !== '') zip.addEmptyDirectory(rel, { ...options, mode: 0o040755 });
    for (const name of names) {
      const childAbs = join(abs, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(childAbs);
      if (info.isSymbolicLink()) zip.addBuffer(Buffer.from(await readlink(childAbs), 'utf8'), childRel, { ...options, mode: 0o120777, compress: false });
      else if (info.isDirectory()) await walk(childAbs, childRel);
      else if (info.isFile()) zip.addFile(childAbs, childRel, { ...options, mode: 0o100000 | ((info.mode & 0o111) !== 0 ? 0o755 : 0o644) });
    }
  };
  await walk(root, '');
  zip.end();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxZipBytes) throw new ImageError(ImageErrorCode.TooLarge, `the image root packs to more than ${maxZipBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
