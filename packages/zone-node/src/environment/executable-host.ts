import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Clock } from '@zonesim/common';
import type { Containment, Sandbox } from '../sandbox/sandbox.js';
import { ENVIRONMENT_NICENESS, insideList, sandboxedEnv } from './process-host.js';
import { RssWatchdog } from './rss-watchdog.js';
import { lineSplitter, type HostExit } from './runtime-host.js';

/**
 * Starts a custom runtime: any executable (a `bootstrap`, an image's entrypoint) as a child process
 * that talks to the zone node only through the Runtime API. Like a Node process environment it
 * leads its own process group (a kill takes down what it spawned), runs at a lower CPU priority than
 * the platform, gets an environment built from scratch and is watched by the same RSS watchdog.
 * Its stdout and stderr lines are the function's log, as on Lambda. With the zone node's sandbox
 * (issue 15) it starts inside bubblewrap and its cgroups (sandbox.ts): the package (or the image's
 * root) read-only at /var/task, its own PID namespace, a private /tmp.
 */

/** What {@link startExecutableRuntime} needs. */
export interface ExecutableHostOptions {
  /** The environment's id (names its cgroup). */
  name: string;
  /** Host paths, resolved by custom-runtime-launch.ts. */
  command: string;
  args: readonly string[];
  cwd: string;
  /** The unpacked package (or image root): `/var/task` inside the sandbox. */
  codeDir: string;
  /** zonesim's runtime directory (a managed runtime's client): `/var/runtime` inside the sandbox. */
  runtimeDir?: string;
  /** Host directories bound read-only at the same path inside the sandbox (an interpreter's installation). */
  hostRoots?: readonly string[];
  /** The function's layers merged: `/opt` inside the sandbox. */
  optDir?: string;
  env: Record<string, string>;
  memoryMb: number;
  /** `EphemeralStorage.Size`, MB (a sandboxed environment's /tmp). @default 512 */
  ephemeralStorageMb?: number;
  /** The zone node's sandbox, if any. */
  sandbox?: Sandbox;
  memoryPollMs: number;
  clock: Clock;
  /** Each stdout / stderr line. */
  onOutput(line: string): void;
}

/** One running custom runtime. */
export interface ExecutableHost {
  /** Resolves once, when the process is gone (or never started: `spawnError`). */
  readonly exited: Promise<HostExit>;
  /** SIGKILL to the whole process group (safe after exit: sweeps what it left behind). */
  kill(options?: { outOfMemory?: boolean }): void;
  /** SIGTERM to the whole process group (graceful shutdown); to the runtime itself when sandboxed. */
  terminate(): void;
  /** INIT is over (the runtime's first `next`): the CPU quota of the memory size applies from now on. */
  initDone(): void;
  startMemoryWatch(): void;
  stopMemoryWatch(): void;
  readonly peakBytes: number;
}

/** How long to wait for stdio to close after the exit (a grandchild may hold the pipes). */
const CLOSE_WAIT_MS = 200;

export function startExecutableRuntime(o: ExecutableHostOptions): ExecutableHost {
  let child: ChildProcess;
  let containment: Containment | undefined;
  if (o.sandbox?.active) {
    // An absolute program outside the package (e.g. /bin/sh) is the host's, bound read-only.
    const view = o.sandbox.view(o.codeDir, o.runtimeDir ?? o.codeDir, o.optDir);
    const env = sandboxedEnv(o.env, view);
    ({ child, containment } = o.sandbox.spawn({
      name: o.name,
      command: view.inside(o.command),
      // Arguments may name the package, the runtime directory or /opt (`-cp a:b`).
      args: o.args.map((a) => insideList(a, view)),
      codeDir: o.codeDir,
      ...(o.runtimeDir === undefined ? {} : { runtimeDir: o.runtimeDir }),
      ...(o.hostRoots === undefined ? {} : { hostRoots: o.hostRoots }),
      ...(o.optDir === undefined ? {} : { optDir: o.optDir }),
      cwd: view.inside(o.cwd),
      env,
      memoryMb: o.memoryMb,
      ...(o.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: o.ephemeralStorageMb }),
      ipc: false,
    }));
  } else {
    child = spawn(o.command, [...o.args], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  }
  if (o.sandbox?.notice !== undefined) o.onOutput(o.sandbox.notice);
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, ENVIRONMENT_NICENESS);
    } catch {
      // Not permitted here: run at normal priority.
    }
  }

  let outOfMemory = false;
  let resolveExit!: (exit: HostExit) => void;
  const exited = new Promise<HostExit>((resolve) => (resolveExit = resolve));
  let done = false;
  const finish = (exit: HostExit): void => {
    if (done) return;
    done = true;
    watchdog?.stop();
    resolveExit(exit);
    void containment?.release();
  };

  const out = lineSplitter(o.onOutput);
  const err = lineSplitter(o.onOutput);
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  child.on('error', (e) => {
    if (child.pid === undefined) finish({ code: null, signal: null, outOfMemory: false, spawnError: e });
  });
  child.on('exit', (rawCode, rawSignal) => {
    const settle = (): void => {
      out.end();
      err.end();
      // Read before release() removes the cgroup: a kill by the cgroup's OOM killer is an OOM too.
      const { code, signal } = containment ? containment.exitOf(rawCode, rawSignal) : { code: rawCode, signal: rawSignal };
      finish({ code, signal, outOfMemory: outOfMemory || (containment?.oomKilled() ?? false) });
    };
    const timer = setTimeout(settle, CLOSE_WAIT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      settle();
    });
  });

  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
    // A process in a new session left the group, not the cgroup.
    if (signal === 'SIGKILL') containment?.killAll();
  };

  const pid = child.pid;
  const watchdog =
    pid === undefined
      ? undefined
      : new RssWatchdog(containment ? () => containment.runtimePid() : pid, o.memoryMb * 1024 * 1024, o.memoryPollMs, o.clock, () => {
          outOfMemory = true;
          signalGroup('SIGKILL');
        });

  return {
    exited,
    kill(options) {
      if (options?.outOfMemory) outOfMemory = true;
      signalGroup('SIGKILL');
    },
    terminate: () => {
      // Under bubblewrap the runtime is in a session of its own, below bwrap (which would die of a
      // SIGTERM and take the sandbox down at once): the runtime gets it, as it would on Lambda.
      const runtime = containment?.runtimePid();
      if (containment && runtime !== undefined && runtime !== pid) {
        try {
          process.kill(runtime, 'SIGTERM');
        } catch {
          // Gone already.
        }
        return;
      }
      signalGroup('SIGTERM');
    },
    initDone: () => containment?.enterInvokePhase(),
    startMemoryWatch: () => watchdog?.start(),
    stopMemoryWatch: () => watchdog?.stop(),
    get peakBytes() {
      return watchdog?.peakBytes ?? 0;
    },
  };
}
