import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LogStore } from './log-store.js';

function store(t: { teardown(fn: () => void): void }, maxEventsPerFunction = 100): LogStore {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-logs-'));
  const s = new LogStore(join(dir, 'logs.db'), { maxEventsPerFunction });
  s.open();
  t.teardown(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

const batch = (fn: string, stream: string, lines: string[], t0 = 1000) => ({
  type: 'log-events' as const,
  dropped: 0,
  streams: [{ functionName: fn, logStream: stream, events: lines.map((line, i) => ({ t: t0 + i, line })) }],
});

t.test('stores batches per function and stream, reads after a cursor', async (t) => {
  const s = store(t);
  t.equal(s.append(batch('f', '2026/11/27/[$LATEST]aaa', ['START', 'hello', 'END'])), 3);
  s.append(batch('g', '2026/11/27/[$LATEST]bbb', ['other']));
  s.append(batch('f', '2026/11/27/[$LATEST]ccc', ['second env'], 5000));
  const all = s.read('f');
  t.same(all.map((e) => e.message), ['START', 'hello', 'END', 'second env']);
  t.same(s.read('f', { afterId: all[1]!.id }).map((e) => e.message), ['END', 'second env'], 'resumes after the cursor');
  t.same(s.read('f', { stream: '2026/11/27/[$LATEST]ccc' }).map((e) => e.message), ['second env']);
  t.same(s.read('f', { since: 4000 }).map((e) => e.message), ['second env']);
  t.equal(s.lastId('f'), all[3]!.id);
  t.equal(s.lastId('nobody'), 0);
  const streams = s.streams('f');
  t.same(streams.map((x) => [x.logStreamName, x.events]), [['2026/11/27/[$LATEST]ccc', 1], ['2026/11/27/[$LATEST]aaa', 3]]);
});

t.test('retention keeps the newest lines per function', async (t) => {
  const s = store(t, 5);
  s.append(batch('f', 'a', ['1', '2', '3', '4', '5', '6', '7', '8']));
  s.append(batch('g', 'b', ['x']));
  t.equal(s.trim(), 3);
  t.same(s.read('f').map((e) => e.message), ['4', '5', '6', '7', '8']);
  t.same(s.read('g').map((e) => e.message), ['x']);
  t.equal(s.trim(), 0, 'nothing new since');
});
