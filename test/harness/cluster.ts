import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@zonesim/cli';

/**
 * Zone-node flags for tests whose handlers record what ran in a file of the test's temporary
 * directory (a sink the test reads afterwards): a sandboxed handler cannot write there, its
 * filesystem being its own (issue 15), so those clusters run unsandboxed. test/sandbox.test.ts and
 * the sandboxed contract suites cover the sandbox.
 */
export const HOST_SINK_ZONE_ARGS: readonly string[] = ['--sandbox', 'off'];

/**
 * Starts a real cluster (a coordinator process and zone-node processes) for one test, on an
 * ephemeral port, in a temp directory; the test's teardown stops and reaps every process and removes
 * the directory. Logs go to files in the temp dir unless ZONESIM_TEST_LOGS=1.
 */
export async function testCluster(t: Test, options: Partial<LocalClusterOptions> = {}): Promise<LocalCluster & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'zonesim-test-'));
  let cluster: LocalCluster | undefined;
  t.teardown(async () => {
    await cluster?.stop();
    // A failure on a loaded CI machine is often explained only by the processes' own logs, and
    // the directory goes away below: their tails go into the test's output first.
    if (!t.passing()) await commentLogTails(t, join(dataDir, 'logs'));
    await rm(dataDir, { recursive: true, force: true });
  });
  cluster = await startLocalCluster({
    zoneCount: 1,
    port: 0,
    logToFiles: process.env['ZONESIM_TEST_LOGS'] !== '1',
    stopGraceMs: 3000,
    // A ceiling, not a wait: processes start in about a second, but a loaded CI machine running two
    // test files at once can be much slower.
    readyTimeoutMs: 60_000,
    // tap injects its process-info hook into every child through NODE_OPTIONS; the cluster runs
    // without it, as it does for users.
    withoutNodeOptions: true,
    ...options,
    dataDir,
  });
  return Object.assign(cluster, { dataDir });
}

/** A temp directory removed at teardown. */
export async function tempDir(t: Test, prefix = 'zonesim-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const LOG_TAIL_LINES = 40;

async function commentLogTails(t: Test, logDir: string): Promise<void> {
  const files = await readdir(logDir).catch(() => [] as string[]);
  for (const file of files.sort()) {
    const text = await readFile(join(logDir, file), 'utf8').catch(() => '');
    const lines = text.trimEnd().split('\n').slice(-LOG_TAIL_LINES);
    t.comment(`--- last ${lines.length} lines of ${file} ---\n${lines.join('\n')}`);
  }
}
