import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readLedger, type TruncatedLine } from './ledger-reader.js';
import type { LedgerRecord } from './record.js';
import { makeRecord } from './test-util/records.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-reader-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const line = (r: LedgerRecord) => JSON.stringify(r) + '\n';

t.test('a truncated last line (crash mid-write) is skipped and counted, not thrown', async (t) => {
  const dir = await tempDir(t);
  const a = makeRecord({ requestId: 'a' });
  const b = makeRecord({ requestId: 'b' });
  const cut = line(makeRecord({ requestId: 'c' })).slice(0, 40);
  await writeFile(join(dir, 'ledger-000001.ndjson'), line(a) + line(b) + cut);
  const truncated: TruncatedLine[] = [];
  const reader = readLedger(dir, { onTruncated: (info) => truncated.push(info) });
  const ids: string[] = [];
  for await (const r of reader) ids.push(r.requestId);
  t.same(ids, ['a', 'b']);
  t.same(reader.stats, { files: 1, records: 2, truncatedLines: 1 });
  t.same(truncated, [{ file: join(dir, 'ledger-000001.ndjson'), line: 3, bytes: 40 }]);
});

t.test('a last line cut exactly before its newline is a whole record and is kept', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ledger-000001.ndjson'), line(makeRecord({ requestId: 'a' })) + JSON.stringify(makeRecord({ requestId: 'b' })));
  const reader = readLedger(dir);
  const ids: string[] = [];
  for await (const r of reader) ids.push(r.requestId);
  t.same(ids, ['a', 'b']);
  t.equal(reader.stats.truncatedLines, 0);
});

t.test('files are read by number across the 6-digit boundary, lines across chunk boundaries', async (t) => {
  const dir = await tempDir(t);
  // Long enough that the 64 KiB read chunks split lines (and a multi-byte character).
  const big = (id: string) => makeRecord({ requestId: id, errorType: `Err.${'é'.repeat(500)}` });
  const first = Array.from({ length: 200 }, (_, i) => big(`x${i}`));
  await writeFile(join(dir, 'ledger-999999.ndjson'), first.map(line).join(''));
  await writeFile(join(dir, 'ledger-1000000.ndjson'), line(makeRecord({ requestId: 'last' })));
  await writeFile(join(dir, 'notes.txt'), 'not a ledger file');
  const ids: string[] = [];
  const reader = readLedger(dir);
  for await (const r of reader) ids.push(r.requestId);
  t.equal(ids.length, 201);
  t.equal(ids[0], 'x0');
  t.equal(ids[199], 'x199');
  t.equal(ids[200], 'last', '1000000 comes after 999999');
  t.equal(reader.stats.files, 2);
});

t.test('a bad line in the middle of a file throws, naming the file and line', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ledger-000001.ndjson'), line(makeRecord()) + '{"v":1}\n' + line(makeRecord()));
  const read = async () => {
    for await (const _ of readLedger(dir)) void _;
  };
  await t.rejects(read(), { code: 'LEDGER_INVALID_RECORD', file: join(dir, 'ledger-000001.ndjson'), line: 2 });
});

t.test('a line past maxLineBytes is refused without being held whole', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ledger-000001.ndjson'), 'x'.repeat(10_000));
  const read = async () => {
    for await (const _ of readLedger(dir, { maxLineBytes: 1000 })) void _;
  };
  await t.rejects(read(), { code: 'LEDGER_LINE_TOO_LONG', line: 1 });
  t.throws(() => readLedger(dir, { maxLineBytes: 0 }), { code: 'LEDGER_INVALID_OPTION', field: 'maxLineBytes' });
});

t.test('an aborted read stops', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'ledger-000001.ndjson'), line(makeRecord()));
  const ac = new AbortController();
  ac.abort();
  const read = async () => {
    for await (const _ of readLedger(dir, { signal: ac.signal })) void _;
  };
  await t.rejects(read(), { name: 'AbortError' });
});
