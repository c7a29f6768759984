import type { Clock, TimerHandle } from '@zonesim/common';
import { WireError, WireErrorCode, type InvokeRejected, type InvokeResult } from '@zonesim/protocol';

/** The answer a zone node gives to one `invoke`. */
export type NodeAnswer = InvokeResult | InvokeRejected;

interface Entry {
  resolve(answer: NodeAnswer): void;
  reject(err: WireError): void;
  timer: TimerHandle;
  memoryMb: number;
  specKey: string;
}

/**
 * Matches `invoke-result` / `invoke-rejected` frames to the invocations sent on one zone link, and
 * decides what happens to those in flight when the link drops: each one fails with `LINK_LOST`
 * (the router, not this class, decides whether that is retried). Every entry has a deadline, so a
 * silent node never holds a caller longer than the function's timeout plus the grace period.
 */
export class PendingInvocations {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  #busyMemoryMb = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Invocations in flight on this link. */
  get size(): number {
    return this.#entries.size;
  }

  /** Memory of the environments busy with them. */
  get busyMemoryMb(): number {
    return this.#busyMemoryMb;
  }

  /** Registers one invocation; the promise settles with the node's answer, a deadline or a drop. */
  add(invocationId: string, specKey: string, memoryMb: number, deadlineMs: number): Promise<NodeAnswer> {
    return new Promise<NodeAnswer>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#take(invocationId)) {
          reject(new WireError(WireErrorCode.LinkLost, `zone node did not answer within ${deadlineMs} ms`));
        }
      }, deadlineMs);
      this.#entries.set(invocationId, { resolve, reject, timer, memoryMb, specKey });
      this.#busyMemoryMb += memoryMb;
    });
  }

  /**
   * Settles the invocation named by a node's answer and returns the configuration it ran;
   * undefined when the invocation was unknown (late after a deadline, or forged).
   */
  settle(answer: NodeAnswer): { specKey: string } | undefined {
    const entry = this.#take(answer.invocationId);
    if (!entry) return undefined;
    entry.resolve(answer);
    return { specKey: entry.specKey };
  }

  /** Fails every invocation in flight (the link is gone). */
  dropAll(reason: string): void {
    for (const id of [...this.#entries.keys()]) {
      const entry = this.#take(id);
      entry?.reject(new WireError(WireErrorCode.LinkLost, reason));
    }
  }

  #take(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    this.#clock.clearTimeout(entry.timer);
    this.#busyMemoryMb -= entry.memoryMb;
    return entry;
  }
}
