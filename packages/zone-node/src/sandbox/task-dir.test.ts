import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { linkTree } from './task-dir.js';

t.test("a spare's /var/task gets the code as hard links, directories and symlinks included", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'zonesim-taskdir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const src = join(root, 'code');
  const dest = join(root, 'spare');
  mkdirSync(join(src, 'node_modules/dep/lib'), { recursive: true });
  mkdirSync(dest);
  writeFileSync(join(src, 'index.mjs'), 'export const handler = async () => 1;\n');
  writeFileSync(join(src, 'node_modules/dep/lib/main.js'), 'module.exports = 2;\n');
  symlinkSync('node_modules/dep/lib/main.js', join(src, 'main.js'));
  // More entries than one slice: the walk yields between slices and still makes every one.
  for (let i = 0; i < 300; i++) writeFileSync(join(src, 'node_modules/dep', `f${i}.js`), String(i));
  t.equal(await linkTree(src, dest), 3 + 3 + 300);
  t.equal(statSync(join(dest, 'index.mjs')).ino, statSync(join(src, 'index.mjs')).ino, 'the same inode: linked, not copied');
  t.equal(readFileSync(join(dest, 'node_modules/dep/lib/main.js'), 'utf8'), 'module.exports = 2;\n');
  t.ok(lstatSync(join(dest, 'main.js')).isSymbolicLink());
  t.equal(readlinkSync(join(dest, 'main.js')), 'node_modules/dep/lib/main.js', 'symlinks keep their target, resolved inside the sandbox');
  t.equal(readFileSync(join(dest, 'node_modules/dep/f299.js'), 'utf8'), '299');
});
