import { setPriority } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { RssWatchdog } from './rss-watchdog.js';
import type { RuntimeBinding } from './runtime-messages.js';
import { lineSplitter, TextTail, type HostExit, type RuntimeHost, type RuntimeHostOptions } from './runtime-host.js';

// V8 prints "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory".
const V8_OOM = /heap out of memory|Reached heap limit/i;
// After 'exit', stdio normally closes within a tick; a grandchild that inherited our pipes could keep
// them open forever, so 'close' is awaited only this long.
const CLOSE_WAIT_MS = 200;

/**
 * Starts the runtime as a child Node process. execArgv is set explicitly, never inherited: the zone
 * node may run under a loader (tsx) that user code must not see. The child leads its own process
 * group (`detached`), so a kill also takes down anything user code spawned, as Lambda's sandbox
 * teardown does; the runtime exits by itself if the zone node disappears (IPC disconnect).
 */
/** Niceness of environment processes (0 normal, 19 lowest). */
export const ENVIRONMENT_NICENESS = 10;

export function startProcessRuntime(o: RuntimeHostOptions): RuntimeHost {
  return attachRuntimeProcess(spawnRuntimeProcess({ bootstrapPath: o.bootstrapPath, cwd: o.codeDir, env: o.env, memoryMb: o.memoryMb }), o);
}

/** Forks the runtime: its own process group, a heap limit of the function's memory, a lower CPU priority. */
export function spawnRuntimeProcess(args: { bootstrapPath: string; cwd: string; env: Record<string, string>; memoryMb: number }): ChildProcess {
  const child: ChildProcess = fork(args.bootstrapPath, [], {
    cwd: args.cwd,
    env: args.env,
    execArgv: [`--max-old-space-size=${args.memoryMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  // User code runs at a lower CPU priority than the zone node and the coordinator: a cold-start
  // storm on a small machine must not starve the platform's own heartbeats (a starved node would be
  // declared down, failing its work: a failure the workload caused, not the zone). Lambda's host
  // agents likewise run apart from the sandboxes they manage.
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, ENVIRONMENT_NICENESS);
    } catch {
      // Not permitted here (some containers): run at normal priority.
    }
  }
  return child;
}

/**
 * Makes a host of a forked runtime. `spare` is set for a runtime started ahead of need (see
 * SpareRuntimes): it already said `hello`, which is replayed, and its `init` carries the
 * environment's variables and directory, which it takes on before loading the handler.
 */
export function attachRuntimeProcess(child: ChildProcess, o: RuntimeHostOptions, spare?: { bind: RuntimeBinding }): RuntimeHost {

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

  const stderrTail = new TextTail();
  const out = lineSplitter(o.onOutput);
  const err = lineSplitter(o.onOutput);
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk);
    err.push(chunk);
  });
  child.on('message', (raw: unknown) => o.onMessage(raw));
  child.on('error', (e) => {
    // Spawn failure (no pid) ends the host; later errors (e.g. a send on a closed channel) do not.
    if (child.pid === undefined) finish({ code: null, signal: null, outOfMemory: false, spawnError: e });
  });
  child.on('exit', (code, signal) => {
    const settle = (): void => {
      out.end();
      err.end();
      finish({ code, signal, outOfMemory: outOfMemory || V8_OOM.test(stderrTail.text) });
    };
    // Wait for stdio to drain so V8's OOM report is seen, but not forever.
    const timer = setTimeout(settle, CLOSE_WAIT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      settle();
    });
  });

  // The whole group, even after the runtime itself exited: processes user code started must not
  // outlive the environment. ESRCH (nobody left) is fine.
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };

  const watchdog =
    child.pid === undefined
      ? undefined
      : new RssWatchdog(child.pid, o.memoryMb * 1024 * 1024, o.memoryPollMs, o.clock, () => {
          outOfMemory = true;
          killGroup();
        });

  // A spare said hello before this host existed; the environment waits for it all the same.
  if (spare) queueMicrotask(() => o.onMessage({ type: 'hello' }));

  return {
    exited,
    send(message) {
      if (!child.connected) return;
      const out = spare && message.type === 'init' ? { ...message, bind: spare.bind } : message;
      // The callback swallows send errors: a dying child is reported through 'exit'.
      child.send(out, () => {});
    },
    kill(options) {
      if (options?.outOfMemory) outOfMemory = true;
      killGroup();
    },
    startMemoryWatch: () => watchdog?.start(),
    stopMemoryWatch: () => watchdog?.stop(),
    get peakBytes() {
      return watchdog?.peakBytes ?? 0;
    },
  };
}
