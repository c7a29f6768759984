import t from 'tap';
import { ManualClock, systemClock } from './clock.js';

t.test('ManualClock fires timers in order as time advances', async (t) => {
  const clock = new ManualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 20);
  clock.setTimeout(() => fired.push('a'), 10);
  const every = clock.setInterval(() => fired.push('i'), 15);
  clock.advance(31);
  t.same(fired, ['a', 'i', 'b', 'i']);
  t.equal(clock.now(), 1031);
  t.equal(clock.monotonic(), 31);
  clock.clearInterval(every);
  t.equal(clock.pendingTimers, 0);
});

t.test('ManualClock.stall: overdue timers fire once, late, and intervals restart from then', async (t) => {
  const clock = new ManualClock(1000);
  const fired: Array<[string, number]> = [];
  clock.setTimeout(() => fired.push(['once', clock.monotonic()]), 50);
  const every = clock.setInterval(() => fired.push(['every', clock.monotonic()]), 100);
  clock.stall(450);
  t.same(fired, [['once', 450], ['every', 450]], 'each fired once, at the end of the stall');
  clock.advance(100);
  t.same(fired.at(-1), ['every', 550], 'the interval runs from the late tick');
  t.equal(clock.now(), 1550);
  clock.clearInterval(every);
});

t.test('setImmediate runs after the current turn and can be cancelled, on both clocks', async (t) => {
  for (const clock of [systemClock, new ManualClock()]) {
    const seen: string[] = [];
    clock.setImmediate(() => seen.push('immediate'));
    const cancelled = clock.setImmediate(() => seen.push('cancelled'));
    clock.clearImmediate(cancelled);
    seen.push('now');
    await new Promise<void>((resolve) => setImmediate(resolve));
    t.same(seen, ['now', 'immediate']);
  }
});
