import { setPriority } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Containment, Sandbox, SandboxView } from '../sandbox/sandbox.js';
import { ensureRuntimeModules } from './runtime-modules.js';
import { RssWatchdog } from './rss-watchdog.js';
import type { RuntimeBinding } from './runtime-messages.js';
import { lineSplitter, RUNTIME_DIR, TextTail, type HostExit, type RuntimeHost, type RuntimeHostOptions } from './runtime-host.js';
import { runtimeOutputReader } from './runtime-output.js';

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
 * With a sandbox (issue 15) the same runtime starts inside bubblewrap and its cgroups instead
 * (sandbox.ts): its own PID namespace, the code read-only at /var/task, a private /tmp.
 */
/** Niceness of environment processes (0 normal, 19 lowest). */
export const ENVIRONMENT_NICENESS = 10;

/** A runtime process and, when sandboxed, what contains it. */
export interface RuntimeProcess {
  child: ChildProcess;
  containment?: Containment;
}

export function startProcessRuntime(o: RuntimeHostOptions, sandbox?: Sandbox): RuntimeHost {
  const rp = spawnRuntimeProcess({
    name: o.environmentId,
    bootstrapPath: o.bootstrapPath,
    cwd: o.codeDir,
    codeDir: o.codeDir,
    ...(o.optDir === undefined ? {} : { optDir: o.optDir }),
    env: o.env,
    memoryMb: o.memoryMb,
    ...(o.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: o.ephemeralStorageMb }),
    ...(sandbox ? { sandbox } : {}),
  });
  return attachRuntimeProcess(rp, o, sandbox?.notice === undefined ? {} : { notice: sandbox.notice });
}

/** Variables that hold `:`-separated paths, mapped into the sandbox element by element. */
const PATH_LIST_VARIABLES = ['PATH', 'NODE_PATH', 'PYTHONPATH', 'CLASSPATH'];

/**
 * The Lambda variables that name paths, as the runtime sees them: `/var/task`, `/var/runtime` and
 * `/opt` inside bubblewrap (lambda-facts 3.2: LAMBDA_TASK_ROOT is /var/task on Lambda too), in the
 * search paths as well.
 */
export function sandboxedEnv(env: Record<string, string>, view: SandboxView): Record<string, string> {
  const out = { ...env };
  for (const name of ['LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']) if (out[name] !== undefined) out[name] = view.inside(out[name]!);
  for (const name of PATH_LIST_VARIABLES) if (out[name] !== undefined) out[name] = insideList(out[name]!, view);
  return out;
}

/** A `:`-separated list of host paths as the sandbox sees them. */
export function insideList(value: string, view: SandboxView): string {
  return value.split(':').map((p) => view.inside(p)).join(':');
}

/**
 * Forks the runtime: its own process group, a heap limit of the function's memory, a lower CPU
 * priority; inside the sandbox when one is active. `codeDir` undefined is a spare runtime, which
 * does not know its code yet.
 */
export function spawnRuntimeProcess(args: {
  name: string;
  bootstrapPath: string;
  cwd: string;
  codeDir: string | undefined;
  optDir?: string;
  env: Record<string, string>;
  memoryMb: number;
  ephemeralStorageMb?: number;
  sandbox?: Sandbox;
}): RuntimeProcess {
  const execArgv = [`--max-old-space-size=${args.memoryMb}`];
  let rp: RuntimeProcess;
  if (args.sandbox?.active) {
    // bwrap would start and then fail to bind it (an exit, read as the function's INIT failing):
    // a missing code directory is the platform's spawn failure, as a fork reports it.
    if (args.codeDir !== undefined && statSync(args.codeDir, { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new Error(`code directory ${args.codeDir} does not exist`);
    }
    const view = args.sandbox.view(args.codeDir, RUNTIME_DIR, args.optDir);
    // The runtime's node_modules links into the installation's (the AWS SDK): bound read-only so they resolve.
    const sdk = ensureRuntimeModules();
    rp = args.sandbox.spawn({
      name: args.name,
      command: process.execPath,
      args: [...execArgv, view.inside(args.bootstrapPath)],
      codeDir: args.codeDir,
      runtimeDir: RUNTIME_DIR,
      ...(args.optDir === undefined ? {} : { optDir: args.optDir }),
      ...(sdk === undefined ? {} : { hostRoots: [sdk] }),
      cwd: args.codeDir === undefined && args.sandbox.namespaced ? view.taskRoot : view.inside(args.cwd),
      env: sandboxedEnv(args.env, view),
      memoryMb: args.memoryMb,
      ...(args.ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb: args.ephemeralStorageMb }),
      ipc: true,
    });
  } else {
    rp = {
      child: fork(args.bootstrapPath, [], {
        cwd: args.cwd,
        env: args.env,
        execArgv,
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
      }),
    };
  }
  // User code runs at a lower CPU priority than the zone node and the coordinator: a cold-start
  // storm on a small machine must not starve the platform's own heartbeats (a starved node would be
  // declared down, failing its work: a failure the workload caused, not the zone). Lambda's host
  // agents likewise run apart from the sandboxes they manage.
  if (rp.child.pid !== undefined) {
    try {
      setPriority(rp.child.pid, ENVIRONMENT_NICENESS);
    } catch {
      // Not permitted here (some containers): run at normal priority.
    }
  }
  return rp;
}

/**
 * Makes a host of a forked runtime. `spare` is set for a runtime started ahead of need (see
 * SpareRuntimes): it already said `hello`, which is replayed, and its `init` carries the
 * environment's variables and directory, which it takes on before loading the handler; a sandboxed
 * spare's `/var/task` is filled first. `notice` is the line an environment that is not fully
 * sandboxed shows in its INIT log.
 */
export function attachRuntimeProcess(rp: RuntimeProcess, o: RuntimeHostOptions, extra: { spare?: { bind: RuntimeBinding }; notice?: string } = {}): RuntimeHost {
  const { child, containment } = rp;
  const spare = extra.spare;

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

  const stderrTail = new TextTail();
  // stdout carries the runtime's whole log, written with blocking writes (runtime/output.mjs);
  // stderr only what bypasses it (V8's and Node's own fatal reports).
  const out = runtimeOutputReader(o.onOutput, (seq, kind) => o.onMark?.(seq, kind));
  const err = lineSplitter(o.onOutput);
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk);
    err.push(chunk);
  });
  child.on('message', (raw: unknown) => {
    // INIT is over: from now on the CPU of the memory size (--cpu-model lambda; Lambda's INIT ran
    // unthrottled, lambda-facts 4).
    if (containment && (raw as { type?: unknown } | null)?.type === 'init-done') containment.enterInvokePhase();
    o.onMessage(raw);
  });
  child.on('error', (e) => {
    // Spawn failure (no pid) ends the host; later errors (e.g. a send on a closed channel) do not.
    if (child.pid === undefined) finish({ code: null, signal: null, outOfMemory: false, spawnError: e });
  });
  child.on('exit', (rawCode, rawSignal) => {
    const settle = (): void => {
      out.end();
      err.end();
      // Read before release() removes the cgroup: a kill by the cgroup's OOM killer is an OOM too.
      const { code, signal } = containment ? containment.exitOf(rawCode, rawSignal) : { code: rawCode, signal: rawSignal };
      finish({ code, signal, outOfMemory: outOfMemory || V8_OOM.test(stderrTail.text) || (containment?.oomKilled() ?? false) });
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
    // A handler's process in a new session left the group, not the cgroup.
    containment?.killAll();
  };

  const pid = child.pid;
  const watchdog =
    pid === undefined
      ? undefined
      : new RssWatchdog(containment ? () => containment.runtimePid() : pid, o.memoryMb * 1024 * 1024, o.memoryPollMs, o.clock, () => {
          outOfMemory = true;
          killGroup();
        });

  if (extra.notice !== undefined) o.onOutput(extra.notice);
  // A spare said hello before this host existed; the environment waits for it all the same. A
  // sandboxed spare's /var/task is filled first: the runtime reads it only after `init`.
  if (spare) {
    const filled = containment ? containment.fillTask(o.codeDir) : Promise.resolve();
    filled.then(
      () => o.onMessage({ type: 'hello' }),
      (e: unknown) => {
        o.onOutput(`zonesim: could not prepare /var/task: ${(e as Error).message}`);
        killGroup();
      },
    );
  }

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
