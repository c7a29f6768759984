import { lstat, mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { buildZip } from './build-zip.js';
import { extractZip } from './extract-zip.js';
import { deflatedZeros, rawZip } from './test-util/raw-zip.js';

const handler = 'export const handler = async () => 42;\n';

/** Incompressible and above the one-call inflate bound, so it takes the streaming path. */
const bigFile = randomBytes(600 * 1024);

async function samplePackage(): Promise<Buffer> {
  return buildZip({
    'assets/big.bin': bigFile,
    'index.mjs': handler,
    bootstrap: { content: '#!/bin/sh\nexec node index.mjs\n', mode: 0o755 },
    'lib/deep/nested/x.js': 'module.exports = 1;\n',
    'node_modules/dep/package.json': '{"name":"dep"}',
    'node_modules/dep/bin/cli.js': { content: '#!/usr/bin/env node\n', mode: 0o775 },
    'node_modules/.bin/dep': { symlink: '../dep/bin/cli.js' },
    'empty/': '',
  });
}

/** Names in `dir`, so a test can show that nothing (not even a temp dir) was left behind. */
async function names(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

t.test('a package is unpacked with its tree, exec bits and inside links', async (t) => {
  const root = t.testdir();
  const dest = join(root, 'code', 'abc');
  const result = await extractZip(await samplePackage(), dest);
  t.equal(result.dir, dest);
  t.equal(result.created, true);
  t.equal(result.fileCount, 6);
  t.ok((await readFile(join(dest, 'assets/big.bin'))).equals(bigFile), 'a large (streamed) file is intact');
  t.equal((await stat(join(dest, 'assets/big.bin'))).mode & 0o777, 0o644);
  t.equal(result.symlinkCount, 1);
  t.equal(await readFile(join(dest, 'index.mjs'), 'utf8'), handler);
  t.equal(await readFile(join(dest, 'lib/deep/nested/x.js'), 'utf8'), 'module.exports = 1;\n');
  t.equal((await stat(join(dest, 'bootstrap'))).mode & 0o777, 0o755, 'bootstrap stays executable');
  t.equal((await stat(join(dest, 'node_modules/dep/bin/cli.js'))).mode & 0o777, 0o755, 'any exec bit gives 0o755');
  t.equal((await stat(join(dest, 'index.mjs'))).mode & 0o777, 0o644);
  t.equal((await stat(dest)).mode & 0o777, 0o755, 'the code directory is readable by the function');
  t.ok((await stat(join(dest, 'empty'))).isDirectory());
  t.equal(await readlink(join(dest, 'node_modules/.bin/dep')), '../dep/bin/cli.js');
  t.equal(await readFile(join(dest, 'node_modules/.bin/dep'), 'utf8'), '#!/usr/bin/env node\n', 'the link resolves');
  t.same(await names(join(root, 'code')), ['abc'], 'no temporary directory is left beside it');
});

t.test('modes do not depend on the umask', async (t) => {
  const previous = process.umask(0o077);
  t.teardown(() => void process.umask(previous));
  const dest = join(t.testdir(), 'out');
  await extractZip(await samplePackage(), dest);
  t.equal((await stat(join(dest, 'bootstrap'))).mode & 0o777, 0o755);
  t.equal((await stat(join(dest, 'index.mjs'))).mode & 0o777, 0o644);
});

t.test('a refused archive leaves nothing behind, even after good entries were written', async (t) => {
  const zeros = await deflatedZeros(4 * 1024 * 1024);
  const good = Array.from({ length: 20 }, (_, i) => ({ name: `ok/${i}.txt`, content: `file ${i}` }));
  const cases: Array<[string, Buffer, string]> = [
    ['unsafe path', rawZip([...good, { name: '../pwned.txt', content: 'x' }]), 'UNSAFE_PATH'],
    ['bad CRC in the last entry', rawZip([...good, { name: 'last.txt', content: 'x', crc32: 7 }]), 'NOT_A_ZIP'],
    ['escaping link last', rawZip([...good, { name: 'l', content: '../../..', mode: 0o120777 }]), 'UNSAFE_SYMLINK'],
    [
      'bomb after good files',
      rawZip([...good, { name: 'bomb', stored: zeros.stored, uncompressedSize: 10, crc32: zeros.crc32 }]),
      'TOO_LARGE_UNZIPPED',
    ],
  ];
  for (const [label, zip, code] of cases) {
    const parent = t.testdir();
    const dest = join(parent, 'dest');
    await t.rejects(extractZip(zip, dest, { maxUnzippedBytes: 1024 * 1024 }), { code }, label);
    t.same(await names(parent), [], `${label}: no destination and no temp directory`);
  }
});

t.test('nothing is written outside the destination, through paths or through links', async (t) => {
  const parent = t.testdir({ outside: {} });
  const outside = join(parent, 'outside');
  const dest = join(parent, 'deep', 'dest');
  const attacks: Array<[string, Buffer]> = [
    ['../ name', rawZip([{ name: '../../outside/pwned.txt', content: 'x' }])],
    [
      'absolute link then a file through it',
      rawZip([
        { name: 'evil', content: outside, mode: 0o120777 },
        { name: 'evil/pwned.txt', content: 'x' },
      ]),
    ],
    [
      'relative escaping link then a file through it',
      rawZip([
        { name: 'evil', content: '../../outside', mode: 0o120777 },
        { name: 'evil/pwned.txt', content: 'x' },
      ]),
    ],
    [
      'inside link chained to climb out',
      rawZip([
        { name: 'a', content: '.', mode: 0o120777 },
        { name: 'b', content: 'a/../../outside', mode: 0o120777 },
      ]),
    ],
  ];
  for (const [label, zip] of attacks) {
    await t.rejects(extractZip(zip, dest), { name: 'CodeError' }, label);
    t.same(await names(outside), [], `${label}: outside is untouched`);
    t.same(await names(join(parent, 'deep')), [], `${label}: nothing left beside the destination`);
  }
});

t.test('concurrent extractions into one directory: one wins, the others see the finished directory', async (t) => {
  const parent = t.testdir();
  const dest = join(parent, 'same');
  const zip = await samplePackage();
  const results = await Promise.all(Array.from({ length: 6 }, () => extractZip(zip, dest)));
  t.equal(results.filter((r) => r.created).length, 1, 'exactly one rename won');
  for (const r of results) t.equal(r.dir, dest);
  t.equal(await readFile(join(dest, 'index.mjs'), 'utf8'), handler);
  t.same(await names(parent), ['same'], 'the losers removed their copies');
});

t.test('an existing destination is kept as it is', async (t) => {
  const parent = t.testdir({ dest: { 'marker.txt': 'already here' } });
  const result = await extractZip(await samplePackage(), join(parent, 'dest'));
  t.equal(result.created, false);
  t.same(await names(join(parent, 'dest')), ['marker.txt']);
  t.same(await names(parent), ['dest']);
});

t.test('an abort stops extraction and cleans up', async (t) => {
  const zeros = await deflatedZeros(64 * 1024 * 1024);
  const big = { name: 'big.bin', stored: zeros.stored, uncompressedSize: 64 * 1024 * 1024, crc32: zeros.crc32 };
  const zip = rawZip([big]);
  const parent = t.testdir();
  const controller = new AbortController();
  const pending = extractZip(zip, join(parent, 'dest'), {}, { signal: controller.signal });
  setImmediate(() => controller.abort(new Error('zone node draining')));
  await t.rejects(pending, { message: 'zone node draining' });
  t.same(await names(parent), []);
});

t.test('a file of the destination path blocks extraction with the I/O error, not a CodeError', async (t) => {
  const parent = t.testdir();
  await mkdir(join(parent, 'p'));
  await writeFile(join(parent, 'p', 'file'), 'x');
  const err = await extractZip(await samplePackage(), join(parent, 'p', 'file', 'dest')).catch((e: unknown) => e);
  t.match(err, { code: /^E[A-Z]+$/ }, 'an errno error (EEXIST or ENOTDIR)');
  t.not((err as Error).name, 'CodeError', 'platform faults are not blamed on the upload');
  t.ok((await lstat(join(parent, 'p', 'file'))).isFile());
});
