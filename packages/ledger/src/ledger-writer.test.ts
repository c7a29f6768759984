import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@zonesim/common';
import t from 'tap';
import { readLedger } from './ledger-reader.js';
import { LedgerWriter, resolveLedgerWriterOptions } from './ledger-writer.js';
import type { LedgerRecord } from './record.js';
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

t.test('options: defaults, and errors naming the field', async (t) => {
  const o = resolveLedgerWriterOptions({ dir: '/x' });
  t.same(o, { dir: '/x', maxFileBytes: 64 * 1024 * 1024, flushIntervalMs: 200, flushThresholdBytes: 1024 * 1024, maxBufferedBytes: 8 * 1024 * 1024 });
  t.throws(() => resolveLedgerWriterOptions({ dir: '' }), { code: 'LEDGER_INVALID_OPTION', field: 'dir' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', maxFileBytes: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxFileBytes' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', flushIntervalMs: 1.5 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushIntervalMs' });
  t.throws(() => resolveLedgerWriterOptions({ dir: '/x', flushThresholdBytes: 10, maxBufferedBytes: 5 }), { code: 'LEDGER_INVALID_OPTION', field: 'flushThresholdBytes' });
});

t.test('buffered records are written on the clock interval', async (t) => {
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

t.test('a full enough buffer is written without waiting for the interval', async (t) => {
  const dir = await tempDir(t);
  const writer = new LedgerWriter({ dir, flushThresholdBytes: 3 * LINE_BYTES }, { clock: new ManualClock() });
  await writer.start();
  for (let i = 0; i < 2; i++) writer.append(fixedRecord(i));
  await writer.whenIdle();
  t.equal(writer.stats.written, 0, 'below the threshold');
  writer.append(fixedRecord(2));
  await writer.whenIdle();
  t.equal(writer.stats.written, 3, 'written once the threshold is reached');
  await writer.close();
});

t.test('files rotate by size and the reader streams them in order', async (t) => {
  const dir = await tempDir(t);
  // Three records fit in a file: the fourth would pass maxFileBytes and starts the next file.
  const writer = new LedgerWriter({ dir, maxFileBytes: 3 * LINE_BYTES + 10 }, { clock: new ManualClock() });
  await writer.start();
  for (let i = 0; i < 10; i++) writer.append(fixedRecord(i));
  await writer.flush();
  for (let i = 10; i < 20; i++) writer.append(fixedRecord(i));
  await writer.close();
  const names = (await readdir(dir)).sort();
  t.same(names, ['000001', '000002', '000003', '000004', '000005', '000006', '000007'].map((n) => `ledger-${n}.ndjson`));
  for (const name of names) t.ok((await stat(join(dir, name))).size <= 3 * LINE_BYTES + 10, `${name} within maxFileBytes`);
  const reader = readLedger(dir);
  const ids: string[] = [];
  for await (const r of reader) ids.push(r.requestId);
  t.same(ids, Array.from({ length: 20 }, (_, i) => fixedRecord(i).requestId), 'every record, in write order');
  t.same(reader.stats, { files: 7, records: 20, truncatedLines: 0 });
  t.equal(writer.stats.files, 7);
});

t.test('a record larger than maxFileBytes gets a file of its own', async (t) => {
  const dir = await tempDir(t);
  const writer = new LedgerWriter({ dir, maxFileBytes: LINE_BYTES - 1 }, { clock: new ManualClock() });
  await writer.start();
  for (let i = 0; i < 3; i++) writer.append(fixedRecord(i));
  await writer.close();
  t.equal((await readdir(dir)).length, 3);
  t.equal((await readAll(dir)).length, 3);
});

t.test('the buffer is bounded: past maxBufferedBytes records are dropped, counted and reported', async (t) => {
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

t.test('close flushes what is buffered; appends after close are dropped', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const writer = new LedgerWriter({ dir, flushIntervalMs: 60_000 }, { clock });
  await writer.start();
  for (let i = 0; i < 3; i++) writer.append(fixedRecord(i));
  t.equal(writer.stats.written, 0);
  const closing = writer.close();
  t.equal(writer.state, 'closing');
  t.equal(writer.close(), closing, 'close twice returns the same promise');
  await closing;
  t.equal(writer.state, 'closed');
  t.equal((await readAll(dir)).length, 3);
  t.equal(writer.append(fixedRecord(9)), false);
  t.equal(writer.stats.dropped, 1);
  await writer.close();
});

t.test('destroy discards the buffer and counts it', async (t) => {
  const dir = await tempDir(t);
  const writer = new LedgerWriter({ dir }, { clock: new ManualClock() });
  await writer.start();
  writer.append(fixedRecord(1));
  writer.append(fixedRecord(2));
  writer.destroy();
  t.equal(writer.state, 'closed');
  t.equal(writer.stats.dropped, 2);
  t.equal(writer.stats.bufferedBytes, 0);
  writer.destroy();
  await writer.close();
});

t.test('a new writer starts a new file past the existing ones, never appending to them', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ledger-000004.ndjson'), JSON.stringify(fixedRecord(0)) + '\n{"v":1,"req'); // a crashed run
  const writer = new LedgerWriter({ dir }, { clock: new ManualClock() });
  await writer.start();
  t.equal(writer.stats.currentFile, join(dir, 'ledger-000005.ndjson'));
  writer.append(fixedRecord(1));
  await writer.close();
  const reader = readLedger(dir);
  const ids: string[] = [];
  for await (const r of reader) ids.push(r.requestId);
  t.same(ids, [fixedRecord(0).requestId, fixedRecord(1).requestId]);
  t.equal(reader.stats.truncatedLines, 1, 'the crashed file still ends with its cut line');
});
