import { LedgerStateError } from './errors.js';
import { stateArray, stateNumber, stateObject } from './state-codec.js';

/** What an {@link InFlightCounter} holds, as JSON: the +1/-1 deltas of the seconds `lo` to `hi` (epoch s). */
export interface InFlightState {
  overflow: boolean;
  lo: number | null;
  hi: number | null;
  deltas: number[];
}

/**
 * Attempts in flight at each second boundary, rebuilt from records that arrive in any order:
 * in flight at `t` means `receivedAt <= t < respondedAt` (received by the coordinator, not yet
 * answered, queue time included). The ledger holds no in-flight gauge, and a record is written
 * only when its attempt ends, possibly long after the seconds it spanned were closed; so each
 * record adds +1 and -1 to a difference array over seconds and the counts are read at the end
 * by a running sum. Memory: 4 bytes per second of the run, bounded by `maxSpanSeconds`.
 */
export class InFlightCounter {
  readonly #maxSpanSeconds: number;
  #deltas = new Int32Array(0);
  /** Second number (epoch s) of `#deltas[0]`. */
  #base = 0;
  #overflow = false;
  /** Lowest and highest second (epoch s) written. */
  #lo = Infinity;
  #hi = -Infinity;
  // Running-sum cursor of `at`.
  #cursor = 0;
  #sum = 0;

  constructor(options: { maxSpanSeconds: number }) {
    this.#maxSpanSeconds = options.maxSpanSeconds;
  }

  /** False once the run spanned more than `maxSpanSeconds`: the counts are then unknown. */
  get known(): boolean {
    return !this.#overflow;
  }

  /** Adds one attempt that was in flight from `receivedAt` to `respondedAt` (epoch ms). */
  add(receivedAt: number, respondedAt: number): void {
    if (this.#overflow || !(respondedAt > receivedAt)) return;
    // At boundary k*1000: #{ceil(rec) <= k} - #{ceil(resp) <= k} = #{rec <= t < resp}.
    const from = Math.ceil(receivedAt / 1000);
    const to = Math.ceil(respondedAt / 1000);
    if (from === to) return;
    if (!this.#cover(from, to)) return;
    this.#deltas[from - this.#base]! += 1;
    this.#deltas[to - this.#base]! -= 1;
  }

  /**
   * In-flight count at `tMs` (a multiple of 1000). Calls must come in rising order of `tMs`
   * (the CSV's rows); undefined when unknown.
   */
  at(tMs: number): number | undefined {
    if (this.#overflow) return undefined;
    const k = Math.floor(tMs / 1000) - this.#base;
    if (k < 0 || this.#deltas.length === 0) return 0;
    if (k < this.#cursor - 1) throw new RangeError('InFlightCounter.at: times must not go back');
    if (k === this.#cursor - 1) return this.#sum;
    const end = Math.min(k, this.#deltas.length - 1);
    for (; this.#cursor <= end; this.#cursor++) this.#sum += this.#deltas[this.#cursor]!;
    this.#cursor = Math.max(this.#cursor, k + 1);
    return this.#sum;
  }

  /** The whole state, for {@link importState} (the read cursor of `at` is not part of it). */
  exportState(): InFlightState {
    if (this.#overflow || !Number.isFinite(this.#lo)) return { overflow: this.#overflow, lo: null, hi: null, deltas: [] };
    return { overflow: false, lo: this.#lo, hi: this.#hi, deltas: [...this.#deltas.subarray(this.#lo - this.#base, this.#hi - this.#base + 1)] };
  }

  /** Replaces the counts with a saved state; only before anything was added or read. */
  importState(state: unknown, path = ''): void {
    if (Number.isFinite(this.#lo) || this.#cursor > 0) throw new LedgerStateError('importState needs a counter that has seen nothing', { field: path || '/' });
    const s = stateObject(state, path || '/');
    if (s.overflow === true) {
      this.#overflow = true;
      this.#deltas = new Int32Array(0);
      return;
    }
    if (s.lo === null) return;
    const lo = stateNumber(s.lo, `${path}/lo`, { integer: true });
    const hi = stateNumber(s.hi, `${path}/hi`, { integer: true, min: lo });
    const deltas = stateArray(s.deltas, `${path}/deltas`);
    if (deltas.length !== hi - lo + 1) throw new LedgerStateError(`must hold ${hi - lo + 1} values (lo to hi), got ${deltas.length}`, { field: `${path}/deltas` });
    this.#deltas = Int32Array.from(deltas, (d, i) => stateNumber(d, `${path}/deltas/${i}`, { integer: true }));
    this.#base = lo;
    this.#lo = lo;
    this.#hi = hi;
  }

  // Grows the array (doubling) to hold seconds from..to; false (and gives up) past the span bound.
  #cover(from: number, to: number): boolean {
    const lo = Math.min(from, this.#lo);
    const hi = Math.max(to, this.#hi);
    if (hi - lo > this.#maxSpanSeconds) {
      this.#overflow = true;
      this.#deltas = new Int32Array(0);
      return false;
    }
    const [oldLo, oldHi] = [this.#lo, this.#hi];
    this.#lo = lo;
    this.#hi = hi;
    if (this.#deltas.length > 0 && lo >= this.#base && hi < this.#base + this.#deltas.length) return true;
    const size = Math.min(this.#maxSpanSeconds + 1, Math.max(1024, hi - lo + 1, this.#deltas.length * 2));
    // The spare room goes to the side that grew.
    const base = this.#deltas.length > 0 && lo < this.#base ? hi - size + 1 : lo;
    const grown = new Int32Array(size);
    if (this.#deltas.length > 0) grown.set(this.#deltas.subarray(oldLo - this.#base, oldHi - this.#base + 1), oldLo - base);
    this.#deltas = grown;
    this.#base = base;
    return true;
  }
}
