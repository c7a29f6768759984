/** Test-only helpers for tampering with honest archives. */

/**
 * Replaces every occurrence of `from` with `to` (same byte length) in a copy of `zip`, so a name
 * written by yazl in both the local header and the central directory can be turned malicious
 * without disturbing any offset.
 */
export function patchBytes(zip: Buffer, from: string | Buffer, to: string | Buffer): Buffer {
  const a = typeof from === 'string' ? Buffer.from(from, 'latin1') : from;
  const b = typeof to === 'string' ? Buffer.from(to, 'latin1') : to;
  if (a.length !== b.length) throw new Error('patchBytes: lengths differ');
  const out = Buffer.from(zip);
  let count = 0;
  for (let at = out.indexOf(a); at !== -1; at = out.indexOf(a, at + b.length)) {
    b.copy(out, at);
    count++;
  }
  if (count === 0) throw new Error('patchBytes: pattern not found');
  return out;
}
