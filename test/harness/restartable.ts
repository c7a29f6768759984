import { join } from 'node:path';
import type { Test } from 'tap';
import { ChildProcessHandle, TOKEN_ENV } from '@zonesim/cli';
import { tempDir } from './cluster.js';
import { api } from './lambda.js';
import { waitFor } from './processes.js';

/**
 * A coordinator that a test can kill -9 and start again on the same data directory and port, with
 * one zone node that must rejoin by itself. Teardown stops both.
 */
export async function restartableCluster(t: Test, coordinatorArgs: string[] = [], zoneArgs: readonly string[] = []) {
  const dir = await tempDir(t);
  const env = { ...process.env, [TOKEN_ENV]: 'restartable' };
  const spec = (label: string, args: string[], log: string) =>
    new ChildProcessHandle({ label, args, env, logFile: join(dir, log), readyTimeoutMs: 60_000, withoutNodeOptions: true });
  const startCoordinator = (port: string): ChildProcessHandle =>
    spec('coordinator', ['coordinator', '--port', port, '--data-dir', join(dir, 'coordinator'), ...coordinatorArgs], 'coordinator.log');
  let coordinator = startCoordinator('0');
  const info = await coordinator.ready;
  const port = new URL(info.apiUrl!).port;
  const zone = spec('zone node', ['zone', '--coordinator', info.zoneUrl!, '--zone', 'az-a', '--data-dir', join(dir, 'zone'), '--reconnect-max-ms', '200', ...zoneArgs], 'zone.log');
  t.teardown(async () => {
    await zone.stop(3000);
    await coordinator.stop(3000);
  });
  await zone.ready;
  const nodes = async (): Promise<number> => {
    try {
      return (await api(info.apiUrl!, 'GET', '/zonesim/v1/health')).json.nodes as number;
    } catch {
      return 0;
    }
  };
  return {
    apiUrl: info.apiUrl!,
    /** Waits until the zone node is registered with the (current) coordinator. */
    waitForZoneNode: () => waitFor(async () => (await nodes()) === 1, 15_000, 'the zone node to join'),
    /** SIGKILLs the coordinator and starts a new one on the same data directory and port. */
    async killAndRestartCoordinator(): Promise<string> {
      coordinator.signal('SIGKILL');
      await coordinator.exited;
      coordinator = startCoordinator(port);
      return (await coordinator.ready).apiUrl!;
    },
    killCoordinator: async (): Promise<void> => {
      coordinator.signal('SIGKILL');
      await coordinator.exited;
    },
    restartCoordinator: async (): Promise<string> => {
      coordinator = startCoordinator(port);
      return (await coordinator.ready).apiUrl!;
    },
  };
}
