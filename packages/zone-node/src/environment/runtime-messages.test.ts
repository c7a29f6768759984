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

t.test('chunk messages: bytes of a streaming handler, checked like the rest', async (t) => {
  const data = new Uint8Array([104, 105, 0, 255]);
  t.same(parseRuntimeMessage({ type: 'chunk', requestId: 'r', data, contentType: 'text/plain' }), { type: 'chunk', requestId: 'r', data, contentType: 'text/plain' });
  const bare = parseRuntimeMessage({ type: 'chunk', requestId: 'r', data: Buffer.from('x') });
  t.same(bare, { type: 'chunk', requestId: 'r', data: Buffer.from('x') }, 'a Buffer is a Uint8Array; no content type, none added');
  t.notOk(bare && 'contentType' in bare);
  const parsed = parseRuntimeMessage({ type: 'chunk', requestId: 'r', data });
  t.equal(parsed?.type === 'chunk' ? parsed.data : undefined, data, 'the bytes are passed on as they came');
  t.same(parseRuntimeMessage({ type: 'chunk', requestId: 'r', data: new Uint8Array(0) }), { type: 'chunk', requestId: 'r', data: new Uint8Array(0) }, 'an empty chunk (content type only) is valid');

  for (const bad of [
    { type: 'chunk', data },
    { type: 'chunk', requestId: 7, data },
    { type: 'chunk', requestId: 'r' },
    { type: 'chunk', requestId: 'r', data: 'text' },
    { type: 'chunk', requestId: 'r', data: [1, 2, 3] },
    { type: 'chunk', requestId: 'r', data: { 0: 1, length: 1 } },
    { type: 'chunk', requestId: 'r', data: new ArrayBuffer(2) },
    { type: 'chunk', requestId: 'r', data: new Uint16Array(2) },
  ]) {
    t.equal(parseRuntimeMessage(bad), undefined, JSON.stringify(bad));
  }

  // A content type becomes a header: one that could split it (or is empty, or too long) is dropped, the chunk kept.
  for (const contentType of ['text/plain\r\nx-injected: 1', 'text/plain\nx', 'text/plain\r', '', 'a'.repeat(257), 42]) {
    t.same(parseRuntimeMessage({ type: 'chunk', requestId: 'r', data, contentType }), { type: 'chunk', requestId: 'r', data }, JSON.stringify(contentType));
  }
  t.same(parseRuntimeMessage({ type: 'chunk', requestId: 'r', data, contentType: 'a'.repeat(256) }), { type: 'chunk', requestId: 'r', data, contentType: 'a'.repeat(256) }, '256 characters are fine');
});

t.test('results of streaming handlers say so, with a checked content type on success', async (t) => {
  t.same(parseRuntimeMessage({ type: 'result', requestId: 'r', ok: true, payload: '', streamed: true, contentType: 'text/event-stream', memoryBytes: 1 }), {
    type: 'result',
    requestId: 'r',
    ok: true,
    payload: '',
    memoryBytes: 1,
    streamed: true,
    contentType: 'text/event-stream',
  });
  t.same(parseRuntimeMessage({ type: 'result', requestId: 'r', ok: true, payload: '', streamed: 'yes', contentType: 'a\nb' }), { type: 'result', requestId: 'r', ok: true, payload: '', memoryBytes: 0 }, 'only streamed: true counts; a bad content type is dropped');
  t.same(parseRuntimeMessage({ type: 'result', requestId: 'r', ok: false, error: { errorType: 'E', errorMessage: 'm' }, streamed: true, contentType: 'text/plain' }), {
    type: 'result',
    requestId: 'r',
    ok: false,
    error: { errorType: 'E', errorMessage: 'm' },
    fatal: false,
    memoryBytes: 0,
    streamed: true,
  });
});

t.test('log buffer: bounded, keeps the head and a rolling tail, reports what it dropped between', async (t) => {
  const b = new LogBuffer(20, 6);
  for (const line of ['12345', '67890', 'abcde', 'x', 'y', 'z', 'END', 'RE']) b.push(line);
  const note = 'zonesim: 3 log lines dropped (log limit 20 bytes)';
  t.same(b.lines(), ['12345', '67890', note, 'z', 'END', 'RE'], 'the head (10 of 14), the note, the last 6');
  t.equal(b.dropped, 3);
  t.same(b.drain(), ['12345', '67890', note, 'z', 'END', 'RE']);
  t.same(b.lines(), []);

  // Once the head overflowed, later short lines still go to the tail: the head stays a prefix.
  const c = new LogBuffer(20, 6);
  for (const line of ['1234567890', 'abcdefghij', 'k']) c.push(line);
  t.same(c.lines(), ['1234567890', 'zonesim: 1 log lines dropped (log limit 20 bytes)', 'k']);

  // A last line over the tail's budget keeps its end; a runtime's own drops are counted.
  const d = new LogBuffer(20, 6);
  d.push('x'.repeat(30));
  d.noteDropped(7);
  t.same(d.lines(), ['zonesim: 7 log lines dropped (log limit 20 bytes)', 'xxxxxx']);

  // The default tail is 4 KiB (what X-Amz-Log-Result shows) for Lambda-sized bounds.
  const e = new LogBuffer(1024 * 1024);
  for (let i = 0; i < 5000; i++) e.push(`line ${i} ${'.'.repeat(500)}`);
  const lines = e.lines();
  t.ok(lines.join('').length <= 1024 * 1024 + 100, 'the bound holds (the note aside)');
  t.match(lines.at(-1), /^line 4999 /);
  t.ok(lines.slice(lines.findIndex((l) => l.startsWith('zonesim:')) + 1).join('').length <= 4096);
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
