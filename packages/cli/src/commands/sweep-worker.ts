import { fork, type ChildProcess } from 'node:child_process';
import type { LaunchResult, RunLauncher } from '@zonesim/research';
import { ZONESIM_BIN } from '../zonesim-bin.js';

/**
 * Virtual runs of a sweep in long-lived worker processes: each worker is `zonesim sweep-worker`,
 * which runs `zonesim run ARGS --quiet --json` in-process, one run at a time, for as many runs as it
 * is given. A virtual run is a fresh simulation each time (its own clocks, seeded randoms and data
 * directory), so runs do not see each other; what the worker saves is Node's start-up and module
 * loading, most of a short run's wall time. A worker that dies fails only the run it had (an
 * `error` in the study) and is replaced; workers are also replaced after {@link RUNS_PER_WORKER}
 * runs, so nothing a run leaves in the heap accumulates.
 */

/** Runs one worker process does before it is replaced. */
export const RUNS_PER_WORKER = 25;
/** At most this many bytes of a run's error output are kept (by either launcher). */
export const ERROR_TAIL_BYTES = 4096;

/** A run for the worker, and its answer. */
interface RunRequest {
  type: 'run';
  args: string[];
}
interface RunAnswer {
  type: 'done';
  exitCode: number;
  errorTail: string;
}

class Worker {
  readonly child: ChildProcess;
  runs = 0;
  #current: { resolve: (r: LaunchResult) => void; tail: string } | undefined;
  #exited = false;

  constructor() {
    this.child = fork(ZONESIM_BIN, ['sweep-worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr!.setEncoding('utf8');
    // Output outside a run (start-up warnings) goes with the next run's, if any.
    this.child.stderr!.on('data', (chunk: string) => {
      if (this.#current) this.#current.tail = (this.#current.tail + chunk).slice(-ERROR_TAIL_BYTES);
    });
    this.child.on('message', (m: RunAnswer) => {
      const current = this.#current;
      this.#current = undefined;
      current?.resolve({ exitCode: m.exitCode, errorTail: m.errorTail || current.tail });
    });
    this.child.on('exit', (code, signal) => {
      this.#exited = true;
      const current = this.#current;
      this.#current = undefined;
      current?.resolve({ exitCode: null, errorTail: `${current.tail}\nthe sweep worker exited during the run (${signal ?? `code ${code}`})` });
    });
  }

  get usable(): boolean {
    return !this.#exited && this.runs < RUNS_PER_WORKER;
  }

  run(args: readonly string[]): Promise<LaunchResult> {
    this.runs++;
    return new Promise((resolve) => {
      this.#current = { resolve, tail: '' };
      this.child.send({ type: 'run', args: [...args] } satisfies RunRequest);
    });
  }

  stop(): void {
    if (!this.#exited) this.child.kill('SIGKILL');
  }
}

/** A launcher over up to `size` workers (one per job). */
export function workerLauncher(): RunLauncher & { close(): void } {
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  return {
    async launch(args, signal): Promise<LaunchResult> {
      let worker = idle.pop();
      while (worker && !worker.usable) {
        worker.stop();
        all.delete(worker);
        worker = idle.pop();
      }
      if (!worker) {
        worker = new Worker();
        all.add(worker);
      }
      const w = worker;
      const onAbort = (): void => w.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await w.run(args);
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (w.usable) idle.push(w);
        else {
          w.stop();
          all.delete(w);
        }
      }
    },
    close(): void {
      for (const w of all) w.stop();
      all.clear();
      idle.length = 0;
    },
  };
}

/**
 * `zonesim sweep-worker` (hidden): the worker side. Each request runs `zonesim run ARGS --quiet
 * --json` through the CLI's own entry, with this process's output captured for the run (stdout
 * is the run's JSON, dropped: the sweep reads the results directory), then answers its exit code.
 */
export async function runSweepWorker(): Promise<number | undefined> {
  if (!process.send) {
    process.stderr.write('zonesim sweep-worker: runs only as a worker of zonesim sweep\n');
    return 2;
  }
  const { main } = await import('../main.js');
  const realStdout = process.stdout.write.bind(process.stdout);
  const realStderr = process.stderr.write.bind(process.stderr);
  let queue = Promise.resolve();
  process.on('message', (m: RunRequest) => {
    if (m?.type !== 'run') return;
    queue = queue.then(async () => {
      let tail = '';
      const capture = (chunk: string | Uint8Array): boolean => {
        tail = (tail + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-ERROR_TAIL_BYTES);
        return true;
      };
      process.stdout.write = (() => true) as typeof process.stdout.write;
      process.stderr.write = capture as typeof process.stderr.write;
      let exitCode: number;
      try {
        exitCode = (await main(['run', ...m.args, '--quiet', '--json'])) ?? 0;
      } catch (err) {
        capture(`zonesim: ${(err as Error).message}\n`);
        exitCode = 1;
      } finally {
        process.stdout.write = realStdout;
        process.stderr.write = realStderr;
      }
      process.send!({ type: 'done', exitCode, errorTail: exitCode === 0 || exitCode === 1 ? '' : tail } satisfies RunAnswer);
    });
  });
  // Stays up until the sweep disconnects (or kills it).
  await new Promise<void>((resolve) => process.once('disconnect', resolve));
  return 0;
}
