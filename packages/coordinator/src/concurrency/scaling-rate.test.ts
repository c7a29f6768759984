import t from 'tap';
import { ManualClock } from '@zonesim/common';
import { ScalingRate } from './scaling-rate.js';

t.test('a burst up to the rate, then tokens refill continuously', async (t) => {
  const clock = new ManualClock();
  const rate = new ScalingRate({ perTenSeconds: 10, timeScale: 1, clock });
  for (let i = 0; i < 10; i++) t.ok(rate.tryTake('f'), `token ${i + 1} of the burst`);
  t.notOk(rate.tryTake('f'), 'the 11th new environment within the instant is refused');
  t.ok(rate.tryTake('g'), 'every function scales independently');
  clock.advance(999);
  t.notOk(rate.tryTake('f'), 'not quite one token after 999 ms at 1 per second');
  clock.advance(1);
  t.ok(rate.tryTake('f'), 'one token after 1 s');
  t.notOk(rate.tryTake('f'));
});

t.test('unused budget does not accumulate beyond the burst', async (t) => {
  const clock = new ManualClock();
  const rate = new ScalingRate({ perTenSeconds: 3, timeScale: 1, clock });
  clock.advance(60_000);
  let taken = 0;
  while (rate.tryTake('f')) taken++;
  t.equal(taken, 3);
});

t.test('the platform time scale speeds up refill', async (t) => {
  const clock = new ManualClock();
  const rate = new ScalingRate({ perTenSeconds: 10, timeScale: 10, clock });
  for (let i = 0; i < 10; i++) rate.tryTake('f');
  clock.advance(100);
  t.ok(rate.tryTake('f'), '1 token per 100 ms at 10x');
});

t.test('bad settings are refused', async (t) => {
  t.throws(() => new ScalingRate({ perTenSeconds: 0, timeScale: 1, clock: new ManualClock() }), /positive integer/);
});
