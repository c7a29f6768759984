import t from 'tap';
import { LocalPauseGuard } from './local-pause.js';

t.test('a late tick is reported once; the next one judges again', async (t) => {
  const guard = new LocalPauseGuard(100, 100);
  t.equal(guard.pausedFor(0), 0, 'the first tick has nothing to compare with');
  t.equal(guard.pausedFor(100), 0, 'on time');
  t.equal(guard.pausedFor(250), 0, 'late by 50 ms: within the tolerance');
  t.equal(guard.pausedFor(1250), 900, 'late by 900 ms: a pause');
  t.equal(guard.pausedFor(2250), 0, 'late again, but the tick after a skipped one always judges');
  t.equal(guard.pausedFor(3250), 900, 'a later pause is reported again');
  t.equal(guard.pausedFor(3350), 0);
});

t.test('reset: a restarted detector does not see its stopped time as a pause', async (t) => {
  const guard = new LocalPauseGuard(100, 100);
  guard.pausedFor(0);
  guard.reset();
  t.equal(guard.pausedFor(10_000), 0);
  t.equal(guard.pausedFor(10_100), 0);
});
