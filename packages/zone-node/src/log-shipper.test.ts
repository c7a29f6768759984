import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { MAX_LOG_LINE_CHARS, validateZoneMessage, type LogEvents } from '@zonesim/protocol';
import { LogShipper } from './log-shipper.js';

t.test('lines are batched per flush, bounded, and every batch is a valid frame', async (t) => {
  const clock = new ManualClock();
  const sent: LogEvents[] = [];
  const shipper = new LogShipper({ clock, settings: { flushIntervalMs: 200, maxBufferedBytes: 1024, maxBatchBytes: 100_000 }, send: (b) => (sent.push(b), true) });
  shipper.push('fn', 's1', ['a', 'b'], 1);
  shipper.push('fn', 's2', ['c'], 2);
  t.equal(sent.length, 0, 'nothing before the flush interval');
  clock.advance(200);
  t.equal(sent.length, 1, 'one frame for both streams');
  t.same(sent[0]!.streams.map((s) => s.events.map((e) => e.line)), [['a', 'b'], ['c']]);

  // Past the buffer: dropped, and the count travels with the next batch.
  shipper.push('fn', 's1', ['x'.repeat(1000), 'y'.repeat(1000)], 3);
  clock.advance(200);
  t.equal(sent[1]!.dropped, 1);
});

t.test('a line longer than a log event may be is cut, so the frame stays valid', async (t) => {
  const sent: LogEvents[] = [];
  const shipper = new LogShipper({ clock: new ManualClock(), settings: { maxBufferedBytes: 4 * MAX_LOG_LINE_CHARS }, send: (b) => (sent.push(b), true) });
  shipper.push('fn', 's', ['z'.repeat(MAX_LOG_LINE_CHARS + 10)], 1);
  shipper.flush();
  t.equal(sent[0]!.streams[0]!.events[0]!.line.length, MAX_LOG_LINE_CHARS);
  t.ok(validateZoneMessage(sent[0]).ok, 'the coordinator accepts it');
});
