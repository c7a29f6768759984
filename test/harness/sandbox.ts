import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, resolveSandboxSettings } from '@zonesim/zone-node';

/** True when a missing sandbox must fail the sandbox tests instead of skipping them (CI sets it). */
export const REQUIRE_SANDBOX = process.env['ZONESIM_REQUIRE_SANDBOX'] === '1';

/**
 * Whether this machine can sandbox environments (bubblewrap that creates namespaces, writable
 * cgroups), found the way a zone node with `--sandbox on` finds it. Resolves with the reason to skip
 * when it cannot; rejects instead under `ZONESIM_REQUIRE_SANDBOX=1`, so that a suite never passes
 * by not running.
 */
export async function sandboxSkipReason(options: { cpuModel?: 'host' | 'lambda' } = {}): Promise<string | undefined> {
  const workDir = await mkdtemp(join(tmpdir(), 'zonesim-probe-'));
  const sandbox = new Sandbox(resolveSandboxSettings({ mode: 'on', cpuModel: options.cpuModel ?? 'host' }), { workDir, isolation: 'process' });
  try {
    await sandbox.start();
    return undefined;
  } catch (err) {
    const reason = `this machine cannot sandbox environments: ${(err as Error).message}`;
    if (REQUIRE_SANDBOX) throw new Error(`ZONESIM_REQUIRE_SANDBOX=1 but ${reason}`);
    return reason;
  } finally {
    await sandbox.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
