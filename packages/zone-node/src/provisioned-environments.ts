import type { LeasedCode } from './code-source.js';
import type { Logger } from '@zonesim/common';
import type { FunctionSpec, ProvisionedStatus } from '@zonesim/protocol';
import type { EnvironmentPool, ExecutionEnvironment } from './environment/index.js';

/** Lambda lets provisioned INIT run up to max(130 s, the function timeout) (lambda-facts 4). */
export function provisionedInitTimeoutMs(spec: FunctionSpec): number {
  return Math.max(130_000, spec.timeoutSec * 1000);
}

/** What the manager needs from its zone node. */
export interface ProvisionedEnvironmentsDeps {
  pool: EnvironmentPool;
  /** Unpacks (fetching if needed) and pins the code of `spec`; resolves with its directory. */
  /**
   * Makes the code of `spec` available and pins it: the lease goes to the environment that lives in
   * it (released at its death), or is released here when none comes to.
   */
  ensureCode(spec: FunctionSpec): Promise<LeasedCode>;
  /** Options of every new environment (log stream name, platform variables). */
  environmentOptions(spec: FunctionSpec): { logStreamName: string; platformEnv: Record<string, string> };
  /** Waits for this cold start's turn (one fork per event-loop turn). */
  coldStartTurn(): Promise<void>;
  /** INIT's log lines, for the environment's log stream. */
  onInitLog(env: ExecutionEnvironment, lines: readonly string[]): void;
  send(status: ProvisionedStatus): void;
  log: Logger;
}

interface Target {
  spec: FunctionSpec;
  count: number;
  /** INITs started (code being fetched, or INIT running) and not finished yet. */
  starting: number;
  /** Of those, the ones not in the pool yet (fetching code, waiting for a cold-start turn). */
  outsidePool: number;
  failed: number;
  lastError: string | undefined;
}

/**
 * The zone node's share of provisioned concurrency: for each configuration, keeps `count`
 * environments initialised ahead of any invocation, replaces ones that die, and reports the numbers
 * to the coordinator (`provisioned-status`). An INIT that fails is counted and not retried until the
 * coordinator sends a new target, so a broken package cannot start a crash loop.
 */
export class ProvisionedEnvironments {
  readonly #deps: ProvisionedEnvironmentsDeps;
  readonly #targets = new Map<string, Target>();
  #stopped = false;

  constructor(deps: ProvisionedEnvironmentsDeps) {
    this.#deps = deps;
  }

  /** Applies a `provision` message: an absolute target for one configuration. */
  setTarget(spec: FunctionSpec, count: number): void {
    if (this.#stopped) return;
    const existing = this.#targets.get(spec.specKey);
    const target: Target = existing ?? { spec, count, starting: 0, outsidePool: 0, failed: 0, lastError: undefined };
    target.spec = spec;
    target.count = count;
    // A new target is a new attempt: earlier INIT failures no longer hold it back.
    target.failed = 0;
    target.lastError = undefined;
    this.#targets.set(spec.specKey, target);
    this.reconcile(spec.specKey);
  }

  /** Re-checks one configuration (or all): starts missing environments, releases extra ones, reports. */
  reconcile(specKey?: string): void {
    if (this.#stopped) return;
    const keys = specKey === undefined ? [...this.#targets.keys()] : [specKey];
    for (const key of keys) {
      const target = this.#targets.get(key);
      if (!target) continue;
      const have = this.#deps.pool.provisionedCount(key) + target.outsidePool;
      if (have > target.count) this.#deps.pool.deprovision(key, Math.max(0, target.count - target.starting));
      const missing = target.count - have - target.failed;
      for (let i = 0; i < missing; i++) this.#start(target);
      this.#report(target);
      if (target.count === 0 && target.starting === 0 && this.#deps.pool.provisionedCount(key) === 0) this.#targets.delete(key);
    }
  }

  /** Targets of configurations the node keeps (for the coordinator after a reconnect). */
  get size(): number {
    return this.#targets.size;
  }

  stop(): void {
    this.#stopped = true;
    this.#targets.clear();
  }

  #start(target: Target): void {
    target.starting++;
    target.outsidePool++;
    let inPool = false;
    const spec = target.spec;
    const run = async (): Promise<void> => {
      const { dirs, lease } = await this.#deps.ensureCode(spec);
      await this.#deps.coldStartTurn();
      if (this.#stopped || this.#targets.get(spec.specKey) !== target || this.#deps.pool.provisionedCount(spec.specKey) >= target.count) {
        lease.release();
        return;
      }
      const created = this.#deps.pool.provision(
        { spec, ...dirs, ...this.#deps.environmentOptions(spec), codeLease: lease },
        { initTimeoutMs: provisionedInitTimeoutMs(spec) },
      );
      // provision() puts the environment in the pool synchronously, before INIT runs.
      inPool = true;
      target.outsidePool--;
      // The environment holds the code from here on, and lets go of it when it dies (a failed INIT
      // included). A refusal before one existed releases it here (a lease is released once).
      let result;
      try {
        result = await created;
      } catch (err) {
        lease.release();
        throw err;
      }
      this.#deps.onInitLog(result.environment, result.result.logLines);
      if (!result.result.ok) {
        target.failed++;
        const e = result.result.error;
        target.lastError = e ? `${e.errorType}: ${e.errorMessage}`.slice(0, 1024) : 'INIT failed';
        this.#deps.log.warn({ function: spec.functionName, version: spec.version, error: target.lastError }, 'provisioned environment failed INIT');
      }
    };
    run()
      .catch((err: unknown) => {
        target.failed++;
        target.lastError = (err as Error).message.slice(0, 1024);
        this.#deps.log.warn({ function: spec.functionName, err: target.lastError }, 'could not provision an environment');
      })
      .finally(() => {
        target.starting--;
        if (!inPool) target.outsidePool--;
        this.reconcile(spec.specKey);
      });
  }

  #report(target: Target): void {
    const counts = this.#deps.pool.counts().bySpecKey[target.spec.specKey];
    const inPool = counts?.provisioned ?? 0;
    const initializingInPool = target.starting - target.outsidePool;
    const status: ProvisionedStatus = {
      type: 'provisioned-status',
      specKey: target.spec.specKey,
      ready: Math.max(0, inPool - initializingInPool),
      initializing: target.starting,
      failed: target.failed,
      ...(target.lastError ? { lastError: target.lastError } : {}),
    };
    this.#deps.send(status);
  }
}
