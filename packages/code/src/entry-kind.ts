/**
 * What an entry is (file, directory or symbolic link) and whether it is executable, from the
 * stored name and the Unix mode that Info-ZIP, yazl and most Unix tools keep in the high 16 bits of
 * the "external file attributes".
 */
import type { Entry } from 'yauzl';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** MS-DOS "directory" attribute, in the low byte of the external attributes. */
const DOS_DIRECTORY = 0x10;

/** The three kinds of entry zonesim creates on disk. */
export type EntryKind = 'file' | 'directory' | 'symlink';

/** The Unix mode stored in an entry, or 0 when the tool stored none (e.g. Windows Explorer). */
export function unixMode(entry: Pick<Entry, 'externalFileAttributes'>): number {
  return (entry.externalFileAttributes >>> 16) & 0xffff;
}

/**
 * Classifies an entry. A trailing `/` always means a directory (that is what every zip tool writes
 * and reads); without one, the Unix file type decides, and when no Unix mode was stored, the MS-DOS
 * directory attribute. The link bit is honoured whatever "version made by" says: treating more
 * entries as links means checking more, never less. Sockets, FIFOs and devices become plain files:
 * zonesim only ever creates files, directories and links.
 */
export function entryKind(entry: Pick<Entry, 'externalFileAttributes'>, endsWithSlash: boolean): EntryKind {
  if (endsWithSlash) return 'directory';
  const mode = unixMode(entry);
  const type = mode & S_IFMT;
  if (type === S_IFLNK) return 'symlink';
  if (type === S_IFDIR) return 'directory';
  if (mode === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0) return 'directory';
  return 'file';
}

/**
 * True when any execute bit is set. Custom runtimes need an executable `bootstrap`, and Lambda keeps
 * the bits the zip stores; zonesim writes such files 0o755 and all others 0o644 (no setuid, no
 * group-writable files), which is what a Lambda environment ends up with for readable packages.
 */
export function isExecutable(entry: Pick<Entry, 'externalFileAttributes'>): boolean {
  return (unixMode(entry) & 0o111) !== 0;
}
