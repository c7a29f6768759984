import t from 'tap';
import { ancestorsOf, parseEntryPath, unsafePathReason } from './entry-path.js';
import { unsafeSymlinkReason } from './symlink-target.js';

t.test('ordinary names are accepted and normalised', async (t) => {
  t.same(parseEntryPath('index.mjs'), { path: 'index.mjs', parts: ['index.mjs'], endsWithSlash: false });
  t.same(parseEntryPath('node_modules/dep/'), {
    path: 'node_modules/dep',
    parts: ['node_modules', 'dep'],
    endsWithSlash: true,
  });
  t.equal(parseEntryPath('./a//b/./c.js').path, 'a/b/c.js');
  t.equal(parseEntryPath('./').path, '', 'the root directory entry normalises to the root');
  t.equal(parseEntryPath('...').path, '...', 'three dots is an ordinary name');
  t.equal(parseEntryPath('a..b/c').path, 'a..b/c');
  t.equal(parseEntryPath('weird:name').path, 'weird:name', 'a colon after the first character is fine on Linux');
});

t.test('every escape is refused with UNSAFE_PATH and a reason', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['../evil', /'\.\.'/],
    ['a/../../evil', /'\.\.'/],
    ['a/..', /'\.\.'/],
    ['/etc/passwd', /absolute/],
    ['//server/share', /absolute/],
    ['C:/Windows/evil', /drive letter/],
    ['c:evil', /drive letter/],
    ['..\\evil', /backslash/],
    ['a\\..\\..\\evil', /backslash/],
    ['evil\0.txt', /NUL/],
    ['.', /code directory itself/],
    [`${'x'.repeat(256)}`, /255 bytes/],
    [`${'abc/'.repeat(1100)}f`, /4095 bytes/],
  ];
  for (const [name, reason] of cases) {
    const expected = { name: 'CodeError', code: 'UNSAFE_PATH', detail: reason };
    t.throws(() => parseEntryPath(name), expected, JSON.stringify(name));
  }
  t.equal(unsafePathReason('fine/name.js'), undefined);
});

t.test('ancestorsOf lists parents from the root down', async (t) => {
  t.same(ancestorsOf(['a', 'b', 'c']), ['a', 'a/b']);
  t.same(ancestorsOf(['a']), []);
});

t.test('symlink policy: inside the root is allowed, escaping is not', async (t) => {
  const none = (): boolean => false;
  t.equal(unsafeSymlinkReason(['node_modules', '.bin', 'tsc'], '../typescript/bin/tsc', none), undefined);
  t.equal(unsafeSymlinkReason(['current'], 'releases/v2', none), undefined);
  t.equal(unsafeSymlinkReason(['a', 'self'], '.', none), undefined);
  t.equal(unsafeSymlinkReason(['a', 'up'], '..', none), undefined, 'pointing at the root is inside');
  t.match(unsafeSymlinkReason(['up'], '..', none), /leaves the code directory/);
  t.match(unsafeSymlinkReason(['a', 'b', 'l'], '../../../etc', none), /leaves the code directory/);
  t.match(unsafeSymlinkReason(['l'], 'a/../../x', none), /leaves the code directory/);
  t.match(unsafeSymlinkReason(['l'], '/etc/passwd', none), /absolute/);
  t.match(unsafeSymlinkReason(['l'], '', none), /empty/);
  t.match(unsafeSymlinkReason(['l'], 'x\0y', none), /NUL/);
  t.match(unsafeSymlinkReason(['l'], '..\\..\\x', none), /backslash/);
  t.match(unsafeSymlinkReason(['l'], 'C:/x', none), /drive letter/);
  t.match(unsafeSymlinkReason(['l'], 'x'.repeat(4096), none), /longer than/);
});

t.test('symlink policy: ".." after passing through another link is refused', async (t) => {
  // `a -> .` then `b -> a/..`: textually `a/..` is the root, but the kernel resolves `a` first
  // and `..` of the root is its parent.
  const links = new Set(['a']);
  const isLink = (path: string): boolean => links.has(path);
  t.match(unsafeSymlinkReason(['b'], 'a/..', isLink), /goes through the link "a"/);
  t.equal(unsafeSymlinkReason(['b'], 'a/x', isLink), undefined, 'going down through a link is fine');
  t.equal(unsafeSymlinkReason(['b'], 'a', isLink), undefined, 'a link to a link is fine');
});
