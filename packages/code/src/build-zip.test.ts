import { chmod, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { buildZip } from './build-zip.js';
import { extractZip } from './extract-zip.js';
import { inspectZip } from './inspect-zip.js';
import { sha256Hex } from './sha256.js';
import { zipDirectory } from './zip-directory.js';

t.test('buildZip is deterministic: same files, same bytes, whatever the order or the time', async (t) => {
  const a = await buildZip({ 'index.mjs': 'export const handler = 1;', 'lib/a.js': Buffer.from('a'), 'z.txt': 'z' });
  await new Promise((resolve) => setTimeout(resolve, 1100)); // DOS timestamps have 2 s resolution; cross a tick
  const b = await buildZip({ 'z.txt': 'z', 'lib/a.js': 'a', 'index.mjs': 'export const handler = 1;' });
  t.equal(sha256Hex(a), sha256Hex(b));
  t.ok(a.equals(b));
  const c = await buildZip({ 'z.txt': 'Z', 'lib/a.js': 'a', 'index.mjs': 'export const handler = 1;' });
  t.not(sha256Hex(a), sha256Hex(c), 'different content, different digest');
  const d = await buildZip({
    'z.txt': { content: 'z', mode: 0o755 },
    'lib/a.js': 'a',
    'index.mjs': 'export const handler = 1;',
  });
  t.not(sha256Hex(a), sha256Hex(d), 'a mode change is a code change');
});

t.test('buildZip output passes inspectZip and round-trips through extractZip with modes', async (t) => {
  const zip = await buildZip({
    bootstrap: { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
    'function.sh': { content: 'handler () { echo ok; }\n' },
    'data.bin': new Uint8Array([0, 1, 2, 255]),
    'current': { symlink: 'data.bin' },
  });
  const info = await inspectZip(zip);
  t.equal(info.fileCount, 3);
  const dest = join(t.testdir(), 'out');
  await extractZip(zip, dest);
  t.equal((await stat(join(dest, 'bootstrap'))).mode & 0o777, 0o755);
  t.equal((await stat(join(dest, 'function.sh'))).mode & 0o777, 0o644);
  t.same([...(await readFile(join(dest, 'current')))], [0, 1, 2, 255]);
});

t.test('buildZip refuses names an upload would refuse, and bad options', async (t) => {
  await t.rejects(buildZip({ '../x': 'x' }), { code: 'UNSAFE_PATH' });
  await t.rejects(buildZip({ 'a\\b': 'x' }), { code: 'UNSAFE_PATH' });
  await t.rejects(buildZip({ a: { content: 'x', mode: 0o10000 } }), RangeError);
  await t.rejects(buildZip({ a: 'x' }, { compressionLevel: 10 }), /compressionLevel/);
  const stored = await buildZip({ a: 'x'.repeat(1000) }, { compressionLevel: 0 });
  t.ok(stored.length > 1000, 'level 0 stores');
});

t.test('zipDirectory packs a folder deterministically with exec bits, links and empty dirs', async (t) => {
  const dir = t.testdir({
    'index.mjs': 'export const handler = async () => "hi";\n',
    bootstrap: '#!/bin/sh\n',
    lib: { 'util.mjs': 'export default 1;\n' },
    node_modules: { dep: { 'index.js': 'module.exports = 2;\n' }, '.bin': {} },
    empty: {},
    '.git': { HEAD: 'ref: refs/heads/main\n' },
  });
  await chmod(join(dir, 'bootstrap'), 0o755);
  await symlink('../dep/index.js', join(dir, 'node_modules/.bin/dep'));

  const zip = await zipDirectory(dir, { ignore: (rel) => rel === '.git' });
  const again = await zipDirectory(dir, { ignore: (rel) => rel === '.git' });
  t.ok(zip.equals(again), 'zipping the same folder twice gives the same bytes');

  const info = await inspectZip(zip);
  t.same(info.files.sort(), [
    'bootstrap',
    'index.mjs',
    'lib/util.mjs',
    'node_modules/.bin/dep',
    'node_modules/dep/index.js',
  ]);
  t.equal(info.directoryCount, 1, 'only the empty directory needs its own record');

  const dest = join(t.testdir(), 'out');
  await extractZip(zip, dest);
  t.equal((await stat(join(dest, 'bootstrap'))).mode & 0o777, 0o755, 'exec bit survives the round trip');
  t.equal(await readFile(join(dest, 'node_modules/.bin/dep'), 'utf8'), 'module.exports = 2;\n');
  t.ok((await stat(join(dest, 'empty'))).isDirectory());
});

t.test('zipDirectory with followSymlinks stores what links point to', async (t) => {
  const root = t.testdir({ shared: { 'lib.js': 'shared\n' }, fn: { 'index.mjs': 'x' } });
  await symlink('../shared', join(root, 'fn/shared'));
  await symlink('.', join(root, 'fn/loop'));
  const asLinks = await inspectZip(await zipDirectory(join(root, 'fn')), {}).catch((e: unknown) => e);
  t.match(asLinks, { code: 'UNSAFE_SYMLINK' }, 'a link out of the folder, kept as a link, would be refused at upload');
  const followed = await inspectZip(await zipDirectory(join(root, 'fn'), { followSymlinks: true }));
  t.same(followed.files.sort(), ['index.mjs', 'shared/lib.js'], 'the loop is skipped, the outside file is copied in');
});
