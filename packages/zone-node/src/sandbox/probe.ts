import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { locateCgroups, type CgroupPlacement } from './cgroup-locate.js';
import { CgroupTree } from './cgroup-tree.js';

/**
 * What the machine offers for containing environments, found once when a zone node starts: a
 * bubblewrap that can actually create namespaces here (not just a binary on disk: containers and
 * hardened kernels refuse), and cgroup hierarchies the node may write below its own cgroup.
 */

/** Found, or why not. */
export type Probed<T> = { ok: true; value: T } | { ok: false; missing: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The bubblewrap to use: the configured path, else `bwrap` on PATH. */
export function findBwrap(configured: string, pathVar: string | undefined = process.env['PATH']): string | undefined {
  if (executable(configured)) return configured;
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'bwrap'))) return join(dir, 'bwrap');
  }
  return undefined;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Runs a trivial sandbox with the namespaces every environment uses; resolves with bwrap's path or why it failed. */
export async function probeBwrap(configured: string): Promise<Probed<string>> {
  const path = findBwrap(configured);
  if (!path) return { ok: false, missing: 'bwrap not found' };
  const trueBin = ['/usr/bin/true', '/bin/true'].find(executable);
  const command = trueBin ? [trueBin] : [process.execPath, '-e', '0'];
  const args = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--proc', '/proc', '--', ...command];
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'], env: {} });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(0, 400)));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, missing: `bwrap cannot run (${err.message})` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, value: path });
      else resolve({ ok: false, missing: `bwrap cannot create namespaces here (${signal ?? `exit ${code}`}: ${stderr.trim().split('\n')[0] ?? ''})`.slice(0, 160) });
    });
  });
}

/** Where this process's cgroups are mounted, or why not (no cgroupfs, unreadable /proc). */
export async function probeCgroupPlacement(cgroupMount: string): Promise<Probed<CgroupPlacement>> {
  let procCgroup: string;
  let mountinfo: string;
  try {
    [procCgroup, mountinfo] = await Promise.all([readFile('/proc/self/cgroup', 'utf8'), readFile('/proc/self/mountinfo', 'utf8')]);
  } catch (err) {
    return { ok: false, missing: `no /proc cgroup information (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const placement = locateCgroups(procCgroup, mountinfo, cgroupMount);
  return placement ? { ok: true, value: placement } : { ok: false, missing: `no cgroup hierarchy under ${cgroupMount}` };
}

/** This node's cgroup tree (created), or why not. */
export async function probeCgroups(cgroupMount: string, cpu: boolean): Promise<Probed<CgroupTree>> {
  const placement = await probeCgroupPlacement(cgroupMount);
  if (!placement.ok) return placement;
  const tree = CgroupTree.open(placement.value, { cpu });
  return tree instanceof CgroupTree ? { ok: true, value: tree } : { ok: false, missing: tree.missing };
}
