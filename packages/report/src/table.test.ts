import t from 'tap';
import { formatDuration, formatUsd, renderTextTable } from './table.js';

t.test('renderTextTable aligns columns, numbers to the right', async (t) => {
  const out = renderTextTable(['function', 'attempts', 'cost'], [
    ['checkout', 180, '$0.000372'],
    ['a-much-longer-name', 7, '$12.000000'],
  ]);
  const lines = out.trimEnd().split('\n');
  t.equal(lines.length, 4);
  t.same(lines.slice(0, 2), ['function            attempts        cost', '------------------  --------  ----------']);
  t.equal(lines[2], 'checkout                 180   $0.000372');
  t.equal(lines[3], 'a-much-longer-name         7  $12.000000');
});

t.test('formats', async (t) => {
  t.equal(formatUsd(0.000372), '$0.000372');
  t.equal(formatDuration(6.71), '6.7 s');
  t.equal(formatDuration(245), '4m 05s');
  t.equal(formatDuration(3723), '1h 02m 03s');
});
