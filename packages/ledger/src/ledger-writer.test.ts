import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@zonesim/common';
import t from 'tap';
import { readLedger } from './ledger-reader.js';
import type { LedgerSink } from './ledger-sink.js';
import { LedgerWriter, resolveLedgerWriterOptions } from './ledger-writer.js';
import type { LedgerLogger } from './logger.js';
import type { LedgerRecord } from './record.js';
import { SyncLedgerWriter, resolveSyncLedgerWriterOptions } from './sync-ledger-writer.js';
import { makeRecord } from './test-util/records.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-writer-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function fakeLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg !== undefined && { msg }) });
  return { lines, logger: { warn: log('warn'), error: log('error'), info: log('info') } };
}

/** Records of one exact serialized size, so byte bounds in tests are easy to reason about. */
function fixedRecord(i: number): LedgerRecord {
  return makeRecord({ requestId: `req-${String(i).padStart(6, '0')}` });
}
const LINE_BYTES = Buffer.byteLength(JSON.stringify(fixedRecord(0)) + '\n');

async function readAll(dir: string): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const r of readLedger(dir)) out.push(r);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The LedgerSink contract (STYLE 22: one suite, run against each implementation).

interface SinkCase {
  name: string;
  make(dir: string, options: { maxFileBytes?: number; flushThresholdBytes?: number }, components?: { clock?: ManualClock; logger?: LedgerLogger }): LedgerSink;
  /** Waits for writes the sink started on its own (the async writer's; the sync one has none pending). */
  settle(sink: LedgerSink): Promise<void>;
}

const SINKS: SinkCase[] = [
  {
    name: 'LedgerWriter',
    // A long interval: the contract is about the threshold, flushThrough and close, not the timer.
    make: (dir, options, components = {}) => new LedgerWriter({ dir, flushIntervalMs: 3_600_000, ...options }, { clock: components.clock ?? new ManualClock(), ...(components.logger && { logger: components.logger }) }),
    settle: (sink) => (sink as LedgerWriter).whenIdle(),
  },
  {
    name: 'SyncLedgerWriter',
    make: (dir, options, components = {}) => new SyncLedgerWriter({ dir, ...options }, { clock: components.clock ?? new ManualClock(), ...(components.logger && { logger: components.logger }) }),
    settle: async () => {},
  },
];

for (const sinkCase of SINKS) {
  t.test(`LedgerSink contract: ${sinkCase.name}`, async (t) => {
    const make = sinkCase.make;

    t.test('a full enough buffer is written without an interval', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, { flushThresholdBytes: 3 * LINE_BYTES });
      await sink.start();
      for (let i = 0; i < 2; i++) t.equal(sink.append(fixedRecord(i)), true);
      await sinkCase.settle(sink);
      t.equal(sink.stats.written, 0, 'below the threshold');
      t.equal(sink.stats.bufferedBytes, 2 * LINE_BYTES);
      sink.append(fixedRecord(2));
      await sinkCase.settle(sink);
      t.equal(sink.stats.written, 3, 'written once the threshold is reached');
      t.equal(sink.stats.bufferedBytes, 0);
      await sink.close();
    });

    t.test('flushThrough: every record appended before the call is in the file when it resolves', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, {});
      await sink.start();
      for (let i = 0; i < 5; i++) sink.append(fixedRecord(i));
      await sink.flushThrough();
      t.equal(sink.stats.written, 5);
      const text = await readFile(sink.stats.currentFile!, 'utf8');
      t.equal(text, Array.from({ length: 5 }, (_, i) => JSON.stringify(fixedRecord(i)) + '\n').join(''));
      await sink.close();
    });

    t.test('files rotate by size and the reader streams them in order', async (t) => {
      const dir = await tempDir(t);
      // Three records fit in a file: the fourth would pass maxFileBytes and starts the next file.
      const sink = make(dir, { maxFileBytes: 3 * LINE_BYTES + 10 });
      await sink.start();
      for (let i = 0; i < 10; i++) sink.append(fixedRecord(i));
      await sink.flush();
      for (let i = 10; i < 20; i++) sink.append(fixedRecord(i));
      await sink.close();
      const names = (await readdir(dir)).sort();
      t.same(names, ['000001', '000002', '000003', '000004', '000005', '000006', '000007'].map((n) => `ledger-${n}.ndjson`));
      for (const name of names) t.ok((await stat(join(dir, name))).size <= 3 * LINE_BYTES + 10, `${name} within maxFileBytes`);
      const reader = readLedger(dir);
      const ids: string[] = [];
      for await (const r of reader) ids.push(r.requestId);
      t.same(ids, Array.from({ length: 20 }, (_, i) => fixedRecord(i).requestId), 'every record, in write order');
      t.same(reader.stats, { files: 7, records: 20, truncatedLines: 0 });
      t.equal(sink.stats.files, 7);
      t.equal(sink.stats.bytesWritten, 20 * LINE_BYTES);
    });

    t.test('a record larger than maxFileBytes gets a file of its own', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, { maxFileBytes: LINE_BYTES - 1 });
      await sink.start();
      for (let i = 0; i < 3; i++) sink.append(fixedRecord(i));
      await sink.close();
      t.equal((await readdir(dir)).length, 3);
      t.equal((await readAll(dir)).length, 3);
    });

    t.test('records appended before start are kept and written', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, {});
      t.equal(sink.state, 'idle');
      sink.append(fixedRecord(1));
      sink.append(fixedRecord(2));
      t.equal(sink.stats.currentFile, undefined);
      await sink.start();
      t.equal(sink.state, 'open');
      await sink.close();
      t.same((await readAll(dir)).map((r) => r.requestId), [fixedRecord(1).requestId, fixedRecord(2).requestId]);
      t.same({ appended: sink.stats.appended, written: sink.stats.written, dropped: sink.stats.dropped }, { appended: 2, written: 2, dropped: 0 });
    });

    t.test('close flushes what is buffered; appends after close are dropped and counted', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, {});
      await sink.start();
      for (let i = 0; i < 3; i++) sink.append(fixedRecord(i));
      t.equal(sink.stats.written, 0);
      const closing = sink.close();
      t.ok(sink.state === 'closing' || sink.state === 'closed', `state ${sink.state} once close is called`);
      await sink.close();
      await closing;
      t.equal(sink.state, 'closed');
      t.equal((await readAll(dir)).length, 3);
      t.equal(sink.append(fixedRecord(9)), false);
      t.equal(sink.stats.dropped, 1);
      t.equal(sink.stats.currentFile, undefined);
      await sink.close();
    });

    t.test('destroy discards the buffer and counts it', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, {});
      await sink.start();
      sink.append(fixedRecord(1));
      sink.append(fixedRecord(2));
      sink.destroy();
      t.equal(sink.state, 'closed');
      t.equal(sink.stats.dropped, 2);
      t.equal(sink.stats.bufferedBytes, 0);
      sink.destroy();
      await sink.close();
      t.same(await readAll(dir), [], 'nothing was written');
    });

    t.test('a new sink starts a new file past the existing ones, never appending to them', async (t) => {
      const dir = await tempDir(t);
      await writeFile(join(dir, 'ledger-000004.ndjson'), JSON.stringify(fixedRecord(0)) + '\n{"v":1,"req'); // a crashed run
      const sink = make(dir, {});
      await sink.start();
      t.equal(sink.stats.currentFile, join(dir, 'ledger-000005.ndjson'));
      sink.append(fixedRecord(1));
      await sink.close();
      const reader = readLedger(dir);
      const ids: string[] = [];
      for await (const r of reader) ids.push(r.requestId);
      t.same(ids, [fixedRecord(0).requestId, fixedRecord(1).requestId]);
      t.equal(reader.stats.truncatedLines, 1, 'the crashed file still ends with its cut line');
    });

    t.test('start is refused twice; an aborted close destroys', async (t) => {
      const dir = await tempDir(t);
      const sink = make(dir, {});
      await sink.start();
      await t.rejects(sink.start(), /state is open/);
      sink.append(fixedRecord(1));
      await sink.close({ signal: AbortSignal.abort() });
      t.equal(sink.state, 'closed');
      t.equal(sink.stats.dropped, 1, 'the buffer was discarded, not written');
    });
  });
}

t.test('both sinks write the same files for the same records', async (t) => {
  const records = Array.from({ length: 50 }, (_, i) => fixedRecord(i));
  const files: Record<string, string>[] = [];
  for (const sinkCase of SINKS) {
    const dir = await tempDir(t);
    const sink = sinkCase.make(dir, { maxFileBytes: 7 * LINE_BYTES, flushThresholdBytes: 4 * LINE_BYTES });
    await sink.start();
    for (const r of records) {
      sink.append(r);
      await sinkCase.settle(sink);
    }
    await sink.close();
    const out: Record<string, string> = {};
    for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
    files.push(out);
  }
  t.equal(Object.keys(files[0]!).length, 8);
  t.same(files[1], files[0], 'same names, same rotation, same bytes');
});

// ---------------------------------------------------------------------------------------------
// LedgerWriter: asynchronous writes on an interval, memory bounded by dropping.

t.test('LedgerWriter options: defaults, and errors naming the field', async (t) => {
  const o = resolveLedgerWriterOptions({ dir: '/x' });
  t.same(o, { dir: '/x', maxFileBytes: 64 * 1024 * 1024, flushIntervalMs: 200, flushThresholdBytes: 1024 * 1024, maxBufferedBytes: 8 * 1024 * 1024 });
  t.throws(() => resolveLedgerWriterOptions({ dir: '' }), { code: 'LEDGER_INVALID_OPTION', field: 'dir' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', maxFileBytes: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxFileBytes' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', flushIntervalMs: 1.5 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushIntervalMs' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', flushThresholdBytes: 10, maxBufferedBytes: 5 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushThresholdBytes' });
});

t.test('LedgerWriter: buffered records are written on the clock interval', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const writer = new LedgerWriter({ dir, flushIntervalMs: 200 }, { clock });
  await writer.start();
  writer.append(fixedRecord(1));
  clock.advance(199);
  await writer.whenIdle();
  t.equal(writer.stats.written, 0, 'not before the interval');
  t.equal(writer.stats.bufferedBytes, LINE_BYTES);
  clock.advance(1);
  await writer.whenIdle();
  t.equal(writer.stats.written, 1, 'written at 200 ms');
  t.equal(writer.stats.bufferedBytes, 0);
  t.equal(await readFile(join(dir, 'ledger-000001.ndjson'), 'utf8'), JSON.stringify(fixedRecord(1)) + '\n');
  await writer.close();
  t.equal(clock.pendingTimers, 0, 'the timer is stopped on close');
});

t.test('LedgerWriter: the buffer is bounded: past maxBufferedBytes records are dropped, counted and reported', async (t) => {
  const dir = await tempDir(t);
  const { lines, logger } = fakeLogger();
  const writer = new LedgerWriter(
    { dir, maxBufferedBytes: Math.floor(2.5 * LINE_BYTES), flushThresholdBytes: 2 * LINE_BYTES },
    { clock: new ManualClock(), logger },
  );
  // Not started: nothing can be written, so the buffer fills.
  const accepted = Array.from({ length: 5 }, (_, i) => writer.append(fixedRecord(i)));
  t.same(accepted, [true, true, false, false, false]);
  t.equal(writer.stats.dropped, 3);
  t.equal(writer.stats.appended, 2);
  t.ok(writer.stats.bufferedBytes <= 2.5 * LINE_BYTES, 'memory stays under the bound');
  t.equal(lines.filter((l) => l.level === 'warn').length, 1, 'one warning for a run of drops');
  await writer.start();
  await writer.close();
  t.equal(writer.stats.written, 2);
  t.same((await readAll(dir)).map((r) => r.requestId), [fixedRecord(0).requestId, fixedRecord(1).requestId]);
  t.ok(lines.some((l) => l.level === 'warn' && (l.obj as { dropped?: number }).dropped === 3), 'the catch-up is reported with the count');
});

// ---------------------------------------------------------------------------------------------
// SyncLedgerWriter: what differs. Writes happen inside the call, nothing is dropped for speed.

t.test('SyncLedgerWriter options: defaults (no interval), and errors naming the field', async (t) => {
  t.same(resolveSyncLedgerWriterOptions({ dir: '/x' }), { dir: '/x', maxFileBytes: 64 * 1024 * 1024, flushThresholdBytes: 1024 * 1024, flushIntervalMs: undefined });
  t.throws(() => resolveSyncLedgerWriterOptions({ dir: '' }), { code: 'LEDGER_INVALID_OPTION', field: 'dir' });
  t.throws(() => resolveSyncLedgerWriterOptions({ dir: '/x', maxFileBytes: -1 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxFileBytes' });
  t.throws(() => resolveSyncLedgerWriterOptions({ dir: '/x', flushThresholdBytes: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushThresholdBytes' });
  t.throws(() => resolveSyncLedgerWriterOptions({ dir: '/x', flushIntervalMs: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushIntervalMs' });
});

t.test('SyncLedgerWriter: the threshold write is done inside append, and no timer is set', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const writer = new SyncLedgerWriter({ dir, flushThresholdBytes: 2 * LINE_BYTES }, { clock });
  await writer.start();
  t.equal(clock.pendingTimers, 0, 'no clock-driven interval');
  writer.append(fixedRecord(1));
  t.equal(readFileSync(join(dir, 'ledger-000001.ndjson'), 'utf8'), '', 'below the threshold: buffered');
  writer.append(fixedRecord(2));
  // No await in between: the bytes are in the file when append returns.
  t.equal(readFileSync(join(dir, 'ledger-000001.ndjson'), 'utf8'), [1, 2].map((i) => JSON.stringify(fixedRecord(i)) + '\n').join(''));
  t.equal(writer.stats.written, 2);
  clock.advance(3_600_000);
  writer.append(fixedRecord(3));
  t.equal(writer.stats.written, 2, 'time passing writes nothing');
  await writer.close();
  t.equal(writer.stats.written, 3);
});

t.test('SyncLedgerWriter: an optional interval writes on the clock', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const writer = new SyncLedgerWriter({ dir, flushIntervalMs: 100 }, { clock });
  await writer.start();
  writer.append(fixedRecord(1));
  clock.advance(100);
  t.equal(writer.stats.written, 1);
  await writer.close();
  t.equal(clock.pendingTimers, 0, 'the timer is stopped on close');
});

t.test('SyncLedgerWriter never drops where LedgerWriter must (a burst faster than the disk)', async (t) => {
  const burst = 5000;
  const options = { flushThresholdBytes: 8 * LINE_BYTES };
  // LedgerWriter: a synchronous burst gives its async writes no turn to run; its bound drops the rest.
  const asyncDir = await tempDir(t);
  const asyncWriter = new LedgerWriter({ dir: asyncDir, ...options, maxBufferedBytes: 64 * LINE_BYTES }, { clock: new ManualClock() });
  await asyncWriter.start();
  for (let i = 0; i < burst; i++) asyncWriter.append(fixedRecord(i));
  await asyncWriter.close();
  t.ok(asyncWriter.stats.dropped > burst / 2, `LedgerWriter dropped ${asyncWriter.stats.dropped} of ${burst}`);

  const dir = await tempDir(t);
  const writer = new SyncLedgerWriter({ dir, ...options, maxFileBytes: 500 * LINE_BYTES });
  await writer.start();
  let maxBuffered = 0;
  let refused = 0;
  for (let i = 0; i < burst; i++) {
    if (!writer.append(fixedRecord(i))) refused++;
    maxBuffered = Math.max(maxBuffered, writer.stats.bufferedBytes);
  }
  t.equal(refused, 0, 'append never refused a record');
  t.ok(maxBuffered < options.flushThresholdBytes, `memory stays under the threshold (${maxBuffered} bytes at most)`);
  await writer.close();
  t.same({ appended: writer.stats.appended, written: writer.stats.written, dropped: writer.stats.dropped }, { appended: burst, written: burst, dropped: 0 });
  t.equal(writer.stats.files, 10);
  const ids = (await readAll(dir)).map((r) => r.requestId);
  t.same(ids, Array.from({ length: burst }, (_, i) => fixedRecord(i).requestId), 'every record, in order');
});
