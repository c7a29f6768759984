import t from 'tap';
import { seededEntropy, systemEntropy, type Entropy } from './entropy.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('both sources give the same formats', async (t) => {
  for (const e of [systemEntropy, seededEntropy(7)] as Entropy[]) {
    t.match(e.uuid(), UUID);
    t.match(e.shortId('s-'), /^s-[0-9a-z]{12}$/);
    t.match(e.hex32(), /^[0-9a-f]{32}$/);
    t.equal(e.bytes(12).length, 12);
    const r = e.random();
    t.ok(r >= 0 && r < 1);
  }
});

t.test('a seed replays exactly; another seed differs', async (t) => {
  const draw = (e: Entropy): string[] => [e.uuid(), e.shortId('i-'), e.hex32(), String(e.random()), e.bytes(8).toString('hex')];
  t.same(draw(seededEntropy('run-1')), draw(seededEntropy('run-1')));
  t.not(draw(seededEntropy('run-1')).join(), draw(seededEntropy('run-2')).join());
});
