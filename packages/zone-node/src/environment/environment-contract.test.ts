/**
 * The environment contract (test-util/environment-contract.ts) against both isolation modes,
 * `process` and `worker`, and against `process` with spare runtimes (most cold starts take a
 * runtime started ahead of need). The sandboxed variants: environment-contract-sandbox.test.ts.
 */
import t from 'tap';
import { contract } from '../test-util/environment-contract.js';
import { SpareRuntimes } from './index.js';

const SPARES = new SpareRuntimes({ max: 4 });

for (const mode of ['process', 'worker'] as const) {
  t.test(`${mode} isolation`, { jobs: 4 }, async (t) => contract(t, mode));
}

// One case at a time, so that many cold starts find their size's spare ready.
t.test('process isolation with spare runtimes', { jobs: 1 }, async (t) => {
  t.teardown(() => SPARES.stop());
  contract(t, 'process+spares', { spares: SPARES });
  // How many find one depends on the machine's speed (a spare takes ~100 ms to start, and some
  // cases start several environments at once); spare-runtimes.test.ts checks the taking itself.
  t.test('cold starts took spares', async (t) => {
    const { hits, misses } = SPARES.counts;
    t.ok(hits > 0, `${hits} took a spare, ${misses} forked`);
  });
});
