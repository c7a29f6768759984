/**
 * The symbolic-link policy. Links are allowed when they stay inside the code directory, because
 * real packages contain them (`node_modules/.bin/*` made by npm, pnpm's `node_modules/x ->
 * .pnpm/...`) and `zip -y` stores them as links. A link is refused when:
 *
 * - its target is absolute, empty, or breaks the entry-name character rules (NUL, `\`, drive letter);
 * - resolving its target from the link's own directory climbs above the code directory;
 * - its target goes through another link of the archive and then uses `..`: the kernel applies `..`
 *   to the *resolved* directory, so `b -> a/..` with `a -> .` would escape although `a/..` looks
 *   harmless as text. Without a later `..`, going through a link is fine, because that link is
 *   checked by the same rules (a cycle only gives ELOOP at run time).
 *
 * Writing *through* a link is a separate rule, enforced by the archive walker: no entry may have a
 * link of the archive as an ancestor, so extraction never follows a link it created.
 */
/** Linux PATH_MAX minus NUL; a longer target could never be resolved. */
export const MAX_SYMLINK_TARGET_BYTES = 4095;

/**
 * Returns why a link at `linkParts` with `target` is unsafe, or `undefined` when it resolves inside
 * the code directory.
 * @param linkParts the link's own normalised path components.
 * @param target the link target as stored (the entry's inflated content).
 * @param isLink whether a normalised path is a symbolic link of the same archive.
 */
export function unsafeSymlinkReason(
  linkParts: readonly string[],
  target: string,
  isLink: (path: string) => boolean,
): string | undefined {
  if (target.length === 0) return 'is empty';
  if (target.startsWith('/')) return 'is an absolute path';
  if (Buffer.byteLength(target) > MAX_SYMLINK_TARGET_BYTES) return `is longer than ${MAX_SYMLINK_TARGET_BYTES} bytes`;
  // `..` is allowed in targets (that is how `.bin` links work), so only the character rules of
  // entry names apply here; climbing is judged below by resolving.
  if (target.includes('\0')) return 'contains a NUL byte';
  if (target.includes('\\')) return 'contains a backslash';
  if (/^[A-Za-z]:/.test(target)) return 'starts with a Windows drive letter';
  const resolved = linkParts.slice(0, -1);
  let throughLink: string | undefined;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (throughLink !== undefined) {
        return `goes through the link ${JSON.stringify(throughLink)} and then up with '..'`;
      }
      if (resolved.length === 0) return 'leaves the code directory';
      resolved.pop();
      continue;
    }
    resolved.push(part);
    if (throughLink === undefined && isLink(resolved.join('/'))) throughLink = resolved.join('/');
  }
  return undefined;
}
