import t from 'tap';
import { LogBuffer } from './log-buffer.js';
import { RssWatchdog } from './rss-watchdog.js';
import { parseRuntimeMessage } from './runtime-messages.js';
import { ManualClock } from '@zonesim/common';

t.test('runtime messages are validated, never trusted', async (t) => {
  t.same(parseRuntimeMessage({ type: 'log', line: 'x' }), { type: 'log', line: 'x' });
  t.same(parseRuntimeMessage({ type: 'result', requestId: 'r', ok: true, payload: '1', memoryBytes: 5 }), {
    type: 'result',
    requestId: 'r',
    ok: true,
    payload: '1',
    memoryBytes: 5,
  });
  t.same(parseRuntimeMessage({ type: 'result', requestId: 'r', ok: false, error: { errorType: 'E', errorMessage: 'm', trace: ['a', 2] } }), {
    type: 'result',
    requestId: 'r',
    ok: false,
    error: { errorType: 'E', errorMessage: 'm', trace: ['a', '2'] },
    fatal: false,
    memoryBytes: 0,
  });
  t.same(parseRuntimeMessage({ type: 'init-done', ok: false, error: { errorType: 'E', errorMessage: 'm' }, memoryBytes: -1 }), {
    type: 'init-done',
    ok: false,
    error: { errorType: 'E', errorMessage: 'm' },
    memoryBytes: 0,
  });
  for (const bad of [null, 'log', { type: 'log' }, { type: 'result', ok: true, payload: '1' }, { type: 'result', requestId: 'r', ok: true }, { type: 'fatal', error: {} }, { type: 'nope' }]) {
    t.equal(parseRuntimeMessage(bad), undefined, JSON.stringify(bad));
  }
});

t.test('log buffer: bounded, reports what it dropped', async (t) => {
  const b = new LogBuffer(10);
  b.push('12345');
  b.push('67890');
  b.push('x');
  b.push('y');
  t.same(b.lines(), ['12345', '67890', 'zonesim: 2 log lines dropped (log limit 10 bytes)']);
  t.same(b.drain(), ['12345', '67890', 'zonesim: 2 log lines dropped (log limit 10 bytes)']);
  t.same(b.lines(), []);
});

t.test('RSS watchdog: samples while started, fires once over the limit, keeps the peak', async (t) => {
  const clock = new ManualClock();
  const samples = [10, 30, 20, 200, 300];
  const fired: number[] = [];
  const w = new RssWatchdog(1234, 100, 50, clock, (rss) => fired.push(rss), () => samples.shift());
  w.start();
  t.equal(w.peakBytes, 10, 'one sample at start');
  clock.advance(100);
  t.equal(w.peakBytes, 30);
  t.equal(samples.length, 2, 'sampled at 50 and 100 ms');
  w.stop();
  clock.advance(1000);
  t.equal(samples.length, 2, 'no sampling while stopped');
  t.equal(clock.pendingTimers, 0);
  w.start();
  t.equal(samples.length, 2, 'a later start (an invocation) does not read at once');
  clock.advance(50);
  t.same(fired, [200], 'its first poll is already over the limit');
  t.equal(clock.pendingTimers, 0, 'stops itself after firing');
  t.equal(w.peakBytes, 200);
  w.sample();
  t.same(fired, [200], 'fires once');
});
