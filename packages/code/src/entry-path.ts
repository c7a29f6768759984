/**
 * Checking and normalising entry names. A zip entry name is untrusted text that becomes a path on
 * the zone node's disk, so anything that could resolve outside the code directory is refused here,
 * before a byte is inflated ("zip slip").
 */
import { unsafePath } from './refusals.js';

/** Linux NAME_MAX: longer components fail with ENAMETOOLONG at extraction, so refuse them up front. */
const MAX_COMPONENT_BYTES = 255;
/** Linux PATH_MAX minus the terminating NUL, for the path inside the code directory. */
const MAX_PATH_BYTES = 4095;

/** A checked entry name. */
export interface EntryPath {
  /** Normalised path: `/`-separated, no `.`, no empty components, no trailing slash; `''` is the root. */
  readonly path: string;
  /** The components of {@link path}. */
  readonly parts: readonly string[];
  /** The stored name ended with `/`, which is how zip marks a directory. */
  readonly endsWithSlash: boolean;
}

/**
 * Returns why `name` is unsafe as a relative path inside the code directory, or `undefined` when it
 * is fine. Shared with symlink targets, which obey the same character rules.
 */
export function unsafePathReason(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.includes('\0')) return 'the name contains a NUL byte';
  // Windows tools (and some unzippers) treat `\` as a separator, so `..\x` escapes there even though
  // it is one odd file name on Linux. No honest Lambda package needs one.
  if (name.includes('\\')) return 'the name contains a backslash';
  if (name.startsWith('/')) return 'the name is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'the name starts with a Windows drive letter';
  if (name.split('/').includes('..')) return "the name contains a '..' component";
  return undefined;
}

/**
 * Checks and normalises one entry name.
 * @throws CodeError `UNSAFE_PATH` naming the rule that was broken.
 */
export function parseEntryPath(name: string): EntryPath {
  const reason = unsafePathReason(name);
  if (reason !== undefined) throw unsafePath(name, reason);
  const endsWithSlash = name.endsWith('/');
  // `./a` and `a//b` are harmless spellings some tools produce; normalising them lets the duplicate
  // check see that `a` and `./a` are the same file.
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 && !endsWithSlash) throw unsafePath(name, 'the name is the code directory itself');
  for (const part of parts) {
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) {
      throw unsafePath(name, `a path component is longer than ${MAX_COMPONENT_BYTES} bytes`);
    }
  }
  const path = parts.join('/');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw unsafePath(name, `the path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return { path, parts, endsWithSlash };
}

/** Every proper ancestor of a normalised path, nearest the root first: `a/b/c` gives `a`, `a/b`. */
export function ancestorsOf(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}
