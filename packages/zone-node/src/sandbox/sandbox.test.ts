/**
 * The sandbox's decisions where the machine lacks something: `--sandbox on` refuses to start naming
 * what is missing, `auto` runs what it can and every environment says so in its INIT log, `off` is
 * today's plain process. bubblewrap is hidden by pointing the zone node at a path that does not
 * exist and emptying PATH for the probe.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { FunctionSpec } from '@zonesim/protocol';
import { createEnvironmentFactory } from '../environment/factory.js';
import type { EnvironmentInvokeResult } from '../environment/types.js';
import { REQUIRE_SANDBOX } from '../test-util/sandbox.js';
import { probeBwrap, probeCgroups } from './probe.js';
import { Sandbox } from './sandbox.js';
import { resolveSandboxSettings, type SandboxOptions } from './settings.js';

const NO_BWRAP = '/nonexistent/bwrap';

function spec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    specKey: 'sbx:1',
    functionName: 'sbx',
    version: '$LATEST',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sbx',
    codeSha256Hex: 'c'.repeat(64),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    memoryMb: 256,
    timeoutSec: 5,
    architecture: 'x86_64',
    environment: {},
    region: 'us-east-1',
    ...overrides,
  };
}

/** A sandbox started with bubblewrap out of reach (PATH emptied while it probes). */
async function withoutBwrap(t: Test, options: SandboxOptions): Promise<Sandbox> {
  const workDir = mkdtempSync(join(tmpdir(), 'zonesim-sbx-'));
  const sandbox = new Sandbox(resolveSandboxSettings({ ...options, bwrapPath: NO_BWRAP }), { workDir, isolation: 'process' });
  t.teardown(async () => {
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  const path = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  try {
    await sandbox.start();
  } finally {
    process.env['PATH'] = path;
  }
  return sandbox;
}

async function invokeOnce(t: Test, sandbox: Sandbox, files: Record<string, string>): Promise<EnvironmentInvokeResult> {
  const codeDir = mkdtempSync(join(tmpdir(), 'zonesim-sbx-code-'));
  t.teardown(() => rmSync(codeDir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(codeDir, name, '..'), { recursive: true });
    writeFileSync(join(codeDir, name), content);
  }
  const env = createEnvironmentFactory('process', {}, { sandbox }).create({
    environmentId: `env-sbx-${Math.random().toString(36).slice(2)}`,
    spec: spec(),
    codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  });
  t.teardown(() => env.destroy('test over'));
  return env.invoke({ requestId: 'req-1', payload: Buffer.from('{}'), invokedFunctionArn: spec().functionArn });
}

t.test('--sandbox on without bubblewrap refuses to start, naming what is missing', async (t) => {
  await t.rejects(withoutBwrap(t, { mode: 'on' }), { name: 'SandboxUnavailableError', code: 'SANDBOX_UNAVAILABLE', message: /--sandbox on, but environments cannot be sandboxed here: bwrap not found/ });
});

t.test('--sandbox off: plain processes, no notice, reported as such', async (t) => {
  const sandbox = await withoutBwrap(t, { mode: 'off' });
  t.same(sandbox.report, { kind: 'none', reason: '--sandbox off', cpuModel: 'host' });
  t.equal(sandbox.active, false);
  t.equal(sandbox.notice, undefined, 'off is a choice, not a degradation');
  const r = await invokeOnce(t, sandbox, { 'index.mjs': 'export const handler = async () => process.env.LAMBDA_TASK_ROOT;\n' });
  t.equal(r.outcome, 'success');
  t.equal(r.logLines[0], 'START RequestId: req-1 Version: $LATEST', 'no notice line');
});

const cgroups = await probeCgroups('/sys/fs/cgroup', false);
if (cgroups.ok) await cgroups.value.close();
const noCgroups = !cgroups.ok && !REQUIRE_SANDBOX ? { skip: `no writable cgroups here: ${cgroups.missing}` } : {};

t.test('--sandbox auto without bubblewrap: cgroups only (where writable), and the environment says so once', noCgroups, async (t) => {
  const sandbox = await withoutBwrap(t, { mode: 'auto' });
  t.same(sandbox.report, { kind: 'cgroup', reason: 'bwrap not found', cpuModel: 'host' });
  t.equal(sandbox.namespaced, false);
  const r = await invokeOnce(t, sandbox, {
    'index.mjs': `import { readFileSync } from 'node:fs';
export const handler = async () => ({ root: process.env.LAMBDA_TASK_ROOT, cgroup: readFileSync('/proc/self/cgroup', 'utf8') });
`,
  });
  t.equal(r.outcome, 'success', JSON.stringify(r.functionError));
  t.equal(r.logLines[0], 'zonesim: this environment is only partly sandboxed: cgroup (bwrap not found); see docs/runtimes.md, Isolation');
  t.equal(r.logLines.filter((l) => l.startsWith('zonesim: ')).length, 1, 'once');
  const body = JSON.parse(Buffer.from(r.payload!).toString()) as { root: string; cgroup: string };
  t.not(body.root, '/var/task', 'without bubblewrap the runtime sees the host path');
  t.match(body.cgroup, /:memory:.*\/zonesim\/zn-\d+-\d+\/env-sbx-/, 'the runtime is in its memory cgroup before user code runs');
  t.match(body.cgroup, /:pids:.*\/zonesim\/zn-\d+-\d+\/env-sbx-/, 'and in its pids cgroup');
});

t.test('--cpu-model lambda needs cgroups: with --sandbox off it is refused at once', async (t) => {
  t.throws(() => resolveSandboxSettings({ mode: 'off', cpuModel: 'lambda' }), { code: 'INVALID_OPTION', field: 'cpuModel' });
});

const bwrapProbe = await probeBwrap('/usr/bin/bwrap');
const noBwrap = !bwrapProbe.ok && !REQUIRE_SANDBOX ? { skip: `no bubblewrap here: ${bwrapProbe.missing}` } : {};

t.test('bwrap without cgroups: namespaces, and the RSS watchdog finds the runtime below bubblewrap', noBwrap, async (t) => {
  const workDir = mkdtempSync(join(tmpdir(), 'zonesim-sbx-'));
  const sandbox = new Sandbox(resolveSandboxSettings({ mode: 'auto', cgroupMount: '/nonexistent/cgroup' }), { workDir, isolation: 'process' });
  t.teardown(async () => {
    await sandbox.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  await sandbox.start();
  t.same(sandbox.report, { kind: 'bwrap', reason: 'no cgroup hierarchy under /nonexistent/cgroup', cpuModel: 'host' });
  const codeDir = mkdtempSync(join(tmpdir(), 'zonesim-sbx-code-'));
  t.teardown(() => rmSync(codeDir, { recursive: true, force: true }));
  writeFileSync(
    join(codeDir, 'index.mjs'),
    `const hog = [];\nexport const handler = async () => { for (;;) { hog.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 2)); } };\n`,
  );
  const env = createEnvironmentFactory('process', { memoryPollMs: 20 }, { sandbox }).create({
    environmentId: 'env-sbx-bwrap-only',
    spec: spec({ memoryMb: 128, timeoutSec: 30 }),
    codeDir,
    logStreamName: '2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef',
    initializationType: 'on-demand',
  });
  t.teardown(() => env.destroy('test over'));
  const r = await env.invoke({ requestId: 'oom-1', payload: Buffer.from('{}'), invokedFunctionArn: spec().functionArn });
  t.equal(r.logLines[0], 'zonesim: this environment is only partly sandboxed: bwrap (no cgroup hierarchy under /nonexistent/cgroup); see docs/runtimes.md, Isolation');
  t.equal(r.functionError?.errorType, 'Runtime.OutOfMemory');
  t.equal(r.functionError?.errorMessage, 'RequestId: oom-1 Error: Runtime exited with error: signal: killed', 'the watchdog killed the whole sandbox');
});
