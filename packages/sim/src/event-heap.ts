/**
 * The simulation's priority queue: a binary min-heap of entries keyed by (virtual time, insertion
 * sequence). The sequence breaks ties, so entries due at the same instant come out in the order
 * they were inserted, whatever the heap's shape. Each entry remembers its slot, so a cancelled
 * timer leaves the heap at once in O(log n) instead of lingering until its time (a per-invocation
 * deadline that is cleared on every answer would otherwise pile up for its whole timeout).
 *
 * @module
 */

/** What the heap orders. `index` is the heap's bookkeeping: -1 while the entry is not queued. */
export interface HeapEntry {
  /** Virtual time (ms since the simulation's start) at which the entry is due. */
  at: number;
  /** Global insertion counter: the tiebreak among entries due at the same `at`. */
  seq: number;
  /** Slot in the heap's array, -1 when not in the heap. */
  index: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A binary min-heap over {@link HeapEntry}, ordered by `(at, seq)`. */
export class EventHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  /** Entries queued. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest entry, left in the heap. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an entry; its `at` and `seq` must be set and must not change while it is queued. */
  push(entry: T): void {
    const items = this.#items;
    entry.index = items.length;
    items.push(entry);
    this.#up(entry.index);
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (last !== top) {
      items[0] = last;
      last.index = 0;
      this.#down(0);
    }
    top.index = -1;
    return top;
  }

  /** Removes `entry` wherever it is; false when it was not queued. */
  remove(entry: T): boolean {
    const i = entry.index;
    const items = this.#items;
    if (i < 0 || items[i] !== entry) return false;
    const last = items.pop()!;
    entry.index = -1;
    if (last !== entry) {
      items[i] = last;
      last.index = i;
      // The moved entry may belong above or below its new slot.
      if (i > 0 && before(last, items[(i - 1) >> 1]!)) this.#up(i);
      else this.#down(i);
    }
    return true;
  }

  /** Empties the heap. */
  clear(): void {
    for (const e of this.#items) e.index = -1;
    this.#items.length = 0;
  }

  #up(i: number): void {
    const items = this.#items;
    const entry = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(entry, p)) break;
      items[i] = p;
      p.index = i;
      i = parent;
    }
    items[i] = entry;
    entry.index = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      const c = items[child]!;
      if (!before(c, entry)) break;
      items[i] = c;
      c.index = i;
      i = child;
    }
    items[i] = entry;
    entry.index = i;
  }
}
