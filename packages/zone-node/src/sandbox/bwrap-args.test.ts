import t from 'tap';
import { bwrapOptions, encodeArgs, insidePath, type HostLayout } from './bwrap-args.js';
import { cpuQuotaUs, resolveSandboxSettings } from './settings.js';

const LAYOUT: HostLayout = {
  entries: [
    { kind: 'ro-bind', path: '/usr' },
    { kind: 'symlink', path: '/bin', target: 'usr/bin' },
    { kind: 'ro-bind-try', path: '/etc/resolv.conf' },
  ],
};

/** The value after each occurrence of `flag`, as pairs/triples. */
function after(args: string[], flag: string, n = 1): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + n));
  });
  return out;
}

t.test('one sandbox: namespaces, no capabilities, the code read-only at /var/task, a sized /tmp, only the given environment', async (t) => {
  const args = bwrapOptions(LAYOUT, {
    taskDir: '/data/code-cache/abc',
    runtimeDir: '/repo/packages/zone-node/runtime',
    tmpBytes: 512 * 1024 * 1024,
    cwd: '/var/task',
    env: { AWS_REGION: 'eu-west-1', SECRET: 'a b' },
    ipcFd: 3,
  });
  for (const flag of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--clearenv']) t.ok(args.includes(flag), flag);
  t.same(after(args, '--cap-drop'), [['ALL']], 'every capability dropped (bwrap keeps them for root otherwise)');
  t.notOk(args.includes('--unshare-net'), 'the network is shared: the Lambda API and the Runtime API are on loopback');
  t.same(after(args, '--ro-bind-try', 2), [['/etc/resolv.conf', '/etc/resolv.conf']], 'a dangling /etc link does not stop the sandbox');
  t.same(after(args, '--ro-bind', 2), [
    ['/usr', '/usr'],
    ['/data/code-cache/abc', '/var/task'],
    ['/repo/packages/zone-node/runtime', '/var/runtime'],
  ]);
  t.notOk(after(args, '--bind', 2).length, 'nothing is mounted writable');
  t.same(after(args, '--symlink', 2), [['usr/bin', '/bin']]);
  t.same(after(args, '--size', 3), [['536870912', '--tmpfs', '/tmp']], '/tmp is a tmpfs of EphemeralStorage');
  t.same(after(args, '--dir'), [['/opt']]);
  t.ok(args.indexOf('--remount-ro') > args.indexOf('/opt') && args.indexOf('--remount-ro') > args.indexOf('--tmpfs'), 'the root turns read-only after everything is on it');
  t.same(after(args, '--setenv', 2), [
    ['AWS_REGION', 'eu-west-1'],
    ['SECRET', 'a b'],
    ['NODE_CHANNEL_FD', '3'],
    ['NODE_CHANNEL_SERIALIZATION_MODE', 'advanced'],
  ]);
  t.ok(args.indexOf('--clearenv') < args.indexOf('--setenv'), 'cleared first, then set');
  t.same(after(args, '--chdir'), [['/var/task']]);
});

t.test('a custom runtime has no runtime directory and no IPC channel', async (t) => {
  const args = bwrapOptions(LAYOUT, { taskDir: '/c', tmpBytes: 1, cwd: '/var/task/app', env: {} });
  t.notOk(args.includes('/var/runtime'));
  t.notOk(args.includes('NODE_CHANNEL_FD'));
});

t.test('layers at /opt; interpreters and the SDK bound at their own paths, after the private /tmp', async (t) => {
  const args = bwrapOptions(LAYOUT, {
    taskDir: '/c',
    runtimeDir: '/tmp/ci/packages/zone-node/runtime',
    optDir: '/data/code-cache/opt/k1',
    hostRoots: ['/root/.pyenv/versions/3.11.7', '/tmp/ci/node_modules'],
    tmpBytes: 1,
    cwd: '/var/task',
    env: {},
  });
  t.same(after(args, '--ro-bind', 2).slice(1), [
    ['/c', '/var/task'],
    ['/tmp/ci/packages/zone-node/runtime', '/var/runtime'],
    ['/data/code-cache/opt/k1', '/opt'],
    ['/root/.pyenv/versions/3.11.7', '/root/.pyenv/versions/3.11.7'],
    ['/tmp/ci/node_modules', '/tmp/ci/node_modules'],
  ]);
  t.notOk(args.includes('--dir'), 'no empty /opt when there are layers');
  t.ok(args.indexOf('/tmp/ci/node_modules') > args.indexOf('--tmpfs'), 'an installation under /tmp is not hidden by the private /tmp');
  t.equal(insidePath('/data/code-cache/opt/k1/python', { codeDir: '/c', optDir: '/data/code-cache/opt/k1' }), '/opt/python');
});

t.test('--args reads NUL-terminated arguments (no argv: variables never show in ps)', async (t) => {
  t.same([...encodeArgs(['--setenv', 'A', 'x y'])], [...Buffer.from('--setenv\0A\0x y\0')]);
});

t.test('host paths map into the sandbox', async (t) => {
  const roots = { codeDir: '/data/code/abc', runtimeDir: '/repo/runtime' };
  t.equal(insidePath('/data/code/abc', roots), '/var/task');
  t.equal(insidePath('/data/code/abc/bootstrap', roots), '/var/task/bootstrap');
  t.equal(insidePath('/data/code/abcdef/x', roots), '/data/code/abcdef/x', 'a sibling with the same prefix is not inside');
  t.equal(insidePath('/repo/runtime/bootstrap.mjs', roots), '/var/runtime/bootstrap.mjs');
  t.equal(insidePath('/bin/sh', roots), '/bin/sh', 'host programs keep their path');
  t.equal(insidePath('/repo/runtime', { runtimeDir: '/repo/runtime' }), '/var/runtime', 'a spare has no code yet');
});

t.test('settings: defaults, validation naming the field, Lambda CPU quota', async (t) => {
  t.same(resolveSandboxSettings(), { mode: 'auto', cpuModel: 'host', pidsMax: 1024, bwrapPath: '/usr/bin/bwrap', cgroupMount: '/sys/fs/cgroup' });
  t.throws(() => resolveSandboxSettings({ mode: 'yes' as never }), { code: 'INVALID_OPTION', field: 'sandbox' });
  t.throws(() => resolveSandboxSettings({ cpuModel: 'fast' as never }), { code: 'INVALID_OPTION', field: 'cpuModel' });
  t.throws(() => resolveSandboxSettings({ cpuModel: 'lambda', mode: 'off' }), { code: 'INVALID_OPTION', field: 'cpuModel' }, 'CPU limits need the cgroups --sandbox off turns off');
  t.throws(() => resolveSandboxSettings({ pidsMax: 8 }), { code: 'INVALID_OPTION', field: 'pidsMax' });
  t.throws(() => resolveSandboxSettings({ cgroupMount: 'sys' }), { code: 'INVALID_OPTION', field: 'cgroupMount' });
  t.equal(cpuQuotaUs(1769, 100_000), 100_000, '1,769 MB is one vCPU');
  t.equal(cpuQuotaUs(128, 100_000), 7236, '128 MB is 7.2% of one');
  t.equal(cpuQuotaUs(10_240, 100_000), 578_858, '10,240 MB is 5.8 vCPU');
});
