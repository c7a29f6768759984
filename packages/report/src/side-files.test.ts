import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readFaultsFile, readProvisionedFile } from './side-files.js';

const opts = { maxEntries: 100 };

async function file(t: { teardown(fn: () => unknown): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-side-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'f.ndjson');
  await writeFile(path, text);
  return path;
}

t.test('a missing file is not an error', async (t) => {
  t.same(await readFaultsFile('/nonexistent/faults.ndjson', opts), { present: false, entries: [], truncatedLines: 0 });
  t.same(await readProvisionedFile('/nonexistent/provisioned.ndjson', opts), { present: false, entries: [], truncatedLines: 0 });
});

t.test('provisioned allocations: optional disabledAt and qualifier, extra fields ignored', async (t) => {
  const path = await file(
    t,
    '{"functionName":"a","qualifier":"live","memoryMb":128,"architecture":"x86_64","count":2,"enabledAt":1000,"disabledAt":5000}\n\n' +
      '{"functionName":"b","memoryMb":1024,"architecture":"arm64","count":0,"enabledAt":2000,"extra":true}\n',
  );
  const read = await readProvisionedFile(path, opts);
  t.same(read.entries, [
    { functionName: 'a', qualifier: 'live', memoryMb: 128, architecture: 'x86_64', count: 2, enabledAt: 1000, disabledAt: 5000 },
    { functionName: 'b', memoryMb: 1024, architecture: 'arm64', count: 0, enabledAt: 2000 },
  ]);
});

t.test('bad lines name the line and field', async (t) => {
  const base = { functionName: 'a', memoryMb: 128, architecture: 'x86_64', count: 1, enabledAt: 1000 };
  for (const [patch, field] of [
    [{ memoryMb: 64 }, 'memoryMb'],
    [{ architecture: 'sparc' }, 'architecture'],
    [{ count: 1.5 }, 'count'],
    [{ enabledAt: 'soon' }, 'enabledAt'],
    [{ disabledAt: 500 }, 'disabledAt'],
    [{ functionName: '' }, 'functionName'],
  ] as const) {
    const path = await file(t, JSON.stringify(base) + '\n' + JSON.stringify({ ...base, ...patch }) + '\n');
    await t.rejects(readProvisionedFile(path, opts), { code: 'REPORT_INVALID_INPUT', file: path, line: 2, field }, field);
  }
  const notJson = await file(t, '{"id":"f1","action":"a","startAt":1}\nnot json\n');
  await t.rejects(readFaultsFile(notJson, opts), { code: 'REPORT_INVALID_INPUT', line: 2, message: /not JSON/ });
  const endBeforeStart = await file(t, '{"id":"f1","action":"a","startAt":10,"endAt":5}\n');
  await t.rejects(readFaultsFile(endBeforeStart, opts), { code: 'REPORT_INVALID_INPUT', field: 'endAt' });
});

t.test('a last line cut short by a crash is skipped and counted', async (t) => {
  const path = await file(t, '{"id":"f1","action":"kill-zone","target":{"zone":"az-a"},"startAt":10}\n{"id":"f2","act');
  const read = await readFaultsFile(path, opts);
  t.same(read.entries, [{ id: 'f1', action: 'kill-zone', target: { zone: 'az-a' }, startAt: 10 }]);
  t.equal(read.truncatedLines, 1);
});

t.test('the entry bound is enforced', async (t) => {
  const path = await file(t, '{"id":"f1","action":"a","startAt":1}\n'.repeat(3));
  await t.rejects(readFaultsFile(path, { maxEntries: 2 }), { code: 'REPORT_INVALID_INPUT', line: 3, message: /more than 2 entries/ });
});
