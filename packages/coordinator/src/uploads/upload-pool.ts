import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { LifecycleState, type Logger } from '@zonesim/common';
import { serviceException, tooManyRequests } from '../errors.js';
import { fromJobError } from './job-errors.js';
import type { UploadJob, UploadJobOutcome, UploadJobResults, UploadJobType } from './upload-jobs.js';
import { resolveUploadPoolOptions, type ResolvedUploadPoolOptions, type UploadPoolOptions } from './upload-pool-options.js';

/** The worker entry beside this file: `.ts` when running from source (tests under tsx), else `.js`. */
const DEFAULT_WORKER_FILE = new URL(`./upload-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Components of an {@link UploadPool}, apart from its settings. */
export interface UploadPoolComponents {
  log: Logger;
  /** The module whose default export runs a job. @default `upload-worker.js` beside this file */
  workerFile?: URL;
}

/** Counters of an {@link UploadPool}, for `/zonesim/v1/stats`. */
export interface UploadPoolStats {
  workers: number;
  /** Jobs waiting for a worker now. */
  queued: number;
  completed: number;
  /** Jobs refused because the queue was full (answered 429). */
  refused: number;
  /** Jobs lost with a worker that died (answered 500). */
  failed: number;
}

/**
 * The coordinator's upload workers (issue 15, finding 4): a small pool of worker threads (piscina)
 * that runs {@link UploadJob}s, so that the event loop, which also answers the zone nodes'
 * heartbeats, never parses, inflates or hashes a package. Bounded: at most `maxQueuedJobs` jobs
 * wait; one more is refused with 429 `TooManyRequestsException`. A worker that dies (a crash, its
 * heap limit) fails only the job it was running, with 500 `ServiceException`, and is replaced.
 */
export class UploadPool {
  readonly options: ResolvedUploadPoolOptions;
  readonly #log: Logger;
  readonly #workerFile: string;
  #pool: Piscina | undefined;
  #state: LifecycleState = LifecycleState.Idle;
  #stopping: Promise<void> | undefined;
  #refused = 0;
  #failed = 0;

  constructor(options: UploadPoolOptions, components: UploadPoolComponents) {
    this.options = resolveUploadPoolOptions(options);
    this.#log = components.log;
    this.#workerFile = fileURLToPath(components.workerFile ?? DEFAULT_WORKER_FILE);
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Starts the workers (they load in the background; jobs queue until one is ready). */
  async start(): Promise<void> {
    if (this.#state !== LifecycleState.Idle) throw new Error(`upload pool cannot start from state ${this.#state}`);
    const o = this.options;
    const pool = new Piscina({
      filename: this.#workerFile,
      name: 'default',
      minThreads: o.workers,
      maxThreads: o.workers,
      maxQueue: o.maxQueuedJobs,
      niceIncrement: o.niceIncrement,
      resourceLimits: { maxOldGenerationSizeMb: o.workerMaxHeapMb },
      closeTimeout: o.stopGraceMs,
      // Message passing only: with Atomics a worker sleeps between jobs in Atomics.wait(), which
      // would also stall anything a finished job left behind (a temporary file's removal).
      atomics: 'disabled',
    });
    // What fails outside a job (a worker dying while idle, the stop's grace running out) is reported
    // here; without a listener the 'error' event would take the coordinator down.
    pool.on('error', (err: unknown) => this.#log.error({ err }, 'upload pool error'));
    this.#pool = pool;
    this.#state = LifecycleState.Running;
  }

  /** Stops taking jobs, lets running ones finish within `stopGraceMs`, then terminates the workers. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const pool = this.#pool;
    this.#state = LifecycleState.Stopping;
    this.#pool = undefined;
    // close() waits for running jobs up to closeTimeout, then terminates the workers either way.
    if (pool) await pool.close();
    this.#state = LifecycleState.Stopped;
  }

  /** Counters since start. */
  stats(): UploadPoolStats {
    const pool = this.#pool;
    return { workers: pool?.threads.length ?? 0, queued: pool?.queueSize ?? 0, completed: pool?.completed ?? 0, refused: this.#refused, failed: this.#failed };
  }

  /**
   * Runs `job` on a worker; `transfer` lists the buffers of the job that move with it (the caller's
   * views of them are detached). Resolves with the job's value or rejects with the error the job
   * raised, rebuilt on this side (`job-errors.ts`).
   * @throws LambdaApiError 429 `TooManyRequestsException` when `maxQueuedJobs` jobs already wait;
   *   500 `ServiceException` when the pool is not running or the worker died.
   */
  async run<T extends UploadJobType>(job: Extract<UploadJob, { type: T }>, transfer: ArrayBuffer[] = [], options: { signal?: AbortSignal } = {}): Promise<UploadJobResults[T]> {
    const pool = this.#pool;
    if (!pool || this.#state !== LifecycleState.Running) throw serviceException('The coordinator is stopping: uploads are not being processed.');
    let outcome: UploadJobOutcome;
    try {
      outcome = (await pool.run(job, { transferList: transfer, ...(options.signal ? { signal: options.signal } : {}) })) as UploadJobOutcome;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      // piscina says so only in words; its queue is the one bound it enforces.
      if ((err as Error).message === 'Task queue is at limit') {
        this.#refused++;
        throw tooManyRequests(
          'CallerRateLimitExceeded',
          `Rate exceeded: ${this.options.maxQueuedJobs} upload jobs are already waiting for the coordinator's upload workers. Retry the request later.`,
          1,
        );
      }
      this.#failed++;
      this.#log.error({ err, job: job.type }, 'an upload worker died during a job; it is replaced');
      throw serviceException('The worker processing this upload failed; nothing was stored. Retry the request.', err);
    }
    if (!outcome.ok) throw fromJobError(outcome.error);
    return outcome.value as UploadJobResults[T];
  }
}
