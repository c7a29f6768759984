// Issue 4 (durable control plane, first part): functions survive a kill -9 of the coordinator and a
// restart on the same data directory; zone nodes reconnect by themselves.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { ChildProcessHandle, TOKEN_ENV, ZONESIM_BIN } from '@zonesim/cli';
import { tempDir } from './harness/cluster.js';
import { api, deploy, invoke } from './harness/lambda.js';
import { waitFor } from './harness/processes.js';

t.test('functions survive kill -9 of the coordinator; zone nodes rejoin by themselves', async (t) => {
  const dir = await tempDir(t);
  const env = { ...process.env, [TOKEN_ENV]: 'restart-token' };
  const startCoordinator = (port: string): ChildProcessHandle =>
    new ChildProcessHandle({
      label: 'coordinator',
      args: ['coordinator', '--port', port, '--data-dir', join(dir, 'coordinator')],
      env,
      logFile: join(dir, 'coordinator.log'),
      readyTimeoutMs: 15_000,
    });
  let coordinator = startCoordinator('0');
  t.teardown(() => coordinator.stop(2000));
  const info = await coordinator.ready;
  const port = new URL(info.apiUrl!).port;
  const zone = spawn(process.execPath, [ZONESIM_BIN, 'zone', '--coordinator', info.zoneUrl!, '--zone', 'az-a', '--data-dir', join(dir, 'zone'), '--reconnect-max-ms', '200'], {
    env,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  t.teardown(async () => {
    if (zone.exitCode === null) {
      const exited = once(zone, 'exit');
      zone.kill('SIGTERM');
      await exited;
    }
  });
  const nodes = async (url: string): Promise<number> => {
    try {
      return (await api(url, 'GET', '/zonesim/v1/health')).json.nodes as number;
    } catch {
      return 0;
    }
  };
  await waitFor(async () => (await nodes(info.apiUrl!)) === 1, 10_000, 'the zone node to join');
  t.equal((await deploy(info.apiUrl!, 'survivor', { 'index.mjs': 'export const handler = async (e) => ({ got: e.n });' })).status, 201);
  t.equal((await invoke(info.apiUrl!, 'survivor', { n: 1 })).json.got, 1);

  coordinator.signal('SIGKILL');
  await coordinator.exited;
  coordinator = startCoordinator(port);
  const again = await coordinator.ready;
  t.equal(again.apiUrl, info.apiUrl, 'restarted on the same address');
  const listed = await api(again.apiUrl!, 'GET', '/2015-03-31/functions');
  t.same(listed.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['survivor'], 'the function is still there');
  await waitFor(async () => (await nodes(again.apiUrl!)) === 1, 15_000, 'the zone node to rejoin by itself');
  const res = await invoke(again.apiUrl!, 'survivor', { n: 2 });
  t.equal(res.status, 200, res.text);
  t.equal(res.json.got, 2, 'and it runs after the restart');
});
