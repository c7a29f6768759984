import t from 'tap';
import { ManualClock } from './clock.js';

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
