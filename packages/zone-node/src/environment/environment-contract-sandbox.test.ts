/**
 * The environment contract (test-util/environment-contract.ts) against process isolation inside
 * the sandbox (bubblewrap + cgroups, issue 15), with and without spare runtimes. Without a sandbox
 * on this machine it skips, saying why; under ZONESIM_REQUIRE_SANDBOX=1 (CI) it fails instead.
 */
import t from 'tap';
import { contract } from '../test-util/environment-contract.js';
import { startTestSandbox } from '../test-util/sandbox.js';
import { SpareRuntimes } from './index.js';

const probe = await startTestSandbox();
const noSandbox = 'skip' in probe ? { skip: probe.skip } : {};
const SANDBOX_SPARES = 'sandbox' in probe ? new SpareRuntimes({ max: 4, sandbox: probe.sandbox }) : undefined;
t.teardown(async () => {
  await SANDBOX_SPARES?.stop();
  if ('stop' in probe) await probe.stop();
});

t.test('process isolation in the sandbox (bwrap+cgroup)', { jobs: 4, ...noSandbox }, async (t) => {
  if ('sandbox' in probe) contract(t, 'process+sandbox', { sandbox: probe.sandbox });
});

// One case at a time, so that many cold starts find their size's spare ready.
t.test('process isolation in the sandbox with spare runtimes', { jobs: 1, ...noSandbox }, async (t) => {
  if (!('sandbox' in probe) || !SANDBOX_SPARES) return;
  contract(t, 'process+sandbox+spares', { sandbox: probe.sandbox, spares: SANDBOX_SPARES });
  t.test('cold starts took sandboxed spares', async (t) => {
    const { hits, misses } = SANDBOX_SPARES.counts;
    t.ok(hits > 0, `${hits} took a spare, ${misses} started one`);
  });
});
