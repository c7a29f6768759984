import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { lineSplitter, type HostExit, type RuntimeHost, type RuntimeHostOptions } from './runtime-host.js';

/**
 * Starts the runtime as a worker thread of the zone node. The heap is capped with
 * `resourceLimits.maxOldGenerationSizeMb` (V8 then ends the worker with ERR_WORKER_OUT_OF_MEMORY);
 * `execArgv: []` keeps the zone node's loader flags (tsx) out of user code; `env` is a private copy.
 * Weaker isolation than a process: a worker shares the zone node's address space, cwd, TZ and
 * native crashes; external memory (Buffers) is only checked by the runtime between event-loop turns.
 * Its output differs too: a worker's stdout is a message port, which cannot block the writer, so
 * the runtime sends its log lines on the parent port, bounded per invocation in the runtime itself
 * (runtime/output.mjs; docs/runtimes.md, "Logs"). What reaches `worker.stdout` / `worker.stderr`
 * here bypassed that capture; it is read in lines of at most 256 KiB.
 */
export function startWorkerRuntime(o: RuntimeHostOptions): RuntimeHost {
  // A process cannot start without its working directory; a worker has none, so check the same
  // precondition here and fail the same way (a spawn failure, not a user-code error).
  if (!statSync(o.codeDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`code directory ${o.codeDir} does not exist`);
  }
  const worker = new Worker(o.bootstrapPath, {
    env: { ...o.env },
    execArgv: [],
    argv: [],
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: o.memoryMb },
    name: o.environmentId,
  });

  let outOfMemory = false;
  let killed = false;
  let resolveExit!: (exit: HostExit) => void;
  const exited = new Promise<HostExit>((resolve) => (resolveExit = resolve));

  const out = lineSplitter(o.onOutput);
  const err = lineSplitter(o.onOutput);
  worker.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  worker.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  worker.on('message', (raw: unknown) => o.onMessage(raw));
  worker.on('error', (e: Error & { code?: string }) => {
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') outOfMemory = true;
    else o.onOutput(String(e.stack ?? e));
  });
  worker.on('exit', (code) => {
    out.end();
    err.end();
    // A worker has no signals; an out-of-memory or forced end reads like Lambda's SIGKILL.
    const signal = outOfMemory || killed ? ('SIGKILL' as const) : null;
    resolveExit({ code: signal ? null : code, signal, outOfMemory });
  });

  return {
    exited,
    send(message) {
      worker.postMessage(message);
    },
    kill(options) {
      if (options?.outOfMemory) outOfMemory = true;
      killed = true;
      void worker.terminate();
    },
    // The runtime watches its own isolate (runtime/memory.mjs); the host cannot see a thread's memory.
    startMemoryWatch() {},
    stopMemoryWatch() {},
    peakBytes: 0,
  };
}
