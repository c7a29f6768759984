import { fileURLToPath } from 'node:url';
import type { Clock } from '@zonesim/common';
import type { RuntimeExit } from './platform-errors.js';
import type { HostMessage } from './runtime-messages.js';
import type { MarkKind } from './runtime-output.js';

/**
 * The transport to one running runtime (a child process or a worker thread). It knows how to start,
 * message, watch and kill the runtime; the environment state machine (runtime-environment.ts) knows
 * what the messages mean.
 */

/** The folder of the plain-JavaScript runtime (`LAMBDA_RUNTIME_DIR`); the same from src/ and dist/. */
export const RUNTIME_DIR = fileURLToPath(new URL('../../runtime', import.meta.url));
/** The runtime's entry point. */
export const BOOTSTRAP_PATH = fileURLToPath(new URL('../../runtime/bootstrap.mjs', import.meta.url));

/** How the runtime ended. */
export interface HostExit extends RuntimeExit {
  /** Killed by the memory watchdog, or V8 ran out of heap. */
  outOfMemory: boolean;
  /** Set when the runtime never started (spawn failure). */
  spawnError?: Error;
}

/** What a host needs to start a runtime. */
export interface RuntimeHostOptions {
  environmentId: string;
  bootstrapPath: string;
  codeDir: string;
  /** The function's layers merged (`/opt` in the sandbox), if it has any. */
  optDir?: string;
  /** The complete environment of the runtime (built from scratch, see lambda-env.ts). */
  env: Record<string, string>;
  memoryMb: number;
  /** `EphemeralStorage.Size`, MB: the size of a sandboxed environment's /tmp. @default 512 */
  ephemeralStorageMb?: number;
  memoryPollMs: number;
  clock: Clock;
  /** Every message from the runtime, unvalidated. */
  onMessage(raw: unknown): void;
  /**
   * Output lines: a worker's raw stdout/stderr that bypassed the runtime's capture (e.g. V8's
   * fatal-error report); a process's whole stdout (console and stdout/stderr writes, runtime/output.mjs)
   * and its raw stderr.
   */
  onOutput(line: string): void;
  /** A process runtime finished writing INIT's or an invocation's output (runtime/output.mjs). */
  onMark?(seq: number, kind: MarkKind): void;
}

/** One running runtime. */
export interface RuntimeHost {
  /** Resolves once, when the runtime is gone (or never started). */
  readonly exited: Promise<HostExit>;
  send(message: HostMessage): void;
  /**
   * Kills at once (SIGKILL to the process group / worker.terminate()). Safe after the runtime
   * exited: it then sweeps whatever the runtime left behind (processes it spawned).
   */
  kill(options?: { outOfMemory?: boolean }): void;
  /** Starts / stops the host-side memory watchdog (used while the environment is busy). */
  startMemoryWatch(): void;
  stopMemoryWatch(): void;
  /** Peak memory the host observed, bytes (0 when it cannot observe the runtime). */
  readonly peakBytes: number;
}

/** Starts a runtime. May throw when the runtime cannot be started at all. */
export type RuntimeHostFactory = (options: RuntimeHostOptions) => RuntimeHost;

/** Splits raw stdout/stderr into lines, in bounded memory (runtime-output.ts). */
export { lineSplitter } from './runtime-output.js';

/** Keeps the last `maxChars` characters of a stream (to recognise V8's out-of-memory report). */
export class TextTail {
  #text = '';
  constructor(private readonly maxChars = 8192) {}
  push(chunk: Buffer | string): void {
    this.#text = (this.#text + chunk.toString()).slice(-this.maxChars);
  }
  get text(): string {
    return this.#text;
  }
}
