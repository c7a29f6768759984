/**
 * The behaviour every {@link Clock} must share (STYLE rule 22), run against `ManualClock` (the fake
 * of the unit tests) and `ProcessClock` (virtual time), so a core tested with one behaves the same
 * on the other. Each implementation brings a harness that moves its time.
 */
import type { Clock } from '@zonesim/common';
import type { Test } from 'tap';

/** Moves an implementation's time. */
export interface ClockHarness {
  readonly clock: Clock;
  /** Moves time forward by `ms`, firing what falls due (timers at exactly now + ms included) and immediates. */
  advance(ms: number): Promise<void>;
  /** Moves time forward by `ms` as a stopped process sees it: nothing fires meanwhile, then each overdue timer once. */
  stall(ms: number): Promise<void>;
  /** Timers that may still fire. */
  pendingTimers(): number;
}

/** Registers the contract's cases on `t`, each with a fresh harness from `make`. */
export function clockContract(t: Test, make: () => ClockHarness): void {
  t.test('now and monotonic move with time; now is whole epoch ms', async (t) => {
    const h = make();
    const now0 = h.clock.now();
    const mono0 = h.clock.monotonic();
    t.ok(Number.isInteger(now0));
    await h.advance(1500);
    t.equal(h.clock.now() - now0, 1500);
    t.equal(h.clock.monotonic() - mono0, 1500);
  });

  t.test('timers fire in due order, ties in the order they were set, at their due time', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const fired: Array<[string, number]> = [];
    const at = (name: string) => () => fired.push([name, h.clock.monotonic() - start]);
    h.clock.setTimeout(at('c'), 30);
    h.clock.setTimeout(at('a1'), 10);
    h.clock.setTimeout(at('b'), 20);
    h.clock.setTimeout(at('a2'), 10);
    await h.advance(9);
    t.same(fired, [], 'nothing before its time');
    await h.advance(1);
    t.same(fired, [['a1', 10], ['a2', 10]], 'due exactly at the end of an advance: fired');
    await h.advance(100);
    t.same(fired.slice(2), [['b', 20], ['c', 30]]);
    t.equal(h.pendingTimers(), 0);
  });

  t.test('a timer set by a callback fires within the same advance when due in it', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const fired: number[] = [];
    h.clock.setTimeout(() => {
      fired.push(h.clock.monotonic() - start);
      h.clock.setTimeout(() => fired.push(h.clock.monotonic() - start), 5);
    }, 10);
    await h.advance(20);
    t.same(fired, [10, 15]);
  });

  // NaN is left out: ManualClock never fires such a timer (Node fires it after 1 ms, ProcessClock
  // at once, process-clock.test.ts).
  t.test('zero and negative delays fire without time passing', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const fired: string[] = [];
    h.clock.setTimeout(() => fired.push('zero'), 0);
    h.clock.setTimeout(() => fired.push('negative'), -5);
    await h.advance(0);
    t.same(fired, ['zero', 'negative']);
    t.equal(h.clock.monotonic(), start);
  });

  t.test('intervals repeat and can be cleared from their own callback', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const ticks: number[] = [];
    const every = h.clock.setInterval(() => {
      ticks.push(h.clock.monotonic() - start);
      if (ticks.length === 3) h.clock.clearInterval(every);
    }, 100);
    await h.advance(1000);
    t.same(ticks, [100, 200, 300]);
    t.equal(h.pendingTimers(), 0);
  });

  t.test('cleared timers never fire; clearing twice or a foreign handle is harmless', async (t) => {
    const h = make();
    const fired: string[] = [];
    const a = h.clock.setTimeout(() => fired.push('a'), 10);
    h.clock.setTimeout(() => fired.push('b'), 10);
    const i = h.clock.setInterval(() => fired.push('i'), 5);
    h.clock.clearTimeout(a);
    h.clock.clearTimeout(a);
    h.clock.clearInterval(i);
    h.clock.clearTimeout({});
    await h.advance(50);
    t.same(fired, ['b']);
    t.equal(h.pendingTimers(), 0);
  });

  t.test('a timer cleared by an earlier callback of the same instant does not fire', async (t) => {
    const h = make();
    const fired: string[] = [];
    let later: ReturnType<Clock['setTimeout']> | undefined;
    h.clock.setTimeout(() => {
      fired.push('first');
      h.clock.clearTimeout(later!);
    }, 10);
    later = h.clock.setTimeout(() => fired.push('second'), 10);
    await h.advance(10);
    t.same(fired, ['first']);
  });

  t.test('setImmediate runs without time passing and can be cancelled', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const seen: Array<[string, number]> = [];
    h.clock.setImmediate(() => seen.push(['immediate', h.clock.monotonic() - start]));
    const cancelled = h.clock.setImmediate(() => seen.push(['cancelled', 0]));
    h.clock.clearImmediate(cancelled);
    await h.advance(0);
    t.same(seen, [['immediate', 0]]);
  });

  t.test('stall: nothing fires during it; then each overdue timer once, late, in order; intervals restart from its end', async (t) => {
    const h = make();
    const start = h.clock.monotonic();
    const startNow = h.clock.now();
    const fired: Array<[string, number]> = [];
    h.clock.setTimeout(() => fired.push(['once', h.clock.monotonic() - start]), 50);
    const every = h.clock.setInterval(() => fired.push(['every', h.clock.monotonic() - start]), 100);
    h.clock.setTimeout(() => fired.push(['after', h.clock.monotonic() - start]), 500);
    await h.stall(450);
    t.same(fired, [['once', 450], ['every', 450]], 'each fired once, at the end of the stall');
    await h.advance(100);
    t.same(fired.slice(2), [['after', 500], ['every', 550]], 'the interval runs from the late tick; later timers on time');
    t.equal(h.clock.now() - startNow, 550, 'the stall counted as time');
    h.clock.clearInterval(every);
    t.equal(h.pendingTimers(), 0);
  });
}
