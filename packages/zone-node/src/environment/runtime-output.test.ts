import t from 'tap';
import { lineSplitter, runtimeOutputReader, type MarkKind } from './runtime-output.js';

function reader(max?: number): { lines: string[]; marks: Array<[number, MarkKind]>; r: ReturnType<typeof runtimeOutputReader> } {
  const lines: string[] = [];
  const marks: Array<[number, MarkKind]> = [];
  const r = runtimeOutputReader((l) => lines.push(l), (seq, kind) => marks.push([seq, kind]), max);
  return { lines, marks, r };
}

t.test('lines, escaped lines and marks, across chunk boundaries', async (t) => {
  const { lines, marks, r } = reader();
  const stream = 'plain one\n\x1eEerr\\nstack \\\\ here\nsplit ac' + 'ross\n\x1eM1 init\nafter\n\x1eM2 invoke\n\x1eXnot a frame\ntail';
  // One byte at a time: every boundary is a chunk boundary somewhere.
  for (const byte of Buffer.from(stream)) r.push(Buffer.from([byte]));
  t.same(lines, ['plain one', 'err\nstack \\ here', 'split across', 'after', '\x1eXnot a frame']);
  t.same(marks, [[1, 'init'], [2, 'invoke']]);
  r.end();
  t.same(lines.at(-1), 'tail', 'a last line without a newline comes at the end');
});

t.test('a multi-byte character split between two reads is decoded whole', async (t) => {
  const { lines, r } = reader();
  const bytes = Buffer.from('héllo → 😀\n');
  r.push(bytes.subarray(0, 2));
  r.push(bytes.subarray(2, 9));
  r.push(bytes.subarray(9));
  t.same(lines, ['héllo → 😀']);
});

t.test('a line that never ends is cut, in bounded memory; an escaped one stays unescaped in pieces', async (t) => {
  const { lines, marks, r } = reader(10);
  r.push('a'.repeat(25));
  t.same(lines, ['a'.repeat(10), 'a'.repeat(10)], 'delivered before its newline');
  r.push('b\n\x1eM5 invoke\n');
  t.same(lines, ['a'.repeat(10), 'a'.repeat(10), 'aaaaab']);
  t.same(marks, [[5, 'invoke']], 'the next line is read as usual');
  // A piece of a cut line is never read as a frame, whatever it starts with.
  r.push(`0123456789\x1eM9 init\n`);
  t.same(marks, [[5, 'invoke']]);
  t.equal(lines.at(-1), '\x1eM9 init');
  // An escaped line cut into pieces: each piece unescaped, never cut inside an escape.
  const before = lines.length;
  r.push(`\x1eE${'ab\\n'.repeat(5)}\n`);
  t.same(lines.slice(before), ['ab\nab\nab', '\nab\nab\n'], 'the text, in pieces of at most 10 escaped characters');
  t.equal(lines.slice(before).join(''), 'ab\n'.repeat(5));
});

t.test('lineSplitter (custom runtimes, raw stderr): no frames, same bound', async (t) => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l), 4);
  s.push('\x1eM1 init\nabcdefghij\n');
  s.end();
  t.same(lines, ['\x1eM1 ', 'init', 'abcd', 'efgh', 'ij'], 'a mark-like line is text, cut like any');
});
