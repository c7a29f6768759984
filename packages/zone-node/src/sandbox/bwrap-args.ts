/**
 * The one place that decides what an environment sees inside bubblewrap (issue 15; docs/runtimes.md
 * "Isolation"). Pure: the host's layout is read once by the caller ({@link HostLayout}).
 *
 * ```
 * /               empty tmpfs, read-only once built
 * /usr /bin /lib* the host's system, read-only (symlinks where the host has merged /usr)
 * /etc/<few>      name resolution, TLS roots, users, time zone: read-only, nothing else of /etc
 * /var/task       the function's code (or an image's root), read-only    LAMBDA_TASK_ROOT
 * /var/runtime    zonesim's runtime files, read-only (Node, Python, Java) LAMBDA_RUNTIME_DIR
 * <interpreter>   an interpreter installed outside /usr (pyenv), read-only, at its own path
 * /opt            the function's layers merged, read-only (else empty)
 * /tmp            private tmpfs of EphemeralStorage (512 MB default)
 * /proc           the environment's own PID namespace only
 * /dev            null, zero, full, random, urandom, tty, pts
 * ```
 *
 * Namespaces: PID (the runtime's tree dies with it: `--die-with-parent`, and the namespace's init
 * takes every process down when it ends), mount, IPC, UTS, cgroup; the network is the host's
 * (handlers reach the Lambda API and the Runtime API on loopback, as Lambda functions reach the
 * internet). Every capability is dropped, a new session stops terminal injection, and the
 * environment is exactly the Lambda variables (`--clearenv`). Nothing of the zone node (its data
 * directory, other functions' code, its `/proc`, its variables, the cluster token) is mounted.
 */

/** Where the runtime sees the function's code. */
export const TASK_ROOT = '/var/task';
/** Where the Node runtime sees zonesim's runtime files. */
export const RUNTIME_ROOT = '/var/runtime';
/** Where the function's layers are. */
export const OPT_ROOT = '/opt';

/**
 * One entry of the host's system view: a read-only bind, one that is skipped when its source is
 * missing (a dangling /etc symlink must not stop every environment from starting), or a symlink
 * (merged-/usr systems).
 */
export type HostEntry = { kind: 'ro-bind' | 'ro-bind-try'; path: string } | { kind: 'symlink'; path: string; target: string };

/** What of the host goes into every sandbox, read once at start. */
export interface HostLayout {
  entries: HostEntry[];
}

/** One sandbox to build. */
export interface SandboxSpec {
  /** Host directory bound read-only at `/var/task`. */
  taskDir: string;
  /** Host directory bound read-only at `/var/runtime` (Node and managed runtimes), if any. */
  runtimeDir?: string;
  /** Host directories bound read-only at their own path (an interpreter installed outside /usr, e.g. pyenv's). */
  hostRoots?: readonly string[];
  /** Host directory bound read-only at `/opt`: the function's layers, merged. */
  optDir?: string;
  /** Size of the private `/tmp`, bytes. */
  tmpBytes: number;
  /** Working directory, as seen inside. */
  cwd: string;
  /** The complete environment, as seen inside. */
  env: Record<string, string>;
  /** The fd of Node's IPC channel, kept open and named in `NODE_CHANNEL_FD` (Node runtimes). */
  ipcFd?: number;
}

/**
 * bwrap's options for one sandbox (the command follows them on the real argv). They travel through
 * `--args <fd>`, so that the environment's variables (credentials among them) never show in `ps`.
 */
export function bwrapOptions(layout: HostLayout, spec: SandboxSpec): string[] {
  const args = [
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
  ];
  for (const e of layout.entries) {
    if (e.kind === 'symlink') args.push('--symlink', e.target, e.path);
    else args.push(`--${e.kind}`, e.path, e.path);
  }
  args.push('--ro-bind', spec.taskDir, TASK_ROOT);
  if (spec.runtimeDir !== undefined) args.push('--ro-bind', spec.runtimeDir, RUNTIME_ROOT);
  if (spec.optDir !== undefined) args.push('--ro-bind', spec.optDir, OPT_ROOT);
  else args.push('--dir', OPT_ROOT);
  args.push('--size', String(spec.tmpBytes), '--tmpfs', '/tmp');
  // After /tmp: an installation that lives under /tmp (a CI checkout) must not be hidden by the
  // private tmpfs. It then shows, read-only, inside the function's /tmp.
  for (const root of spec.hostRoots ?? []) args.push('--ro-bind', root, root);
  args.push('--proc', '/proc', '--dev', '/dev');
  // Last: the root tmpfs (and /opt in it) turns read-only once everything is mounted on it.
  args.push('--remount-ro', '/');
  args.push('--chdir', spec.cwd, '--clearenv');
  for (const [name, value] of Object.entries(spec.env)) args.push('--setenv', name, value);
  if (spec.ipcFd !== undefined) {
    // Node opens its IPC channel from these; --clearenv removed the ones spawn() set.
    args.push('--setenv', 'NODE_CHANNEL_FD', String(spec.ipcFd), '--setenv', 'NODE_CHANNEL_SERIALIZATION_MODE', 'advanced');
  }
  return args;
}

/** NUL-separated, as `--args` reads them. */
export function encodeArgs(args: readonly string[]): Buffer {
  return Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
}

/**
 * A host path as the sandbox sees it: `codeDir` and below map to `/var/task`, the runtime directory
 * to `/var/runtime`, the layers to `/opt`; anything else (e.g. `/bin/sh`) is the same path, bound from the host.
 */
export function insidePath(hostPath: string, roots: { codeDir?: string; runtimeDir?: string; optDir?: string }): string {
  const map = (root: string, inside: string): string | undefined => {
    const r = root.replace(/\/$/, '');
    if (hostPath === r) return inside;
    if (hostPath.startsWith(`${r}/`)) return inside + hostPath.slice(r.length);
    return undefined;
  };
  return (
    (roots.codeDir === undefined ? undefined : map(roots.codeDir, TASK_ROOT)) ??
    (roots.runtimeDir === undefined ? undefined : map(roots.runtimeDir, RUNTIME_ROOT)) ??
    (roots.optDir === undefined ? undefined : map(roots.optDir, OPT_ROOT)) ??
    hostPath
  );
}
