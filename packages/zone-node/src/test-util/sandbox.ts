/**
 * A real sandbox (bubblewrap + cgroups) for the unit suites that run against sandboxed environments.
 * Where the machine has no bubblewrap or no writable cgroups the suites skip, saying why, unless
 * `ZONESIM_REQUIRE_SANDBOX=1` (CI sets it): then the missing sandbox fails the suite, so that it
 * can never pass by not running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../sandbox/sandbox.js';
import { resolveSandboxSettings, type CpuModel } from '../sandbox/settings.js';

/** True when a missing sandbox must fail the tests instead of skipping them. */
export const REQUIRE_SANDBOX = process.env['ZONESIM_REQUIRE_SANDBOX'] === '1';

/** A started `bwrap+cgroup` sandbox, or why there is none. Stop it (and it removes its work dir) at teardown. */
export async function startTestSandbox(options: { cpuModel?: CpuModel } = {}): Promise<{ sandbox: Sandbox; stop(): Promise<void> } | { skip: string }> {
  const workDir = mkdtempSync(join(tmpdir(), 'zonesim-sandbox-'));
  const sandbox = new Sandbox(resolveSandboxSettings({ mode: 'on', cpuModel: options.cpuModel ?? 'host' }), { workDir, isolation: 'process' });
  try {
    await sandbox.start();
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    const reason = `no sandbox on this machine: ${(err as Error).message}`;
    if (REQUIRE_SANDBOX) throw new Error(`ZONESIM_REQUIRE_SANDBOX=1 but ${reason}`);
    return { skip: reason };
  }
  return {
    sandbox,
    async stop() {
      await sandbox.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
