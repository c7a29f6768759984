import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { buildZip } from './build-zip.js';
import { COULD_NOT_UNZIP } from './errors.js';
import { inspectZip } from './inspect-zip.js';
import { patchBytes } from './test-util/patch.js';
import { rawZip } from './test-util/raw-zip.js';

const handler = 'export const handler = async () => ({ statusCode: 200 });\n';

t.test('a package with nested directories and node_modules is accepted and described', async (t) => {
  const zip = await buildZip({
    'index.mjs': handler,
    'lib/util/strings.mjs': 'export const up = (s) => s.toUpperCase();\n',
    'node_modules/left-pad/package.json': '{"name":"left-pad","main":"index.js"}',
    'node_modules/left-pad/index.js': 'module.exports = (s, n) => s.padStart(n);\n',
    'node_modules/.bin/left-pad': { symlink: '../left-pad/index.js' },
    'empty/': '',
  });
  const info = await inspectZip(zip);
  t.equal(info.sha256Hex, createHash('sha256').update(zip).digest('hex'));
  t.equal(info.sha256Base64, createHash('sha256').update(zip).digest('base64'), 'CodeSha256 is base64 of the SHA-256');
  t.equal(info.codeSize, zip.length);
  t.equal(info.entryCount, 6);
  t.equal(info.fileCount, 4);
  t.equal(info.symlinkCount, 1);
  t.equal(info.directoryCount, 1);
  const expectedSize =
    Buffer.byteLength(handler) +
    Buffer.byteLength('export const up = (s) => s.toUpperCase();\n') +
    Buffer.byteLength('{"name":"left-pad","main":"index.js"}') +
    Buffer.byteLength('module.exports = (s, n) => s.padStart(n);\n') +
    Buffer.byteLength('../left-pad/index.js');
  t.equal(info.unzippedSize, expectedSize, 'unzipped size counts file bytes and link targets');
  t.same(info.files.sort(), [
    'index.mjs',
    'lib/util/strings.mjs',
    'node_modules/.bin/left-pad',
    'node_modules/left-pad/index.js',
    'node_modules/left-pad/package.json',
  ]);
  t.equal(info.filesTruncated, false);
});

t.test('files lists at most maxListedFiles names and says so', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`f${i}.txt`] = String(i);
  const info = await inspectZip(await buildZip(files), { maxListedFiles: 3 });
  t.equal(info.files.length, 3);
  t.equal(info.fileCount, 10);
  t.equal(info.filesTruncated, true);
});

t.test('stored entries, "./" prefixes, repeated directory records and an empty archive are accepted', async (t) => {
  const zip = rawZip([
    { name: './', method: 0, mode: 0o40755 },
    { name: 'a/', method: 0, mode: 0o40755 },
    { name: 'a/', method: 0, mode: 0o40755 },
    { name: './a/b.txt', content: 'stored', method: 0 },
  ]);
  const info = await inspectZip(zip);
  t.same(info.files, ['a/b.txt']);
  t.equal(info.unzippedSize, 6);
  const dos = await inspectZip(
    rawZip([
      { name: 'windows', method: 0, mode: 0, dosAttributes: 0x10 },
      { name: 'windows/app.js', content: 'x', mode: 0 },
    ]),
  );
  t.equal(dos.directoryCount, 1, 'a Windows-made directory record without a trailing slash');
  const empty = await inspectZip(rawZip([]));
  t.equal(empty.entryCount, 0);
});

t.test('not a zip: empty, random, truncated, corrupt', async (t) => {
  const good = await buildZip({ 'index.mjs': handler });
  const notZip = { name: 'CodeError', code: 'NOT_A_ZIP', message: COULD_NOT_UNZIP };
  await t.rejects(inspectZip(Buffer.alloc(0)), notZip, 'empty buffer');
  await t.rejects(inspectZip(randomBytes(4096)), notZip, 'random bytes');
  await t.rejects(inspectZip(Buffer.from('PK\x03\x04 this is not really a zip')), notZip, 'just a signature');
  await t.rejects(inspectZip(good.subarray(0, good.length - 10)), notZip, 'truncated end record');
  await t.rejects(inspectZip(good.subarray(0, 40)), notZip, 'only the first bytes');
  const badCentral = patchBytes(good, Buffer.from([0x50, 0x4b, 0x01, 0x02]), Buffer.from([0x50, 0x4b, 0x01, 0x09]));
  await t.rejects(inspectZip(badCentral), notZip, 'bad central directory signature');
  const overclaiming = rawZip([{ name: 'a.txt', content: 'x' }], { entryCount: 2 });
  await t.rejects(inspectZip(overclaiming), notZip, 'end record claims more entries');
  await t.rejects(
    inspectZip(rawZip([{ name: 'a.txt', content: 'hello', crc32: 1234 }])),
    { code: 'NOT_A_ZIP', entryName: 'a.txt', detail: /CRC/ },
    'bad CRC',
  );
  await t.rejects(
    inspectZip(rawZip([{ name: 'a.txt', content: 'hello', uncompressedSize: 6 }])),
    { code: 'NOT_A_ZIP', detail: /inflates to 5 bytes but its header says 6/ },
    'size smaller than the header says',
  );
  await t.rejects(
    inspectZip(rawZip([{ name: 'a.txt', stored: Buffer.from([0xff, 0xff, 0xff]), uncompressedSize: 3, crc32: 0 }])),
    { code: 'NOT_A_ZIP', detail: /corrupt/ },
    'garbage deflate data',
  );
  await t.rejects(
    inspectZip(rawZip([{ name: 'a.txt', content: 'hi', localName: 'b.txt' }])),
    { code: 'NOT_A_ZIP', detail: /local header/ },
    'local header names another file',
  );
});

t.test('unsafe paths are refused, from hand-made bytes and from patched yazl output', async (t) => {
  const names = [
    '../evil.txt',
    'a/../../evil.txt',
    '/etc/cron.d/evil',
    'C:/evil.txt',
    'C:\\evil.txt',
    '..\\evil.txt',
    'evil\0.txt',
  ];
  for (const name of names) {
    await t.rejects(
      inspectZip(rawZip([{ name: 'ok.txt', content: 'fine' }, { name, content: 'pwned' }])),
      {
        name: 'CodeError',
        code: 'UNSAFE_PATH',
        entryName: name,
        message: /^Could not unzip uploaded file\. .*unsafe path/,
      },
      JSON.stringify(name),
    );
  }
  const honest = await buildZip({ 'aa/evil.txt': 'pwned', 'index.mjs': handler });
  await t.rejects(inspectZip(patchBytes(honest, 'aa/evil.txt', '../evil.txt')), { code: 'UNSAFE_PATH' }, 'patched ../');
  const backslash = patchBytes(honest, 'aa/evil.txt', '..\\evil.txt');
  await t.rejects(inspectZip(backslash), { code: 'UNSAFE_PATH', detail: /backslash/ }, 'patched backslash');
  const absolute = patchBytes(honest, 'aa/evil.txt', '/a/evil.txt');
  await t.rejects(inspectZip(absolute), { code: 'UNSAFE_PATH', detail: /absolute/ }, 'patched absolute');
});

t.test('a safe header name hiding an unsafe Info-ZIP Unicode path is refused', async (t) => {
  const { crc32 } = await import('node:zlib');
  const headerName = Buffer.from('safe.txt');
  const unicode = Buffer.from('../evil.txt');
  const data = Buffer.alloc(5);
  data.writeUInt8(1, 0);
  data.writeUInt32LE(crc32(headerName), 1);
  const field = Buffer.concat([Buffer.from([0x75, 0x70]), Buffer.alloc(2), data, unicode]);
  field.writeUInt16LE(5 + unicode.length, 2);
  const zip = rawZip([{ name: headerName, content: 'x', extra: field }]);
  await t.rejects(inspectZip(zip), { code: 'UNSAFE_PATH', entryName: '../evil.txt' });
});

t.test('symbolic links: escaping targets and writing through links are refused', async (t) => {
  const link = (name: string, target: string) => ({ name, content: target, mode: 0o120777 });
  await t.rejects(inspectZip(rawZip([link('etc', '/etc')])), {
    code: 'UNSAFE_SYMLINK',
    entryName: 'etc',
    target: '/etc',
  });
  await t.rejects(inspectZip(rawZip([link('a/up', '../../outside')])), { code: 'UNSAFE_SYMLINK', detail: /leaves/ });
  await t.rejects(inspectZip(rawZip([link('a', '.'), link('b', 'a/..')])), { code: 'UNSAFE_SYMLINK', entryName: 'b' });
  await t.rejects(
    inspectZip(
      rawZip([link('sub', 'real'), { name: 'real/', method: 0, mode: 0o40755 }, { name: 'sub/x.txt', content: 'x' }]),
    ),
    {
      code: 'UNSAFE_SYMLINK',
      entryName: 'sub/x.txt',
      target: 'sub',
      message: /written through the symbolic link "sub"/,
    },
    'an entry below a link of the same archive, even one pointing inside',
  );
  await t.rejects(
    inspectZip(rawZip([{ name: 'sub/x.txt', content: 'x' }, link('sub', '/tmp')])),
    { code: 'UNSAFE_SYMLINK', entryName: 'sub/x.txt' },
    'order does not matter: the link may come after the entry',
  );
  const tooLong = rawZip([{ name: 'l', content: 'a/'.repeat(3000), mode: 0o120777 }]);
  await t.rejects(inspectZip(tooLong), { code: 'UNSAFE_SYMLINK', detail: /longer than 4095/ });
  const ok = await inspectZip(rawZip([link('current', 'v2'), { name: 'v2/index.mjs', content: handler }]));
  t.equal(ok.symlinkCount, 1, 'a link inside the root is allowed');
});

t.test('size and count limits', async (t) => {
  const zip = await buildZip({ 'index.mjs': handler, 'b.txt': 'b', 'c.txt': 'c' });
  await t.rejects(inspectZip(zip, { maxZippedBytes: zip.length - 1 }), {
    code: 'TOO_LARGE_ZIPPED',
    message: `Zipped size must be smaller than ${zip.length - 1} bytes`,
    limit: zip.length - 1,
    observed: zip.length,
  });
  await t.resolves(inspectZip(zip, { maxZippedBytes: zip.length }), 'exactly at the limit is fine');
  await t.rejects(inspectZip(zip, { maxEntries: 2 }), {
    code: 'TOO_MANY_ENTRIES',
    message: /has 3 entries; at most 2 are allowed/,
    observed: 3,
  });
  // An end record claiming 65535 entries is refused before a single record is read.
  const claims = rawZip([], { entryCount: 65535 });
  await t.rejects(inspectZip(claims, { maxEntries: 100 }), { code: 'TOO_MANY_ENTRIES', observed: 65535 });
  await t.rejects(inspectZip(zip, { maxUnzippedBytes: Buffer.byteLength(handler) }), {
    code: 'TOO_LARGE_UNZIPPED',
    message: `Unzipped size must be smaller than ${Buffer.byteLength(handler)} bytes`,
  });
  await t.rejects(inspectZip(zip, { maxEntries: -1 }), RangeError);
  await t.rejects(inspectZip(zip, { maxUnzippedBytes: 1.5 }), /ZipLimits.maxUnzippedBytes/);
});

t.test('encrypted entries are refused', async (t) => {
  await t.rejects(inspectZip(rawZip([{ name: 'secret.txt', content: 'x', flags: 0x1 }])), {
    code: 'ENCRYPTED',
    entryName: 'secret.txt',
    message: /"secret.txt" is encrypted/,
  });
  const strong = rawZip([{ name: 'strong.txt', content: 'x', flags: 0x41 }]);
  await t.rejects(inspectZip(strong), { code: 'ENCRYPTED' }, 'strong encryption');
});

t.test('duplicates and file/directory conflicts are refused', async (t) => {
  await t.rejects(inspectZip(rawZip([{ name: 'index.mjs', content: 'a' }, { name: 'index.mjs', content: 'b' }])), {
    code: 'DUPLICATE_ENTRY',
    entryName: 'index.mjs',
    message: /appears more than once/,
  });
  const dotted = rawZip([{ name: 'a.js', content: 'a' }, { name: './a.js', content: 'b' }]);
  await t.rejects(inspectZip(dotted), { code: 'DUPLICATE_ENTRY' }, 'a and ./a are one path');
  const fileAndDir = rawZip([{ name: 'x', content: 'a' }, { name: 'x/', method: 0, mode: 0o40755 }]);
  await t.rejects(inspectZip(fileAndDir), { code: 'DUPLICATE_ENTRY' }, 'x as a file and as a directory');
  await t.rejects(inspectZip(rawZip([{ name: 'lib', content: 'file' }, { name: 'lib/a.js', content: 'a' }])), {
    code: 'DUPLICATE_ENTRY',
    entryName: 'lib/a.js',
    message: /inside "lib", which is a file/,
  });
});

t.test('compression methods other than store and deflate are refused', async (t) => {
  await t.rejects(inspectZip(rawZip([{ name: 'a.bz2ed', content: 'x', method: 12 }])), {
    code: 'UNSUPPORTED_COMPRESSION',
    message: /compression method 12/,
  });
});

t.test('an aborted inspection rejects with the signal reason', async (t) => {
  const zip = await buildZip({ 'index.mjs': handler });
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  await t.rejects(inspectZip(zip, {}, { signal: controller.signal }), { message: 'stop' });
});
