import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@zonesim/common';
import type { SandboxReport } from '@zonesim/protocol';
import { bwrapOptions, encodeArgs, insidePath, RUNTIME_ROOT, TASK_ROOT, type HostLayout } from './bwrap-args.js';
import type { CgroupTree, EnvironmentCgroup } from './cgroup-tree.js';
import { SandboxUnavailableError } from './errors.js';
import { readHostLayout } from './host-layout.js';
import { probeBwrap, probeCgroups } from './probe.js';
import { DEFAULT_EPHEMERAL_STORAGE_MB, type SandboxSettings } from './settings.js';
import { linkTree } from './task-dir.js';

/**
 * The environment sandbox of one zone node (issue 15): decided once at start from the settings and
 * what the machine offers, then used by every process environment, spare runtime and custom runtime
 * to start its process contained. Kinds (reported in `hello`, shown by `zonesim zones`):
 *
 * - `bwrap+cgroup`: bubblewrap namespaces and filesystem view (bwrap-args.ts) and cgroup limits
 *   (memory, pids, and CPU with `--cpu-model lambda`);
 * - `bwrap`: namespaces without cgroup limits (memory by the RSS watchdog, no pids limit);
 * - `cgroup`: limits without namespaces (the code directory and the host stay visible);
 * - `none`: a plain process group and the RSS watchdog, as before issue 15.
 *
 * Race-free cgroup placement: the process is started as `sh -c 'echo $$ > cgroup.procs ...; exec
 * bwrap ...'`, so it is in its cgroups before it execs bubblewrap and before any user code runs;
 * everything it starts inherits them.
 */

/** What a process environment asks for. */
export interface SandboxLaunch {
  /** Names the cgroup (an environment id or a spare's), unique on the node. */
  name: string;
  /** Program and arguments as seen inside ({@link Sandbox.view}). */
  command: string;
  args: readonly string[];
  /**
   * Host directory of the code, bound at `/var/task`; undefined for a spare runtime, which gets an
   * empty directory of its own, filled when a cold start takes it ({@link Containment.fillTask}).
   */
  codeDir: string | undefined;
  /** Bind zonesim's runtime directory at `/var/runtime`. */
  runtimeDir?: string;
  /** Host directories bound read-only at their own path (an interpreter's installation outside /usr). */
  hostRoots?: readonly string[];
  /** The function's layers merged, bound read-only at `/opt` (else /opt is empty). */
  optDir?: string;
  /** Working directory and environment as seen inside. */
  cwd: string;
  env: Record<string, string>;
  memoryMb: number;
  /** `EphemeralStorage.Size`, MB. @default 512 */
  ephemeralStorageMb?: number;
  /** Open Node's IPC channel (the Node runtime): stdio fd 3. */
  ipc: boolean;
}

/** How one contained process is watched, limited and cleaned up. */
export interface Containment {
  /** The pid whose RSS is the runtime's (below bubblewrap's own processes), once it exists. */
  runtimePid(): number | undefined;
  /** True when the cgroup's OOM killer killed a process of the environment. */
  oomKilled(): boolean;
  /** The runtime's exit as the platform reports it (bwrap turns a signal into 128 + N). */
  exitOf(code: number | null, signal: NodeJS.Signals | null): { code: number | null; signal: NodeJS.Signals | null };
  /** SIGKILL to every process of the cgroup (what left the process group too). */
  killAll(): void;
  /** INIT is over: from now on the CPU quota of the memory size applies (`--cpu-model lambda`). */
  enterInvokePhase(): void;
  /** A spare's `/var/task` gets the function's code (before `init`). */
  fillTask(codeDir: string): Promise<void>;
  /** Removes the cgroup and the spare's directory; call once the process is gone. Idempotent. */
  release(): Promise<void>;
}

/** A contained process. */
export interface SandboxedProcess {
  child: ChildProcess;
  containment: Containment;
}

/** Paths as the runtime sees them for a given code directory. */
export interface SandboxView {
  taskRoot: string;
  runtimeDir: string;
  inside(hostPath: string): string;
}

// `$$` is the shell's pid, which exec keeps: the process joins before it becomes bwrap (or node).
const JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** Signal number -> name; the first name wins (SIGABRT before its alias SIGIOT). */
const SIGNAL_BY_NUMBER = new Map<number, NodeJS.Signals>();
for (const [name, n] of Object.entries(osConstants.signals)) if (!SIGNAL_BY_NUMBER.has(n)) SIGNAL_BY_NUMBER.set(n, name as NodeJS.Signals);

/** Components of the sandbox. */
export interface SandboxComponents {
  log?: Logger;
}

export class Sandbox {
  readonly #settings: SandboxSettings;
  readonly #workDir: string;
  readonly #isolation: 'process' | 'worker';
  readonly #log: Logger;
  #report: SandboxReport;
  #bwrap: string | undefined;
  #cgroups: CgroupTree | undefined;
  #layout: HostLayout | undefined;
  readonly #live = new Set<Containment>();
  #started = false;
  #stopped = false;

  /**
   * @param settings resolved once (see {@link resolveSandboxSettings}).
   * @param options.workDir where spare runtimes' `/var/task` directories live (on the code cache's
   *   file system, so that filling one links files instead of copying them).
   */
  constructor(settings: SandboxSettings, options: { workDir: string; isolation: 'process' | 'worker' }, components: SandboxComponents = {}) {
    this.#settings = settings;
    this.#workDir = options.workDir;
    this.#isolation = options.isolation;
    this.#log = components.log ?? silentLogger();
    this.#report = { kind: 'none', reason: settings.mode === 'off' ? '--sandbox off' : 'not started', cpuModel: 'host' };
  }

  /** What contains environments here (sent in `hello`). */
  get report(): SandboxReport {
    return this.#report;
  }

  /**
   * Probes the machine and decides, once. With mode `on` (or CPU model `lambda`) a missing piece
   * is an error naming it, before the node registers; with `auto` it is reported and logged.
   * Sweeps the cgroups of crashed zone nodes on the way. Until it resolves, environments run as
   * plain processes.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('sandbox already started');
    this.#started = true;
    const settings = this.#settings;
    if (settings.mode === 'off') return;
    const cpu = settings.cpuModel === 'lambda';
    const [bwrap, cgroups] = await Promise.all([probeBwrap(settings.bwrapPath), probeCgroups(settings.cgroupMount, cpu)]);
    const missing = [...(bwrap.ok ? [] : [bwrap.missing]), ...(cgroups.ok ? [] : [cgroups.missing])];
    if (settings.mode === 'on' && missing.length > 0) {
      if (cgroups.ok) await cgroups.value.close();
      throw new SandboxUnavailableError(missing, `--sandbox on, but environments cannot be sandboxed here: ${missing.join('; ')} (install bubblewrap and give the zone node writable cgroups, or use --sandbox auto)`);
    }
    if (cpu && !cgroups.ok) {
      throw new SandboxUnavailableError([cgroups.missing], `--cpu-model lambda needs the cgroup cpu, memory and pids controllers: ${cgroups.missing}`);
    }
    if (cgroups.ok) {
      const swept = await cgroups.value.sweepStale();
      if (swept > 0) this.#log.info({ swept }, 'removed cgroups left by zone nodes that are gone');
    }
    const kind = bwrap.ok && cgroups.ok ? 'bwrap+cgroup' : bwrap.ok ? 'bwrap' : cgroups.ok ? 'cgroup' : 'none';
    let reason = missing.length > 0 ? missing.join('; ') : undefined;
    if (this.#isolation === 'worker') {
      // Node functions run in threads of the zone node itself: nothing to put a namespace or a cgroup around.
      reason = `worker threads cannot be sandboxed; custom runtimes and images: ${kind}${reason ? ` (${reason})` : ''}`;
    }
    this.#report = { kind: this.#isolation === 'worker' ? 'none' : kind, cpuModel: settings.cpuModel, ...(reason ? { reason: reason.slice(0, 200) } : {}) };
    if (bwrap.ok) {
      this.#bwrap = bwrap.value;
      this.#layout = readHostLayout();
      mkdirSync(this.#workDir, { recursive: true });
    }
    if (cgroups.ok) this.#cgroups = cgroups.value;
    if (kind !== 'bwrap+cgroup') this.#log.warn({ sandbox: this.#report }, 'environments are not fully sandboxed');
    else this.#log.info({ sandbox: this.#report }, 'environments are sandboxed');
  }

  /** True when processes are contained at all (bwrap or cgroups). */
  get active(): boolean {
    return this.#bwrap !== undefined || this.#cgroups !== undefined;
  }

  /** True when the runtime sees the sandbox's paths (`/var/task`), not the host's. */
  get namespaced(): boolean {
    return this.#bwrap !== undefined;
  }

  /**
   * The line an environment's INIT log gets when it is not fully contained (once per environment),
   * so that whoever reads a function's log knows; undefined when it is.
   */
  get notice(): string | undefined {
    if (this.#settings.mode === 'off') return undefined;
    const kind = this.#bwrap && this.#cgroups ? 'bwrap+cgroup' : this.#bwrap ? 'bwrap' : this.#cgroups ? 'cgroup' : 'none';
    if (kind === 'bwrap+cgroup') return undefined;
    const why = this.#report.reason && !this.#report.reason.startsWith('worker') ? ` (${this.#report.reason})` : '';
    return `zonesim: this environment is ${kind === 'none' ? 'not sandboxed' : `only partly sandboxed: ${kind}`}${why}; see docs/runtimes.md, Isolation`;
  }

  /**
   * Paths as the runtime sees them: `/var/task` and `/var/runtime` under bubblewrap, the host's
   * otherwise. `codeDir` undefined: a spare runtime, whose code comes later.
   */
  view(codeDir: string | undefined, runtimeDir: string, optDir?: string): SandboxView {
    if (!this.#bwrap) return { taskRoot: codeDir ?? runtimeDir, runtimeDir, inside: (p) => p };
    const roots = { ...(codeDir === undefined ? {} : { codeDir }), runtimeDir, ...(optDir === undefined ? {} : { optDir }) };
    return { taskRoot: TASK_ROOT, runtimeDir: RUNTIME_ROOT, inside: (p) => insidePath(p, roots) };
  }

  /**
   * Starts a process contained. Throws when the cgroup cannot be made (the caller reports a spawn
   * failure); a process that fails to start is reported by the child's `error` event as usual.
   */
  spawn(l: SandboxLaunch): SandboxedProcess {
    if (this.#stopped) throw new Error('sandbox stopped');
    const group = this.#cgroups?.create(cgroupName(l.name), { memoryMb: l.memoryMb, pidsMax: this.#settings.pidsMax });
    let ownTaskDir: string | undefined;
    let child: ChildProcess;
    try {
      let taskDir = l.codeDir;
      if (this.#bwrap && taskDir === undefined) {
        ownTaskDir = join(this.#workDir, 'tasks', cgroupName(l.name));
        mkdirSync(ownTaskDir, { recursive: true });
        taskDir = ownTaskDir;
      }
      const stdio: StdioOptions = [this.#bwrap ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(l.ipc ? (['ipc'] as const) : [])];
      const program = this.#bwrap ? [this.#bwrap, '--args', '0', '--', l.command, ...l.args] : [l.command, ...l.args];
      const argv = group ? ['/bin/sh', '-c', JOIN_SCRIPT, 'zonesim-sandbox', ...group.procsFiles, '--', ...program] : program;
      child = spawn(argv[0]!, argv.slice(1), {
        // Under bubblewrap the environment is set inside (--clearenv, --setenv); sh and bwrap need none.
        cwd: this.#bwrap ? '/' : l.cwd,
        env: this.#bwrap ? {} : l.env,
        stdio,
        detached: true,
        ...(l.ipc ? { serialization: 'advanced' as const } : {}),
      });
      if (this.#bwrap) {
        const options = bwrapOptions(this.#layout!, {
          taskDir: taskDir!,
          ...(l.runtimeDir !== undefined ? { runtimeDir: l.runtimeDir } : {}),
          ...(l.hostRoots !== undefined ? { hostRoots: l.hostRoots } : {}),
          ...(l.optDir !== undefined ? { optDir: l.optDir } : {}),
          tmpBytes: (l.ephemeralStorageMb ?? DEFAULT_EPHEMERAL_STORAGE_MB) * 1024 * 1024,
          cwd: l.cwd,
          env: l.env,
          ...(l.ipc ? { ipcFd: 3 } : {}),
        });
        // A process that died before reading its options is reported through 'exit'.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(encodeArgs(options));
      }
    } catch (err) {
      void group?.remove({ attempts: 1 });
      if (ownTaskDir) rmSync(ownTaskDir, { recursive: true, force: true });
      throw err;
    }
    const containment = this.#contain(child, group, ownTaskDir, l.memoryMb);
    return { child, containment };
  }

  #contain(child: ChildProcess, group: EnvironmentCgroup | undefined, ownTaskDir: string | undefined, memoryMb: number): Containment {
    const bwrap = this.#bwrap !== undefined;
    const cpuLambda = this.#settings.cpuModel === 'lambda';
    let runtimePid: number | undefined = bwrap ? undefined : child.pid;
    let released: Promise<void> | undefined;
    const containment: Containment = {
      runtimePid() {
        if (runtimePid === undefined && child.pid !== undefined) runtimePid = belowBwrap(child.pid);
        return runtimePid;
      },
      oomKilled: () => (group ? group.oomKills() > 0 : false),
      exitOf(code, signal) {
        if (group && group.oomKills() > 0) return { code: null, signal: 'SIGKILL' };
        // bwrap exits with 128 + N when the runtime died of signal N (as a shell would report it).
        if (bwrap && signal === null && code !== null && code > 128 && SIGNAL_BY_NUMBER.has(code - 128)) return { code: null, signal: SIGNAL_BY_NUMBER.get(code - 128)! };
        return { code, signal };
      },
      killAll: () => void group?.killAll(),
      enterInvokePhase: () => {
        if (cpuLambda) {
          try {
            group?.setCpuQuota(memoryMb);
          } catch {
            // The cgroup is gone with its process: nothing left to limit.
          }
        }
      },
      fillTask: async (codeDir) => {
        if (!ownTaskDir) return;
        await linkTree(codeDir, ownTaskDir);
      },
      release: () => {
        released ??= (async () => {
          this.#live.delete(containment);
          if (group && !(await group.remove())) this.#log.warn('an environment cgroup could not be removed yet; the next sweep will');
          if (ownTaskDir) await rm(ownTaskDir, { recursive: true, force: true });
        })();
        return released;
      },
    };
    this.#live.add(containment);
    return containment;
  }

  /** Removes what is left of every contained process and the node's cgroups. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of this.#live) c.killAll();
    await Promise.all([...this.#live].map((c) => c.release()));
    await this.#cgroups?.close();
    if (this.#bwrap) await rm(join(this.#workDir, 'tasks'), { recursive: true, force: true });
  }
}

/** A name safe as a directory: environment ids are already, but nothing here relies on it. */
function cgroupName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128) || 'environment';
}

/**
 * The runtime's host pid under bubblewrap: the started process becomes bwrap (after the cgroup
 * wrapper execs it), whose child is the namespace's init (also bwrap), whose first child is the
 * runtime. Read from /proc; undefined until that chain exists.
 */
function belowBwrap(pid: number): number | undefined {
  let current = pid;
  for (let depth = 0; depth < 4; depth++) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${current}/comm`, 'utf8').trim();
    } catch {
      return undefined;
    }
    if (comm !== 'bwrap') return depth === 0 ? undefined : current;
    let children: string;
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim();
    } catch {
      return undefined;
    }
    const first = children.split(' ').filter(Boolean).map(Number).sort((a, b) => a - b)[0];
    if (first === undefined) return undefined;
    current = first;
  }
  return undefined;
}
