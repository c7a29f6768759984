import t from 'tap';
import { BoundedTasks } from './bounded-tasks.js';

t.test('never runs more than the limit and waits for all on drain', async (t) => {
  const pool = new BoundedTasks(3);
  let running = 0;
  let peak = 0;
  let done = 0;
  for (let i = 0; i < 20; i++) {
    await pool.add(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      done++;
    });
  }
  await pool.drain();
  t.equal(peak, 3);
  t.equal(done, 20);
});

t.test('the first failure is re-thrown by later adds and by drain', async (t) => {
  const pool = new BoundedTasks(2);
  await pool.add(async () => {
    throw new Error('disk full');
  });
  await pool.add(async () => {
    throw new Error('second');
  }).catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  await t.rejects(pool.add(async () => undefined), { message: 'disk full' });
  await t.rejects(pool.drain(), { message: 'disk full' });
  t.throws(() => new BoundedTasks(0), RangeError);
});
