import t from 'tap';
import { SilenceDetector } from './silence-detector.js';

t.test('silence is judged in heartbeat intervals: suspect after two, down after the miss limit', async (t) => {
  const d = new SilenceDetector({ intervalMs: 200, tickMs: 100, downAfterIntervals: 4, suspectAfterIntervals: 2 });
  t.equal(d.judge(399), 'alive');
  t.equal(d.judge(401), 'suspect');
  t.equal(d.judge(800), 'suspect');
  t.equal(d.judge(801), 'down');
  const downOnly = new SilenceDetector({ intervalMs: 200, tickMs: 200, downAfterIntervals: 4 });
  t.equal(downOnly.judge(700), 'alive', 'without a suspect threshold, only down');
  t.equal(downOnly.judge(900), 'down');
});

t.test('a tick late by more than an interval judges nobody; the next one does', async (t) => {
  const d = new SilenceDetector({ intervalMs: 200, tickMs: 100, downAfterIntervals: 4 });
  t.equal(d.tick(0), 0);
  t.equal(d.tick(100), 0);
  t.equal(d.tick(1_100), 900, 'this process was paused for about 900 ms');
  t.equal(d.tick(1_200), 0, 'the next tick judges again');
  d.reset();
  t.equal(d.tick(10_000), 0, 'a restart is not a pause');
});
