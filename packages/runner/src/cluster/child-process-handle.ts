import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseReadyLine, type ReadyInfo } from '@zonesim/common';

/** How to start one zonesim process. */
export interface ChildSpec {
  /** Label used in messages, e.g. `coordinator` or `zone az-b`. */
  label: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** File that receives the child's stderr (its JSON log); omitted: inherited. */
  logFile?: string;
  readyTimeoutMs: number;
  /**
   * Start the child without the parent's NODE_OPTIONS, even if a loader in this process would add
   * them back (test runners inject coverage hooks into every child they see, which would otherwise
   * reach every execution environment and slow each cold start several-fold).
   */
  withoutNodeOptions?: boolean;
  /**
   * Node.js flags placed before the script, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]` (the
   * benchmark suite profiles the coordinator this way). @default []
   */
  nodeArgs?: string[];
  /**
   * Open Node's IPC channel to the child (`child.send`, `'message'`): the coordinator of a cluster
   * asks its supervisor for process and network faults over it (the dashboard's controls). @default false
   */
  ipc?: boolean;
  /** The entry script to run. @default {@link zonesimBin} */
  bin?: string;
}

let resolvedBin: string | undefined;

/**
 * Path of the `zonesim` entry script (the bin of `@zonesim/cli`), which the launcher starts as
 * `zonesim coordinator` and `zonesim zone`. Found through package resolution when first asked for,
 * so that loading the runner does not need the CLI; {@link ChildSpec.bin} overrides it.
 */
export function zonesimBin(): string {
  return (resolvedBin ??= fileURLToPath(import.meta.resolve('@zonesim/cli/bin/zonesim.js')));
}

/**
 * One child zonesim process. `ready` resolves with the child's ready line, and rejects if the child
 * exits first or stays silent past the timeout (with the tail of its stderr in the message).
 */
export class ChildProcessHandle {
  readonly label: string;
  readonly child: ChildProcess;
  readonly ready: Promise<ReadyInfo>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderrTail = '';
  #log: WriteStream | undefined;
  readonly #logFile: string | undefined;

  constructor(spec: ChildSpec) {
    this.label = spec.label;
    // stdin is a pipe the child watches: when this process dies, the pipe closes and the child exits.
    const argv = [...(spec.nodeArgs ?? []), spec.bin ?? zonesimBin(), ...spec.args, '--exit-with-parent'];
    // `env -u` drops the variable after any spawn hook of this process has set it, then execs node
    // (same pid).
    const [cmd, args] = spec.withoutNodeOptions ? ['/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...argv]] : [process.execPath, argv];
    this.child = spawn(cmd, args, {
      env: spec.env,
      stdio: spec.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the supervisor only, which then
      // stops the children in order (zone nodes first, then the coordinator).
      detached: true,
    });
    this.#logFile = spec.logFile;
    if (spec.logFile) this.#log = createWriteStream(spec.logFile, { flags: 'a' });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(-4000);
      if (this.#log) this.#log.write(chunk);
      else process.stderr.write(chunk);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#log?.end();
        resolve({ code, signal });
      });
    });
    this.ready = new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.label} was not ready within ${spec.readyTimeoutMs} ms${this.#tail()}`));
      }, spec.readyTimeoutMs);
      const lines = createInterface({ input: this.child.stdout! });
      lines.on('line', (line) => {
        const info = parseReadyLine(line);
        if (info) {
          clearTimeout(timer);
          resolve(info);
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited (${signal ?? `code ${code}`}) before it was ready${this.#tail()}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal if the child still runs. */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is reaped. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #tail(): string {
    let t = this.#stderrTail.trim();
    if (!t && this.#logFile) {
      try {
        t = readFileSync(this.#logFile, 'utf8').trim().slice(-4000);
      } catch {
        // No log yet.
      }
    }
    return t ? `\n--- last output of ${this.label} ---\n${t.split('\n').slice(-15).join('\n')}` : '';
  }
}
