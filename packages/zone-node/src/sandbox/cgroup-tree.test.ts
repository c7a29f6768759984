import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { locateCgroups, parseCgroupMounts } from './cgroup-locate.js';
import { CgroupTree, processStartTime, sweepStaleCgroups } from './cgroup-tree.js';

// The cgroup files are plain files here (a temporary directory standing for /sys/fs/cgroup):
// these tests check what is written where; the sandbox suites check what the kernel does with it.

const MOUNTINFO_HYBRID = [
  '25 24 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
  '26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '28 25 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '29 25 0:26 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '30 25 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '40 1 0:30 / /proc rw - proc proc rw',
].join('\n');
const PROC_CGROUP_HYBRID = ['8:pids:/', '4:memory:/process_api/abc', '1:cpu:/', '0::/'].join('\n');

t.test('placement: v1 controllers below this process, v2 when only cgroup2 is mounted, nothing without cgroupfs', async (t) => {
  t.equal(parseCgroupMounts(MOUNTINFO_HYBRID).length, 4);
  t.same(locateCgroups(PROC_CGROUP_HYBRID, MOUNTINFO_HYBRID, '/sys/fs/cgroup'), {
    version: 1,
    dirs: { memory: '/sys/fs/cgroup/memory/process_api/abc', pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu' },
  });
  const v2 = '30 25 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw,nsdelegate';
  t.same(locateCgroups('0::/user.slice/zonesim.service', v2, '/sys/fs/cgroup'), { version: 2, dir: '/sys/fs/cgroup/user.slice/zonesim.service' });
  // In a cgroup namespace the mount's root prefixes the path /proc/self/cgroup shows.
  const sub = '30 25 0:27 /docker/xyz /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
  t.same(locateCgroups('0::/docker/xyz/app', sub, '/sys/fs/cgroup'), { version: 2, dir: '/sys/fs/cgroup/app' });
  t.equal(locateCgroups('0::/', '40 1 0:30 / /proc rw - proc proc rw', '/sys/fs/cgroup'), undefined);
});

function fakeV1(t: Test): { root: string; dirs: { memory: string; pids: string; cpu: string } } {
  const root = mkdtempSync(join(tmpdir(), 'zonesim-cgfake-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dirs = { memory: join(root, 'memory/own'), pids: join(root, 'pids'), cpu: join(root, 'cpu') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return { root, dirs };
}

t.test('v1: an environment gets memory (no swap), pids and, after INIT, a CPU quota of its memory', async (t) => {
  const { dirs } = fakeV1(t);
  const tree = CgroupTree.open({ version: 1, dirs }, { cpu: true, owner: 'zn-1-2' });
  if (!(tree instanceof CgroupTree)) throw new Error(tree.missing);
  const g = tree.create('env-1', { memoryMb: 128, pidsMax: 1024 });
  const mem = join(dirs.memory, 'zonesim/zn-1-2/env-1');
  t.equal(readFileSync(join(mem, 'memory.limit_in_bytes'), 'utf8'), String(128 * 1024 * 1024));
  t.equal(readFileSync(join(mem, 'memory.memsw.limit_in_bytes'), 'utf8'), String(128 * 1024 * 1024));
  t.equal(readFileSync(join(dirs.pids, 'zonesim/zn-1-2/env-1/pids.max'), 'utf8'), '1024');
  t.notOk(existsSync(join(dirs.cpu, 'zonesim/zn-1-2/env-1/cpu.cfs_quota_us')), 'INIT runs unthrottled');
  g.setCpuQuota(128);
  t.equal(readFileSync(join(dirs.cpu, 'zonesim/zn-1-2/env-1/cpu.cfs_quota_us'), 'utf8'), '7236');
  t.same(g.procsFiles, [join(mem, 'cgroup.procs'), join(dirs.pids, 'zonesim/zn-1-2/env-1/cgroup.procs'), join(dirs.cpu, 'zonesim/zn-1-2/env-1/cgroup.procs')]);
  t.equal(g.oomKills(), 0);
  writeFileSync(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
  t.equal(g.oomKills(), 1, "the kernel's OOM kills are read from memory.oom_control");
});

t.test('v1: without the cpu controller a CPU model cannot be had; a read-only hierarchy says so', async (t) => {
  const { dirs } = fakeV1(t);
  t.match(CgroupTree.open({ version: 1, dirs: { memory: dirs.memory, pids: dirs.pids } }, { cpu: true }), { missing: 'no cgroup v1 cpu controller' });
  t.ok(CgroupTree.open({ version: 1, dirs: { memory: dirs.memory, pids: dirs.pids } }, { cpu: false }) instanceof CgroupTree);
  const file = join(dirs.memory, 'not-a-dir');
  writeFileSync(file, '');
  t.match(CgroupTree.open({ version: 1, dirs: { memory: file, pids: dirs.pids } }, { cpu: false }), { missing: /not writable/ });
});

t.test('v2: controllers must be delegated; limits in memory.max, pids.max, cpu.max', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'zonesim-cgfake2-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset io pids\n');
  t.match(CgroupTree.open({ version: 2, dir: root }, { cpu: false }), { missing: /memory not delegated/ });
  writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
  // Alone in its cgroup, the node moves itself into a leaf before enabling controllers there.
  writeFileSync(join(root, 'cgroup.procs'), `${process.pid}\n`);
  const tree = CgroupTree.open({ version: 2, dir: root }, { cpu: true, owner: 'zn-5-6' });
  t.equal(readFileSync(join(root, 'zonesim-node/cgroup.procs'), 'utf8'), String(process.pid));
  if (!(tree instanceof CgroupTree)) throw new Error(tree.missing);
  t.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +pids +cpu');
  t.equal(readFileSync(join(root, 'zonesim/zn-5-6/cgroup.subtree_control'), 'utf8'), '+memory +pids +cpu');
  const g = tree.create('env-2', { memoryMb: 1769, pidsMax: 64 });
  const dir = join(root, 'zonesim/zn-5-6/env-2');
  t.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(1769 * 1024 * 1024));
  t.equal(readFileSync(join(dir, 'memory.swap.max'), 'utf8'), '0');
  t.equal(readFileSync(join(dir, 'pids.max'), 'utf8'), '64');
  g.setCpuQuota(1769);
  t.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '100000 100000');
  g.setCpuQuota(undefined);
  t.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), 'max 100000');
  t.same(g.procsFiles, [join(dir, 'cgroup.procs')], 'one directory for every controller');
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  t.equal(g.oomKills(), 1);
});

t.test('the sweep removes what nodes that are gone left, and only that', async (t) => {
  const { dirs } = fakeV1(t);
  const self = `zn-${process.pid}-${processStartTime('self')}`;
  // A pid that cannot run (above pid_max) stands for a crashed node; a live one with the wrong start time for a reused pid.
  const gone = ['zn-99999999-1', `zn-${process.pid}-1`];
  for (const owner of [self, ...gone]) for (const d of [dirs.memory, dirs.pids]) mkdirSync(join(d, 'zonesim', owner, 'env-x'), { recursive: true });
  t.equal(await sweepStaleCgroups({ version: 1, dirs: { memory: dirs.memory, pids: dirs.pids } }), 2, 'two environment cgroups of dead owners');
  for (const owner of gone) t.notOk(existsSync(join(dirs.memory, 'zonesim', owner)), `${owner} removed`);
  t.ok(existsSync(join(dirs.memory, 'zonesim', self, 'env-x')), "a live node's cgroups stay");
});
