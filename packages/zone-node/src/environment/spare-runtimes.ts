import { silentLogger, type Logger } from '@zonesim/common';
import type { Sandbox } from '../sandbox/sandbox.js';
import { LAMBDA_DEFAULT_PATH } from './lambda-env.js';
import { spawnRuntimeProcess, type RuntimeProcess } from './process-host.js';
import { BOOTSTRAP_PATH, RUNTIME_DIR } from './runtime-host.js';

/**
 * Variables a Node process reads only while it starts (or that the dynamic loader, libuv or
 * OpenSSL read then): a spare started without them cannot take them on later, so an environment
 * whose value differs from the spare's is started fresh. NODE_PATH is not one: the runtime reads
 * it again when it becomes an environment (runtime/runtime-modules.mjs).
 */
const STARTUP_VARIABLE = /^(NODE_(?!PATH$)|UV_|LC_|LD_|MALLOC_|OPENSSL_|SSL_)|^(LANG|LANGUAGE)$/;

/** What spares are started with: the startup-relevant part of every Lambda environment (lambda-env.ts). */
export function spareEnvironment(parentPath: string | undefined = process.env['PATH']): Record<string, string> {
  return { LANG: 'en_US.UTF-8', PATH: parentPath && parentPath.length > 0 ? parentPath : LAMBDA_DEFAULT_PATH, TZ: ':UTC' };
}

/** True when a runtime started with `spareEnv` can become an environment with `env`. */
export function canBind(env: Record<string, string>, spareEnv: Record<string, string>): boolean {
  for (const name of new Set([...Object.keys(env), ...Object.keys(spareEnv)])) {
    if (STARTUP_VARIABLE.test(name) && env[name] !== spareEnv[name]) return false;
  }
  return true;
}

/** Counters of {@link SpareRuntimes}. */
export interface SpareRuntimeCounts {
  /** Ready spares now. */
  ready: number;
  /** Spares starting now. */
  starting: number;
  /** Cold starts that took a spare. */
  hits: number;
  /** Cold starts that found none of their memory size (or could not bind one) and started fresh. */
  misses: number;
}

interface Spare {
  rp: RuntimeProcess;
  memoryMb: number;
  ready: boolean;
  /** Handed to an environment, which owns the process (and its cleanup) from then on. */
  taken: boolean;
  /** Settles when the process is gone (awaited by stop()). */
  gone: Promise<void> | undefined;
  onMessage(raw: unknown): void;
  onExit(): void;
}

/**
 * Node runtimes started ahead of need, so that a cold start does not wait for Node itself to start
 * (about 100 ms on a small machine, most of a cold start): a platform keeps sandboxes ready for the
 * same reason. A spare is the environment's runtime (`runtime/bootstrap.mjs`) in its own process
 * group at the environments' priority, forked with the heap limit of one memory size and the
 * startup variables every Lambda environment shares; it has said `hello` and waits. A cold start of
 * that memory size takes it, and its `init` gives it the environment's variables and directory
 * before the handler loads; INIT then measures the handler's load, not Node's start.
 *
 * Bounded: at most `max` spares in all, one per memory size, for the sizes that started
 * environments most recently (the oldest size's spare is stopped to make room). A spare is refilled
 * after each cold start of its size, never while one of that size is starting. Spares are not
 * environments: they hold no slot and no memory of the node's capacity, and no invocation.
 *
 * With the zone node's sandbox (issue 15) a spare starts inside it, in a cgroup of its memory size,
 * with an empty directory of its own at `/var/task` that the cold start taking it fills (see
 * sandbox/task-dir.ts): a spare is as contained as a runtime forked for the environment.
 */
export class SpareRuntimes {
  readonly #max: number;
  readonly #log: Logger;
  readonly #spareEnv: Record<string, string>;
  readonly #sandbox: Sandbox | undefined;
  readonly #turn: () => Promise<void>;
  #started = 0;
  /** Memory size -> its spare, in order of last use (oldest first). */
  readonly #spares = new Map<number, Spare>();
  readonly #exits = new Set<Promise<void>>();
  #hits = 0;
  #misses = 0;
  #stopped = false;

  /**
   * @param options.turn waits for the node's turn to fork (its cold-start turnstile): a refill is a
   *   fork like a cold start's, and two forks in one event-loop turn would hold the node's
   *   heartbeats back for both. @default the next check phase
   */
  constructor(options: { max: number; log?: Logger; spareEnv?: Record<string, string>; sandbox?: Sandbox; turn?: () => Promise<void> }) {
    if (!Number.isInteger(options.max) || options.max < 0) throw new TypeError(`spare runtimes: max must be a non-negative integer, got ${String(options.max)}`);
    this.#max = options.max;
    this.#log = options.log ?? silentLogger();
    this.#spareEnv = options.spareEnv ?? spareEnvironment();
    this.#sandbox = options.sandbox;
    this.#turn = options.turn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  get counts(): SpareRuntimeCounts {
    let ready = 0;
    for (const s of this.#spares.values()) if (s.ready) ready++;
    return { ready, starting: this.#spares.size - ready, hits: this.#hits, misses: this.#misses };
  }

  /**
   * A ready spare of this memory size that can become an environment with `env`, handed over
   * (the caller owns the process from now on), or undefined. Either way a replacement of this size
   * is started soon.
   */
  take(memoryMb: number, env: Record<string, string>): RuntimeProcess | undefined {
    if (this.#stopped || this.#max === 0) return undefined;
    const spare = this.#spares.get(memoryMb);
    const usable = spare?.ready === true && canBind(env, this.#spareEnv);
    void this.#turn().then(() => this.#want(memoryMb));
    if (!spare || !usable) {
      this.#misses++;
      return undefined;
    }
    this.#spares.delete(memoryMb);
    spare.taken = true;
    spare.rp.child.off('message', spare.onMessage);
    spare.rp.child.off('exit', spare.onExit);
    if (spare.gone) this.#exits.delete(spare.gone);
    this.#hits++;
    return spare.rp;
  }

  /** Stops every spare and waits until they are gone. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const spare of [...this.#spares.values()]) this.#kill(spare);
    this.#spares.clear();
    await Promise.all([...this.#exits]);
  }

  /** Makes sure a spare of this size exists or is starting, as the most recently used size. */
  #want(memoryMb: number): void {
    if (this.#stopped || this.#max === 0) return;
    const existing = this.#spares.get(memoryMb);
    if (existing) {
      // Most recently used: move to the end.
      this.#spares.delete(memoryMb);
      this.#spares.set(memoryMb, existing);
      return;
    }
    while (this.#spares.size >= this.#max) {
      const [oldestSize, oldest] = this.#spares.entries().next().value as [number, Spare];
      this.#spares.delete(oldestSize);
      this.#kill(oldest);
    }
    let rp: RuntimeProcess;
    try {
      rp = spawnRuntimeProcess({
        name: `spare-${process.pid}-${++this.#started}`,
        bootstrapPath: BOOTSTRAP_PATH,
        cwd: RUNTIME_DIR,
        codeDir: undefined,
        env: this.#spareEnv,
        memoryMb,
        ...(this.#sandbox ? { sandbox: this.#sandbox } : {}),
      });
    } catch (err) {
      this.#log.warn({ err, memoryMb }, 'could not start a spare runtime');
      return;
    }
    const child = rp.child;
    if (child.pid === undefined) {
      // The fork failed (its 'error' says why, and no 'exit' follows): nothing to keep.
      child.once('error', (err) => this.#log.warn({ err, memoryMb }, 'could not start a spare runtime'));
      void rp.containment?.release();
      return;
    }
    const spare: Spare = {
      rp,
      memoryMb,
      ready: false,
      taken: false,
      gone: undefined,
      onMessage: (raw) => {
        if ((raw as { type?: unknown } | null)?.type === 'hello') spare.ready = true;
      },
      onExit: () => {
        // Died while waiting (killed from outside, or could not start): forgotten; the next cold
        // start of its size starts another, so a spare that cannot run is never respawned in a loop.
        if (this.#spares.get(memoryMb) === spare) this.#spares.delete(memoryMb);
      },
    };
    spare.gone = this.#track(spare);
    child.on('message', spare.onMessage);
    child.on('exit', spare.onExit);
    child.on('error', () => {});
    this.#spares.set(memoryMb, spare);
  }

  /**
   * Remembers a spare until it exits (and its cgroup is removed), so that stop() can wait for it.
   * A spare that is taken is the environment's from then on, cleanup included.
   */
  #track(spare: Spare): Promise<void> | undefined {
    const { child, containment } = spare.rp;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return undefined;
    const gone = new Promise<void>((resolve) =>
      child.once('exit', () => {
        if (spare.taken || !containment) resolve();
        else void containment.release().then(() => resolve());
      }),
    );
    this.#exits.add(gone);
    void gone.then(() => this.#exits.delete(gone));
    return gone;
  }

  #kill(spare: Spare): void {
    const child = spare.rp.child;
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    spare.rp.containment?.killAll();
  }
}
