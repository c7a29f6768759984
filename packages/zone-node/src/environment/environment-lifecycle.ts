import { EnvironmentErrorCode, EnvironmentStateError } from './errors.js';
import type { EnvironmentConfig, EnvironmentState } from './types.js';

/**
 * The part of an execution environment's state machine every kind shares, written once (issue 17):
 * its state, the invoke gate (Busy and Dead, decided synchronously so that a second caller fails
 * at once), when it was last used, and death: the reason, the listeners (the pool drops a dead
 * environment at once), and the code lease, released exactly once whatever ended it. How INIT
 * and invocations run is the kind's: real runtimes await their driver (environment-core.ts),
 * synthetic ones plan every timer of an invocation when it starts (synthetic-environment.ts), so
 * that a virtual clock completes it in one step.
 */
export class EnvironmentLifecycle {
  readonly #config: EnvironmentConfig;
  #state: EnvironmentState = 'created';
  #lastUsedAt: number;
  #deadReason: string | undefined;
  readonly #deadListeners: Array<(reason: string) => void> = [];

  constructor(config: EnvironmentConfig, now: number) {
    this.#config = config;
    this.#lastUsedAt = now;
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** Initialising or running an invocation. */
  get running(): boolean {
    return this.#state === 'initializing' || this.#state === 'busy';
  }

  /**
   * The invoke gate: an environment takes an event when `created` (a cold start: `initializing`) or
   * `idle` (`busy`); else it throws Dead or Busy. Returns whether the start is cold.
   */
  beginInvoke(destroying: boolean): boolean {
    const id = this.#config.environmentId;
    if (this.#state === 'dead' || destroying) throw new EnvironmentStateError(EnvironmentErrorCode.Dead, id, `environment ${id} is dead`);
    if (this.#state !== 'created' && this.#state !== 'idle') throw new EnvironmentStateError(EnvironmentErrorCode.Busy, id, `environment ${id} is ${this.#state}`);
    const cold = this.#state === 'created';
    this.#state = cold ? 'initializing' : 'busy';
    return cold;
  }

  /** INIT ahead of any invocation (provisioned concurrency): `created -> initializing`, else Busy. */
  beginInit(destroying: boolean): void {
    const id = this.#config.environmentId;
    if (this.#state !== 'created' || destroying) throw new EnvironmentStateError(EnvironmentErrorCode.Busy, id, `environment ${id} is ${this.#state}, not created`);
    this.#state = 'initializing';
  }

  /** INIT is over and the handler runs. */
  busy(): void {
    this.#state = 'busy';
  }

  /** Ready for the next event, as of `at` (epoch ms; keep-alive counts from it). */
  idle(at: number): void {
    this.#state = 'idle';
    this.#lastUsedAt = at;
  }

  /** Going away (its runtime is being stopped); {@link markDead} follows once it is gone. */
  dying(): void {
    this.#state = 'dead';
  }

  /** Calls `listener` once when the environment dies; at once (next microtask) if it is dead already. */
  onDead(listener: (reason: string) => void): void {
    if (this.#deadReason !== undefined) queueMicrotask(() => listener(this.#deadReason ?? 'dead'));
    else this.#deadListeners.push(listener);
  }

  /** Dead, for `reason`: the first call releases the code and tells the listeners; later ones do nothing. */
  markDead(reason: string): boolean {
    this.#state = 'dead';
    if (this.#deadReason !== undefined) return false;
    this.#deadReason = reason;
    // Its code may go once nothing runs in it (the code cache's pin; types.ts CodeLease).
    this.#config.codeLease?.release();
    for (const listener of this.#deadListeners.splice(0)) listener(reason);
    return true;
  }
}
