import { appendFileSync } from 'node:fs';
import type { Clock } from '@zonesim/common';
import { resourceConflict, resourceNotFound } from '../errors.js';

/** One fault as the coordinator was told about it. */
export interface FaultWindow {
  id: string;
  action: string;
  target: string;
  /** Epoch ms. */
  startAt: number;
  endAt?: number;
}

/**
 * The fault windows a scenario runner (or the dashboard) announces while it injects them, so every
 * ledger record says which faults were active when it was received (`faultIds`) and reports can
 * shade the windows and price what each fault cost. Closed windows are appended to
 * `<dataDir>/faults.ndjson`; a bounded list of recent ones is kept for attribution.
 */
export class FaultWindows {
  readonly #file: string;
  readonly #clock: Clock;
  readonly #maxKept: number;
  readonly #open = new Map<string, FaultWindow>();
  #closed: FaultWindow[] = [];

  constructor(args: { file: string; clock: Clock; maxKept?: number }) {
    this.#file = args.file;
    this.#clock = args.clock;
    this.#maxKept = args.maxKept ?? 1000;
  }

  open(input: { id: string; action: string; target: string }): FaultWindow {
    if (this.#open.has(input.id)) throw resourceConflict(`Fault ${input.id} is already active.`);
    const w: FaultWindow = { ...input, startAt: this.#clock.now() };
    this.#open.set(w.id, w);
    return w;
  }

  close(id: string): FaultWindow {
    const w = this.#open.get(id);
    if (!w) throw resourceNotFound(`No active fault ${id}.`);
    this.#open.delete(id);
    const closed = { ...w, endAt: this.#clock.now() };
    this.#closed.push(closed);
    if (this.#closed.length > this.#maxKept) this.#closed = this.#closed.slice(-this.#maxKept);
    appendFileSync(this.#file, JSON.stringify(closed) + '\n');
    return closed;
  }

  /** Active windows, then the recent closed ones. */
  list(): FaultWindow[] {
    return [...this.#open.values(), ...this.#closed];
  }

  /** Ids of the windows active at `t` (epoch ms); empty when none (the common case, kept cheap). */
  activeAt(t: number): string[] {
    if (this.#open.size === 0 && this.#closed.length === 0) return [];
    const ids: string[] = [];
    for (const w of this.#open.values()) if (w.startAt <= t) ids.push(w.id);
    // Closed windows are in order of their end: stop once they ended well before `t` (an attempt
    // is recorded when it ends, at most its timeout after it was received).
    for (let i = this.#closed.length - 1; i >= 0; i--) {
      const w = this.#closed[i]!;
      if ((w.endAt ?? Infinity) < t - 16 * 60_000) break;
      if (w.startAt <= t && (w.endAt ?? Infinity) >= t) ids.push(w.id);
    }
    return ids.slice(0, 64);
  }

  /** Closes every open window (the coordinator is stopping). */
  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.close(id);
  }
}
