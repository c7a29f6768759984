import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { buildZip } from './build-zip.js';
import { CodeStore } from './code-store.js';
import { sha256Hex } from './sha256.js';

t.test('put stores by SHA-256, get/has/path/delete/list find it', async (t) => {
  const store = new CodeStore({ root: t.testdir() });
  const zip = await buildZip({ 'index.mjs': 'export const handler = 1;' });
  const sha = await store.put(zip);
  t.equal(sha, sha256Hex(zip));
  t.equal(store.path(sha), join(store.root, 'blobs', `${sha}.zip`));
  t.ok((await readFile(store.path(sha))).equals(zip));
  t.equal(await store.has(sha), true);
  t.ok((await store.get(sha))?.equals(zip));
  t.same(await store.list(), [sha]);
  t.equal(await store.delete(sha), true);
  t.equal(await store.delete(sha), false, 'deleting twice is not an error');
  t.equal(await store.has(sha), false);
  t.equal(await store.get(sha), undefined);
  t.same(await store.list(), []);
});

t.test('put is idempotent, also when racing itself, and leaves no temp files', async (t) => {
  const store = new CodeStore({ root: t.testdir() });
  const zip = await buildZip({ 'a.txt': 'a' });
  const other = await buildZip({ 'b.txt': 'b' });
  const shas = await Promise.all([store.put(zip), store.put(zip), store.put(other), store.put(zip), store.put(other)]);
  t.equal(new Set(shas).size, 2);
  const expected = [`${sha256Hex(other)}.zip`, `${sha256Hex(zip)}.zip`].sort();
  t.same((await readdir(join(store.root, 'blobs'))).sort(), expected);
  t.equal(await store.put(zip), sha256Hex(zip));
});

t.test('a digest that is not 64 lowercase hex characters never becomes a path', async (t) => {
  const store = new CodeStore({ root: t.testdir() });
  for (const bad of ['../../etc/passwd', 'A'.repeat(64), 'abc', `${'a'.repeat(64)}/x`, '']) {
    t.throws(() => store.path(bad), { name: 'CodeStoreError', code: 'INVALID_SHA256' }, JSON.stringify(bad));
    await t.rejects(store.get(bad), { code: 'INVALID_SHA256' });
    await t.rejects(store.delete(bad), { code: 'INVALID_SHA256' });
  }
  t.throws(() => new CodeStore({ root: '' }), TypeError);
});
