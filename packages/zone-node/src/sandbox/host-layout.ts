import { lstatSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostEntry, HostLayout } from './bwrap-args.js';

/**
 * Reads, once at start, which parts of the host every sandbox gets (see bwrap-args.ts): the system
 * directories (as symlinks where /usr is merged), the few files of /etc that name resolution, TLS,
 * users and the time zone need, and Node's own directory when it lives outside them (nvm, a
 * tarball under /opt or /root).
 */

const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Nothing else of /etc: no shadow, no machine secrets, no host configuration. */
const ETC = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives',
  'resolv.conf', 'hosts', 'host.conf', 'nsswitch.conf', 'gai.conf', 'services', 'protocols',
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki',
  'passwd', 'group', 'localtime', 'timezone', 'os-release', 'mime.types',
];

function entry(path: string): HostEntry | undefined {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { kind: 'symlink', path, target: readlinkSync(path) };
    return { kind: 'ro-bind', path };
  } catch {
    return undefined;
  }
}

/** The host layout; `nodePath` is the Node binary the runtimes run (process.execPath). */
export function readHostLayout(nodePath: string = process.execPath): HostLayout {
  const entries: HostEntry[] = [];
  for (const path of SYSTEM) {
    const e = entry(path);
    if (e) entries.push(e);
  }
  for (const name of ETC) {
    // Bound whatever it is (a bind follows a symlink's target, which may live outside the sandbox).
    if (entry(`/etc/${name}`)) entries.push({ kind: 'ro-bind-try', path: `/etc/${name}` });
  }
  const covered = entries.some((e) => nodePath.startsWith(`${e.path}/`));
  // e.g. /root/.nvm/versions/node/v20/bin/node: its installation (bin/ and lib/) is bound, not /root.
  if (!covered) entries.push({ kind: 'ro-bind', path: dirname(dirname(nodePath)) });
  return { entries };
}
