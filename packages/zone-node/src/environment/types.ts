import type { FunctionError, FunctionSpec } from '@zonesim/protocol';
import type { ResponseStreamTarget } from './response-stream.js';

/**
 * The execution-environment contract. An environment runs one function version (one `specKey`),
 * one invocation at a time. Two implementations share this interface and one contract test suite:
 * `process` (a child Node process per environment) and `worker` (a worker thread per environment).
 */

/** How environments are isolated from the zone node. */
export type IsolationMode = 'process' | 'worker';

/** Lambda's `AWS_LAMBDA_INITIALIZATION_TYPE`. */
export type InitializationType = 'on-demand' | 'provisioned-concurrency';

/** Everything needed to create one environment. */
export interface EnvironmentConfig {
  /** Unique id of this environment (appears in placement and logs). */
  environmentId: string;
  spec: FunctionSpec;
  /** The unpacked deployment package (`LAMBDA_TASK_ROOT`, and the working directory). */
  codeDir: string;
  /** The function's layers, unpacked in order into one directory: `/opt` in the sandbox. */
  optDir?: string;
  /** Lambda's log stream name: `YYYY/MM/DD/[$LATEST]<32 hex>`, one per environment. */
  logStreamName: string;
  initializationType: InitializationType;
  /** Extra environment variables set by the platform (e.g. `AWS_ENDPOINT_URL_LAMBDA`). */
  platformEnv?: Record<string, string>;
  /**
   * What keeps `codeDir` (and `optDir`) on disk while the environment lives: the code cache's pin.
   * The environment releases it once, when it dies, whatever ended it.
   */
  codeLease?: CodeLease;
}

/** A pin on a function's unpacked code; `release` is idempotent. */
export interface CodeLease {
  release(): void;
}

/** One invocation handed to an environment. */
export interface EnvironmentInvokeInput {
  requestId: string;
  /** The event: raw JSON bytes. */
  payload: Uint8Array;
  invokedFunctionArn: string;
  /** JSON text of the client context (sync invokes only), if any. */
  clientContext?: string;
  /** The caller reads the response as a stream: a streaming handler's bytes go here as it writes them. */
  stream?: ResponseStreamTarget;
}

/** Lifecycle states of an environment, as a dashboard would colour them. */
export type EnvironmentState = 'created' | 'initializing' | 'idle' | 'busy' | 'dead';

/** What one invocation produced. */
export interface EnvironmentInvokeResult {
  outcome: 'success' | 'function-error';
  /** JSON result as UTF-8 bytes (success only; `null` when the handler returned undefined). */
  payload?: Uint8Array;
  functionError?: FunctionError;
  /** Present when this invocation ran INIT (cold start): INIT duration in ms. */
  initMs?: number;
  /** Handler duration in ms (Lambda's `Duration`). */
  durationMs: number;
  /** Lambda's `Billed Duration`: ceil(duration + init on cold starts). */
  billedMs: number;
  /** Peak memory of the environment so far, MB (Lambda's `Max Memory Used`). */
  maxMemoryUsedMb: number;
  /** Epoch ms when the handler was called / finished. */
  startedAt: number;
  endedAt: number;
  /**
   * The invocation's log exactly as Lambda writes it: optional INIT lines, `START`, the function's
   * console lines, `END`, `REPORT` (and `INIT_REPORT` / timeout lines where Lambda prints them).
   */
  logLines: string[];
  /** False when the environment was discarded (timeout, crash, OOM, exit, init failure). */
  environmentKept: boolean;
  /** The response went to `input.stream` as the handler wrote it (no `payload`). */
  streamed?: boolean;
  /** The content type a streaming handler set (`application/octet-stream` unless it set one). */
  contentType?: string;
}

/** What an INIT run ahead of any invocation (provisioned concurrency) produced. */
export interface EnvironmentInitResult {
  ok: boolean;
  initMs: number;
  /** Lines written during INIT (and INIT_REPORT when it failed). */
  logLines: string[];
  /** Why INIT failed (Lambda's error type and message). */
  error?: FunctionError;
}

/** One execution environment. */
export interface ExecutionEnvironment {
  readonly id: string;
  readonly specKey: string;
  readonly config: EnvironmentConfig;
  readonly state: EnvironmentState;
  /** Epoch ms of the end of the last invocation (for keep-alive eviction). */
  readonly lastUsedAt: number;
  /**
   * Runs one invocation. The first call runs INIT first (a cold start). Never rejects for
   * user-code failures: those come back as `function-error`. Rejects only when called while busy
   * or dead, or when the environment cannot be created at all (spawn failure).
   */
  invoke(input: EnvironmentInvokeInput, options?: { signal?: AbortSignal }): Promise<EnvironmentInvokeResult>;
  /**
   * Runs INIT now, without an invocation (provisioned concurrency): `created -> idle`. Never
   * rejects for user-code failures; rejects when not `created` or when the runtime cannot start.
   */
  initialize(options?: { initTimeoutMs?: number; signal?: AbortSignal }): Promise<EnvironmentInitResult>;
  /** Shuts the environment down (graceful within Lambda's 2 s shutdown cap, then kill). Idempotent. */
  destroy(reason: string): Promise<void>;
  /**
   * Optional: calls `listener` once when the environment dies for any reason (also while idle, e.g.
   * a leftover timer crashed it), so a pool can drop it at once. Called at once if already dead.
   */
  onDead?(listener: (reason: string) => void): void;
}

/** Settings shared by all environments of a zone node. */
export interface EnvironmentSettings {
  /** Lambda's INIT cap for on-demand functions. @default 10000 */
  initTimeoutMs: number;
  /** Grace for shutdown before the environment is killed. @default 2000 */
  shutdownGraceMs: number;
  /** How often a busy process environment's RSS is sampled against its memory size. @default 50 */
  memoryPollMs: number;
}

/** Creates environments of one isolation mode. */
export interface EnvironmentFactory {
  readonly isolation: IsolationMode;
  /** The runtimes it can create, when fewer than every runtime a zone node knows (a synthetic-only factory). */
  readonly runtimes?: readonly string[];
  create(config: EnvironmentConfig): ExecutionEnvironment;
}
