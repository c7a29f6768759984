/**
 * Where this process's cgroups are, from `/proc/self/cgroup` and `/proc/self/mountinfo` (pure: the
 * caller reads the files). The zone node keeps its environments' cgroups below its own, as a
 * delegated service does: limits set above it (a container's, a CI job's) keep applying, and
 * accounting stays with whoever started the node.
 */

/** The controllers the sandbox uses: memory and pids always, cpu for `--cpu-model lambda`. */
export type Controller = 'memory' | 'pids' | 'cpu';

/** This process's cgroup directories: one per controller (v1), or one for all (v2). */
export type CgroupPlacement =
  | { version: 1; dirs: Partial<Record<Controller, string>> }
  | { version: 2; dir: string };

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** The cgroup mounts of a mountinfo text (fields: see proc(5)). */
export function parseCgroupMounts(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    const fsType = fields[dash + 1]!;
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ root: unescape(fields[3]!), mountPoint: unescape(fields[4]!), fsType, superOptions: fields[dash + 3]!.split(',') });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** `/proc/self/cgroup`: controller list (empty for v2) -> path. */
export function parseProcCgroup(text: string): Array<{ controllers: string[]; path: string }> {
  const out: Array<{ controllers: string[]; path: string }> = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    out.push({ controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(second + 1) });
  }
  return out;
}

function below(mount: Mount, ownPath: string): string {
  // Inside a cgroup namespace, or when a sub-tree is mounted, the mount's root prefixes our path.
  const rel = mount.root !== '/' && ownPath.startsWith(mount.root) ? ownPath.slice(mount.root.length) : ownPath;
  return `${mount.mountPoint.replace(/\/$/, '')}${rel === '/' ? '' : rel}`;
}

/**
 * This process's cgroup directories under `cgroupMount`: v1 when a v1 memory hierarchy is mounted
 * (hybrid machines, like this project's, have both), else v2, else undefined.
 */
export function locateCgroups(procCgroup: string, mountinfo: string, cgroupMount: string): CgroupPlacement | undefined {
  const mounts = parseCgroupMounts(mountinfo).filter((m) => m.mountPoint === cgroupMount || m.mountPoint.startsWith(`${cgroupMount.replace(/\/$/, '')}/`));
  const own = parseProcCgroup(procCgroup);
  const dirs: Partial<Record<Controller, string>> = {};
  for (const controller of ['memory', 'pids', 'cpu'] as const) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    const entry = own.find((e) => e.controllers.includes(controller));
    if (mount && entry) dirs[controller] = below(mount, entry.path);
  }
  if (dirs.memory) return { version: 1, dirs };
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const entry = own.find((e) => e.controllers.length === 0);
  if (!unified || !entry) return undefined;
  return { version: 2, dir: below(unified, entry.path) };
}
