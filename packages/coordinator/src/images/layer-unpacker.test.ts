/**
 * The rules for applying image layers: whiteouts (plain and opaque), replacement, hard links,
 * absolute link targets made relative, and every way out of the root refused with the entry named.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { RootBuilder } from './layer-unpacker.js';
import { tarBytes, type TarEntrySpec } from './test-util/oci-image.js';

function setup(t: Test, limits = { maxUnpackedBytes: 1 << 20, maxEntries: 1000 }) {
  const dir = mkdtempSync(join(tmpdir(), 'zonesim-layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  mkdirSync(root);
  const builder = new RootBuilder(root, limits);
  let n = 0;
  const apply = (entries: TarEntrySpec[], gzip = false): Promise<void> => {
    const path = join(dir, `layer${++n}.tar`);
    writeFileSync(path, gzip ? gzipSync(tarBytes(entries)) : tarBytes(entries));
    return builder.applyLayer(path, String(n));
  };
  return { root, builder, apply };
}

t.test('files, directories, modes and gzip layers', async (t) => {
  const { root, apply, builder } = setup(t);
  await apply([{ name: 'app/', type: 'dir' }, { name: 'app/run', content: '#!/bin/sh', mode: 0o4755 }, { name: './app/data.txt', content: 'abc' }], true);
  t.equal(readFileSync(join(root, 'app/data.txt'), 'utf8'), 'abc');
  t.equal(statSync(join(root, 'app/run')).mode & 0o7777, 0o755, 'setuid dropped, execute kept');
  t.equal(statSync(join(root, 'app/data.txt')).mode & 0o777, 0o644);
  t.equal(builder.bytes, 12);
});

t.test('.wh. removes a lower entry; a later layer replaces a file with a directory and back', async (t) => {
  const { root, apply } = setup(t);
  await apply([{ name: 'etc/keep', content: '1' }, { name: 'etc/gone', content: '2' }, { name: 'x', content: 'file' }, { name: 'd/sub/f', content: 'f' }]);
  await apply([{ name: 'etc/.wh.gone' }, { name: 'x/inside', content: 'now a dir' }, { name: 'd', content: 'now a file' }]);
  t.ok(existsSync(join(root, 'etc/keep')));
  t.notOk(existsSync(join(root, 'etc/gone')), 'whited out');
  t.notOk(existsSync(join(root, 'etc/.wh.gone')), 'the whiteout itself is not created');
  t.equal(readFileSync(join(root, 'x/inside'), 'utf8'), 'now a dir');
  t.equal(readFileSync(join(root, 'd'), 'utf8'), 'now a file');
});

t.test('.wh..wh..opq hides every lower entry of the directory but keeps the same layer\'s, in any order', async (t) => {
  const { root, apply } = setup(t);
  await apply([{ name: 'opt/a', content: 'lower' }, { name: 'opt/sub/b', content: 'lower' }, { name: 'other', content: 'stays' }]);
  // The new file comes before the opaque marker in the tar: it must survive.
  await apply([{ name: 'opt/new', content: 'upper' }, { name: 'opt/sub/c', content: 'upper' }, { name: 'opt/.wh..wh..opq' }]);
  t.notOk(existsSync(join(root, 'opt/a')));
  t.notOk(existsSync(join(root, 'opt/sub/b')));
  t.equal(readFileSync(join(root, 'opt/new'), 'utf8'), 'upper');
  t.equal(readFileSync(join(root, 'opt/sub/c'), 'utf8'), 'upper');
  t.ok(existsSync(join(root, 'other')));
  t.notOk(existsSync(join(root, 'opt/.wh..wh..opq')));
});

t.test('links: absolute targets are read from the image root; hard links copy files of the root', async (t) => {
  const { root, apply } = setup(t);
  await apply([
    { name: 'usr/bin/tool', content: 'tool', mode: 0o755 },
    { name: 'etc/alternatives/tool', type: 'symlink', linkname: '/usr/bin/tool' },
    { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
    { name: 'usr/bin/tool2', type: 'link', linkname: 'usr/bin/tool' },
  ]);
  t.equal(readlinkSync(join(root, 'etc/alternatives/tool')), '../../usr/bin/tool');
  t.equal(readFileSync(join(root, 'etc/alternatives/tool'), 'utf8'), 'tool');
  t.equal(readlinkSync(join(root, 'bin')), 'usr/bin');
  t.equal(readFileSync(join(root, 'usr/bin/tool2'), 'utf8'), 'tool');
  t.ok(lstatSync(join(root, 'usr/bin/tool2')).isFile());
});

t.test('escapes are refused, naming the entry', async (t) => {
  const cases: Array<{ name: string; entries: TarEntrySpec[]; message: RegExp }> = [
    { name: 'dot-dot', entries: [{ name: 'a/../../etc/passwd', content: 'x' }], message: /the entry "a\/\.\.\/\.\.\/etc\/passwd" would land outside the image root \(the name contains a '\.\.' component\)/ },
    { name: 'absolute', entries: [{ name: '/etc/passwd', content: 'x' }], message: /the entry "\/etc\/passwd" would land outside the image root \(the name is an absolute path\)/ },
    { name: 'backslash', entries: [{ name: '..\\x', content: 'x' }], message: /would land outside the image root \(the name contains a backslash\)/ },
    { name: 'relative link climbing out', entries: [{ name: 'a/up', type: 'symlink', linkname: '../../outside' }], message: /"a\/up" is a symbolic link to "\.\.\/\.\.\/outside" that points outside the image root/ },
    { name: 'write through a link', entries: [{ name: 'tmp', type: 'symlink', linkname: 'var' }, { name: 'tmp/x', content: 'x' }], message: /"tmp\/x" is below the symbolic link "tmp"/ },
    { name: 'hard link out', entries: [{ name: 'h', type: 'link', linkname: '../etc/shadow' }], message: /"h" is a hard link to "\.\.\/etc\/shadow", outside the image root/ },
    { name: 'whiteout through a link', entries: [{ name: 'l', type: 'symlink', linkname: 'd' }, { name: 'l/.wh.x' }], message: /"l\/\.wh\.x" is below a symbolic link/ },
  ];
  for (const c of cases) {
    const { apply, root } = setup(t);
    await t.rejects(apply(c.entries), { name: 'ImageError', message: c.message }, c.name);
    t.notOk(existsSync(join(root, '..', 'outside')) || existsSync(join(root, '..', 'etc')), `${c.name}: nothing written outside`);
  }
});

t.test('sizes and counts are bounded before anything is written', async (t) => {
  const small = setup(t, { maxUnpackedBytes: 10, maxEntries: 1000 });
  await t.rejects(small.apply([{ name: 'big', content: 'x'.repeat(11) }]), { code: 'IMAGE_TOO_LARGE', message: /"big" takes the image past 10 unpacked bytes/ });
  t.notOk(existsSync(join(small.root, 'big')));
  const few = setup(t, { maxUnpackedBytes: 1000, maxEntries: 2 });
  await t.rejects(few.apply([{ name: 'a', content: '' }, { name: 'b', content: '' }, { name: 'c', content: '' }]), { code: 'IMAGE_TOO_LARGE', message: /"c" is past the limit of 2 entries/ });
});

t.test('a corrupt layer and a wrong digest are refused', async (t) => {
  const { builder, root } = setup(t);
  const bad = join(root, '..', 'bad.tar');
  writeFileSync(bad, gzipSync(Buffer.from('this is not a tar archive at all, it only pretends')).subarray(0, 30));
  await t.rejects(builder.applyLayer(bad, 'corrupt'), { name: 'ImageError', code: 'IMAGE_MALFORMED' });
  const good = join(root, '..', 'good.tar');
  writeFileSync(good, tarBytes([{ name: 'f', content: 'x' }]));
  await t.rejects(builder.applyLayer(good, 'L', { raw: '0'.repeat(64) }), { message: /layer L does not match its digest/ });
});
