import type { Clock, TimerHandle } from '@zonesim/common';
import { WireError, WireErrorCode, type InvokeChunk, type InvokeRejected, type InvokeResult } from '@zonesim/protocol';

/**
 * A node's refusal of one invocation (nothing ran), and whether the node had accepted it first: a
 * real node refuses before accepting when it is stopping or the frame came too late, and after
 * accepting when its platform failed (no room after all, code unavailable, spawn failure).
 */
export type NodeRefusal = InvokeRejected & { afterAccept: boolean };

/** The answer a zone node gives to one `invoke`. */
export type NodeAnswer = InvokeResult | NodeRefusal;

/**
 * The error an invocation fails with when its node is lost. `accepted` says whether the node had
 * confirmed receipt: if not, nothing can have run and the router may place it elsewhere.
 */
export class InvocationLostError extends WireError {
  readonly accepted: boolean;

  constructor(message: string, accepted: boolean) {
    super(WireErrorCode.LinkLost, message);
    this.accepted = accepted;
  }
}

/** Takes the bytes of a streamed response as the node sends them (the content type with the first). */
export type ChunkListener = (data: Uint8Array, contentType: string | undefined) => void;

interface Entry {
  resolve(answer: NodeAnswer): void;
  onChunk: ChunkListener | undefined;
  reject(err: InvocationLostError): void;
  accepted: boolean;
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
  /** Entries per configuration (specKey), for a node's room with provisioned environments. */
  readonly #bySpec = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Invocations in flight on this link. */
  get size(): number {
    return this.#entries.size;
  }

  /** Invocations in flight of one configuration. */
  inFlightOf(specKey: string): number {
    return this.#bySpec.get(specKey) ?? 0;
  }

  /** Memory of the environments busy with them. */
  get busyMemoryMb(): number {
    return this.#busyMemoryMb;
  }

  /** Registers one invocation; the promise settles with the node's answer, a deadline or a drop. */
  add(invocationId: string, specKey: string, memoryMb: number, deadlineMs: number, onChunk?: ChunkListener): Promise<NodeAnswer> {
    return new Promise<NodeAnswer>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#take(invocationId)) {
          // A node silent past the deadline may still be running it: treated as accepted.
          reject(new InvocationLostError(`zone node did not answer within ${deadlineMs} ms`, true));
        }
      }, deadlineMs);
      this.#entries.set(invocationId, { resolve, reject, onChunk, timer, memoryMb, specKey, accepted: false });
      this.#busyMemoryMb += memoryMb;
      this.#bySpec.set(specKey, (this.#bySpec.get(specKey) ?? 0) + 1);
    });
  }

  /**
   * Settles the invocation named by a node's answer and returns the configuration it ran;
   * undefined when the invocation was unknown (late after a deadline, or forged).
   */
  settle(answer: InvokeResult | InvokeRejected): { specKey: string } | undefined {
    const entry = this.#take(answer.invocationId);
    if (!entry) return undefined;
    entry.resolve(answer.type === 'invoke-rejected' ? { ...answer, afterAccept: entry.accepted } : answer);
    return { specKey: entry.specKey };
  }

  /**
   * Bytes of a streamed response: to the invocation's listener. A node sends them only after it
   * accepted the invocation; false when the invocation is unknown or did not ask for a stream.
   */
  chunk(message: InvokeChunk): boolean {
    const entry = this.#entries.get(message.invocationId);
    if (!entry?.onChunk) return false;
    entry.accepted = true;
    try {
      entry.onChunk(message.data, message.contentType);
    } catch {
      // The listener's own failure (a caller's connection that cannot take more) is not the
      // link's: the invocation goes on and its answer still settles it.
    }
    return true;
  }

  /** The node confirmed receipt (`invoke-accepted`); false when the invocation is unknown. */
  markAccepted(invocationId: string): boolean {
    const entry = this.#entries.get(invocationId);
    if (!entry) return false;
    entry.accepted = true;
    return true;
  }

  /** Fails every invocation in flight (the link is gone), each saying whether it was accepted. */
  dropAll(reason: string): void {
    for (const id of [...this.#entries.keys()]) {
      const entry = this.#take(id);
      entry?.reject(new InvocationLostError(reason, entry.accepted));
    }
  }

  #take(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    this.#clock.clearTimeout(entry.timer);
    this.#busyMemoryMb -= entry.memoryMb;
    const n = (this.#bySpec.get(entry.specKey) ?? 1) - 1;
    if (n > 0) this.#bySpec.set(entry.specKey, n);
    else this.#bySpec.delete(entry.specKey);
    return entry;
  }
}
