import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Clock } from '@zonesim/common';
import { ENVIRONMENT_NICENESS } from './process-host.js';
import { RssWatchdog } from './rss-watchdog.js';
import { lineSplitter, type HostExit } from './runtime-host.js';

/**
 * Starts a custom runtime: any executable (a `bootstrap`, an image's entrypoint) as a child process
 * that talks to the zone node only through the Runtime API. Like a Node process environment it
 * leads its own process group (a kill takes down what it spawned), runs at a lower CPU priority than
 * the platform, gets an environment built from scratch and is watched by the same RSS watchdog.
 * Its stdout and stderr lines are the function's log, as on Lambda.
 */

/** What {@link startExecutableRuntime} needs. */
export interface ExecutableHostOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  memoryMb: number;
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
  /** SIGTERM to the whole process group (graceful shutdown). */
  terminate(): void;
  startMemoryWatch(): void;
  stopMemoryWatch(): void;
  readonly peakBytes: number;
}

/** How long to wait for stdio to close after the exit (a grandchild may hold the pipes). */
const CLOSE_WAIT_MS = 200;

export function startExecutableRuntime(o: ExecutableHostOptions): ExecutableHost {
  const child: ChildProcess = spawn(o.command, [...o.args], {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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
  };

  const out = lineSplitter(o.onOutput);
  const err = lineSplitter(o.onOutput);
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  child.on('error', (e) => {
    if (child.pid === undefined) finish({ code: null, signal: null, outOfMemory: false, spawnError: e });
  });
  child.on('exit', (code, signal) => {
    const settle = (): void => {
      out.end();
      err.end();
      finish({ code, signal, outOfMemory });
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
  };

  const watchdog =
    child.pid === undefined
      ? undefined
      : new RssWatchdog(child.pid, o.memoryMb * 1024 * 1024, o.memoryPollMs, o.clock, () => {
          outOfMemory = true;
          signalGroup('SIGKILL');
        });

  return {
    exited,
    kill(options) {
      if (options?.outOfMemory) outOfMemory = true;
      signalGroup('SIGKILL');
    },
    terminate: () => signalGroup('SIGTERM'),
    startMemoryWatch: () => watchdog?.start(),
    stopMemoryWatch: () => watchdog?.stop(),
    get peakBytes() {
      return watchdog?.peakBytes ?? 0;
    },
  };
}
