import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { buildZip } from './build-zip.js';
import { CodeCache, type FetchCode } from './code-cache.js';
import { sha256Hex } from './sha256.js';
import { rawZip } from './test-util/raw-zip.js';

/** A package of exactly `bytes` unpacked bytes (one file). */
async function pkg(label: string, bytes = 1000): Promise<{ zip: Buffer; sha: string }> {
  const zip = await buildZip({ 'index.mjs': label.padEnd(bytes, '.') });
  return { zip, sha: sha256Hex(zip) };
}

/** A fetch function over a map of packages that counts calls and can be held back. */
function fakeFetch(packages: Array<{ zip: Buffer; sha: string }>) {
  const bySha = new Map(packages.map((p) => [p.sha, p.zip]));
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open = (): void => {};
  const fetch: FetchCode = async (sha, { signal }) => {
    calls.push(sha);
    await gate;
    signal.throwIfAborted();
    const zip = bySha.get(sha);
    if (zip === undefined) throw new Error(`no such code ${sha}`);
    return zip;
  };
  return {
    fetch,
    calls,
    hold(): void {
      gate = new Promise((resolve) => (open = resolve));
    },
    release(): void {
      open();
    },
  };
}

t.test('concurrent calls for one digest share one fetch and one extraction', async (t) => {
  const cache = new CodeCache({ root: t.testdir() });
  const a = await pkg('a');
  const source = fakeFetch([a]);
  source.hold();
  const waiting = Array.from({ length: 10 }, () => cache.ensureUnpacked(a.sha, source.fetch));
  await new Promise((resolve) => setImmediate(resolve));
  source.release();
  const dirs = await Promise.all(waiting);
  t.equal(source.calls.length, 1, 'fetched once');
  t.equal(new Set(dirs).size, 1);
  t.equal(dirs[0], join(cache.options.root, 'unpacked', a.sha));
  t.match(await readFile(join(dirs[0]!, 'index.mjs'), 'utf8'), /^a\.+$/);
  t.same(await readdir(join(cache.options.root, 'unpacked')), [a.sha], 'one extraction, no temp dirs left');
  await cache.ensureUnpacked(a.sha, source.fetch);
  t.equal(source.calls.length, 1, 'a later call is a cache hit');
});

t.test('bytes that do not hash to the digest are refused and nothing is kept', async (t) => {
  const cache = new CodeCache({ root: t.testdir() });
  const a = await pkg('a');
  const b = await pkg('b');
  const liar: FetchCode = async () => b.zip;
  await t.rejects(cache.ensureUnpacked(a.sha, liar), {
    name: 'CodeStoreError',
    code: 'SHA256_MISMATCH',
    sha256: a.sha,
    actualSha256: b.sha,
  });
  t.same(await readdir(join(cache.options.root, 'unpacked')), []);
  t.equal(cache.totalBytes, 0);
  const honest = fakeFetch([a]);
  t.ok(await cache.ensureUnpacked(a.sha, honest.fetch), 'a failed flight does not poison later calls');
});

t.test('fetch failures, bad digests and bad archives are reported by code', async (t) => {
  const cache = new CodeCache({ root: t.testdir() });
  const a = await pkg('a');
  const err = await cache.ensureUnpacked(a.sha, async () => {
    throw new Error('coordinator unreachable');
  }).catch((e: unknown) => e);
  t.match(err, { name: 'CodeStoreError', code: 'CODE_FETCH_FAILED', message: /coordinator unreachable/ });
  t.match((err as Error).cause, { message: 'coordinator unreachable' });
  await t.rejects(cache.ensureUnpacked('../../etc', async () => a.zip), { code: 'INVALID_SHA256' });
  const evil = rawZip([{ name: '../evil', content: 'x' }]);
  await t.rejects(cache.ensureUnpacked(sha256Hex(evil), async () => evil), { name: 'CodeError', code: 'UNSAFE_PATH' });
  t.same(await readdir(join(cache.options.root, 'unpacked')), []);
});

t.test('LRU eviction keeps the bound and never removes pinned directories', async (t) => {
  // Each package unpacks to 1000 bytes; room for two.
  const cache = new CodeCache({ root: t.testdir(), maxBytes: 2000 });
  const [a, b, c, d] = await Promise.all([pkg('a'), pkg('b'), pkg('c'), pkg('d')]);
  const source = fakeFetch([a!, b!, c!, d!]);
  const unpacked = async (): Promise<string[]> => (await readdir(join(cache.options.root, 'unpacked'))).sort();

  await cache.ensureUnpacked(a!.sha, source.fetch, { pin: true });
  await cache.ensureUnpacked(b!.sha, source.fetch);
  t.equal(cache.totalBytes, 2000);
  await cache.ensureUnpacked(c!.sha, source.fetch);
  await cache.settled();
  t.same(await unpacked(), [a!.sha, c!.sha].sort(), 'b (unpinned, least recent) went; pinned a stayed');
  t.equal(cache.totalBytes, 2000);

  await cache.ensureUnpacked(a!.sha, source.fetch); // touch a
  await cache.ensureUnpacked(d!.sha, source.fetch);
  await cache.settled();
  t.same(await unpacked(), [a!.sha, d!.sha].sort(), 'c went');

  cache.pin(d!.sha);
  await cache.ensureUnpacked(b!.sha, source.fetch);
  await cache.settled();
  t.same(await unpacked(), [a!.sha, b!.sha, d!.sha].sort(), 'over the bound while everything else is pinned');
  t.equal(cache.totalBytes, 3000);

  cache.unpin(a!.sha);
  await cache.settled();
  t.same(await unpacked(), [b!.sha, d!.sha].sort(), 'unpinning lets eviction catch up');
  t.equal(cache.totalBytes, 2000);
  t.same(
    cache.list().map((x) => [x.sha256, x.pins]),
    [
      [d!.sha, 1],
      [b!.sha, 0],
    ],
    'least recently used first, with pin counts',
  );
  cache.unpin(d!.sha);
  cache.unpin(d!.sha);
  t.equal(cache.list().find((x) => x.sha256 === d!.sha)?.pins, 0, 'extra unpins are ignored');
  t.throws(() => cache.pin(a!.sha), { code: 'NOT_CACHED' });

  const before = source.calls.length;
  await cache.ensureUnpacked(a!.sha, source.fetch);
  t.equal(source.calls.length, before + 1, 'an evicted package is fetched again');
});

t.test('one caller giving up does not cancel the others; all giving up aborts the fetch', async (t) => {
  const cache = new CodeCache({ root: t.testdir() });
  const a = await pkg('a');
  const source = fakeFetch([a]);
  source.hold();
  await cache.init();
  const quitter = new AbortController();
  const patient = cache.ensureUnpacked(a.sha, source.fetch);
  const impatient = cache.ensureUnpacked(a.sha, source.fetch, { signal: quitter.signal });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(source.calls.length, 1, 'both callers joined one fetch, which is in progress');
  quitter.abort(new Error('invoke timed out'));
  await t.rejects(impatient, { message: 'invoke timed out' });
  source.release();
  t.ok(await patient, 'the other caller still gets the directory');
  t.equal(source.calls.length, 1);

  const b = await pkg('b');
  let seenSignal: AbortSignal | undefined;
  const lonely = new AbortController();
  const blocked = cache.ensureUnpacked(
    b.sha,
    (_sha, { signal }) => {
      seenSignal = signal;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
    { signal: lonely.signal },
  );
  await new Promise((resolve) => setImmediate(resolve));
  lonely.abort(new Error('gone'));
  await t.rejects(blocked, { message: 'gone' });
  t.equal(seenSignal?.aborted, true, 'the fetch was told to stop');
  t.ok(await cache.ensureUnpacked(b.sha, fakeFetch([b]).fetch), 'a newcomer starts a fresh fetch');
});

t.test('a restarted cache adopts complete directories and sweeps leftovers', async (t) => {
  const root = t.testdir();
  const a = await pkg('a');
  const first = new CodeCache({ root });
  await first.ensureUnpacked(a.sha, fakeFetch([a]).fetch);
  await mkdir(join(root, 'unpacked', `.${a.sha}.tmp-123`), { recursive: true });
  await writeFile(join(root, 'unpacked', `.${a.sha}.tmp-123`, 'half.js'), 'half');
  await mkdir(join(root, 'unpacked', `.trash-${a.sha}-abc`));

  const second = new CodeCache({ root });
  const source = fakeFetch([a]);
  await second.init();
  t.same(await readdir(join(root, 'unpacked')), [a.sha], 'leftovers swept');
  t.equal(second.totalBytes, 1000, 'adopted with its size');
  await second.ensureUnpacked(a.sha, source.fetch);
  t.equal(source.calls.length, 0, 'no fetch for an adopted directory');
});

t.test('options are validated eagerly', async (t) => {
  t.throws(() => new CodeCache({ root: '' }), TypeError);
  t.throws(() => new CodeCache({ root: t.testdir(), maxBytes: -1 }), /CodeCacheOptions.maxBytes/);
});
