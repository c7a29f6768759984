// Issue 2, must show: `zonesim up` leaves no process behind after SIGINT (the test checks the pids
// of every descendant: coordinator, zone nodes and their execution environments).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ZONESIM_BIN } from '@zonesim/cli';
import { tempDir } from './harness/cluster.js';
import { deploy, invoke } from './harness/lambda.js';
import { descendantPids, isAlive, waitFor } from './harness/processes.js';

t.test('zonesim up starts 3 zones and SIGINT leaves no process behind', async (t) => {
  const dir = await tempDir(t);
  const up = spawn(process.execPath, [ZONESIM_BIN, 'up', '--zones', '3', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (up.exitCode === null) up.kill('SIGKILL');
  });
  let stdout = '';
  up.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  up.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
  await waitFor(() => /Press Ctrl-C to stop/.test(stdout) || up.exitCode !== null, 30_000, 'zonesim up to be ready');
  t.match(stdout, /zonesim is up: 3 zone\(s\), 3 zone node\(s\)/);
  for (const zone of ['az-a', 'az-b', 'az-c']) t.match(stdout, new RegExp(`${zone}\\s+pid \\d+`));
  const apiUrl = /Lambda API\s+(http:\/\/\S+)/.exec(stdout)![1]!;

  // Make zone nodes start execution environments (child processes), so those are checked too.
  t.equal((await deploy(apiUrl, 'f', { 'index.mjs': 'export const handler = async () => process.pid;' })).status, 201);
  const pids = await Promise.all([1, 2, 3].map(() => invoke(apiUrl, 'f', {})));
  t.ok(pids.every((r) => r.status === 200));

  const descendants = descendantPids(up.pid!);
  t.ok(descendants.length >= 5, `up has ${descendants.length} descendant processes (coordinator, 3 zone nodes, environments)`);
  // A sandboxed handler's process.pid is its PID namespace's, so the runtimes are found by command line.
  const runtimes = descendants.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('bootstrap.mjs');
    } catch {
      return false;
    }
  });
  t.ok(runtimes.length >= pids.length, `${runtimes.length} environment runtimes are descendants`);

  up.kill('SIGINT');
  const [code] = await once(up, 'exit');
  t.equal(code, 0, 'up exits 0 after SIGINT');
  await waitFor(() => descendants.every((p) => !isAlive(p)), 10_000, 'every descendant to exit');
  t.same(descendants.filter(isAlive), [], 'no process left behind');
});
