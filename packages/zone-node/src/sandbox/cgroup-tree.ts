import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupPlacement, Controller } from './cgroup-locate.js';
import { cpuQuotaUs } from './settings.js';

/**
 * The zone node's cgroups: `<its own cgroup>/zonesim/zn-<pid>-<start time>/<environment>` in each
 * hierarchy it uses (v1: memory, pids, cpu; v2: one directory for all). The owner tag names the
 * node process by pid and kernel start time, so a later zone node can tell a crashed node's
 * leftovers (owner gone) from a live neighbour's (two test clusters on one machine both have an
 * `az-a-node-1`) and sweep only the former.
 *
 * Limits per environment: `memory` (v1 `memory.limit_in_bytes`, v2 `memory.max`: the function's
 * memory, no swap), `pids` (`pids.max`), and with `--cpu-model lambda` a CFS quota of
 * `memoryMb / 1769` of a CPU (v1 `cpu.cfs_quota_us`, v2 `cpu.max`).
 */

/** Limits of one environment's cgroup. */
export interface CgroupLimits {
  memoryMb: number;
  pidsMax: number;
}

const PERIOD_US = 100_000;
const MIB = 1024 * 1024;

/** Kernel start time of a process (field 22 of `/proc/<pid>/stat`), or undefined when it is gone. */
export function processStartTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tryWrite(path: string, value: string): boolean {
  try {
    writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

/** One environment's cgroup (one directory per hierarchy). */
export class EnvironmentCgroup {
  readonly #version: 1 | 2;
  readonly #dirs: Partial<Record<Controller, string>>;
  readonly #unique: string[];

  constructor(version: 1 | 2, dirs: Partial<Record<Controller, string>>) {
    this.#version = version;
    this.#dirs = dirs;
    this.#unique = [...new Set(Object.values(dirs))];
  }

  /** Files a process writes its own pid into to join (before it execs user code). */
  get procsFiles(): string[] {
    return this.#unique.map((d) => join(d, 'cgroup.procs'));
  }

  /** Lambda's CPU for `memoryMb` (a quota), or no limit (undefined). */
  setCpuQuota(memoryMb: number | undefined): void {
    const dir = this.#dirs.cpu;
    if (!dir) return;
    if (this.#version === 1) writeFileSync(join(dir, 'cpu.cfs_quota_us'), memoryMb === undefined ? '-1' : String(cpuQuotaUs(memoryMb, PERIOD_US)));
    else writeFileSync(join(dir, 'cpu.max'), `${memoryMb === undefined ? 'max' : cpuQuotaUs(memoryMb, PERIOD_US)} ${PERIOD_US}`);
  }

  /** Processes the kernel's OOM killer killed in this cgroup. */
  oomKills(): number {
    const dir = this.#dirs.memory;
    if (!dir) return 0;
    try {
      const text = readFileSync(join(dir, this.#version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
      return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** Pids in the cgroup now. */
  pids(): number[] {
    return [...new Set(this.#unique.flatMap(readPids))];
  }

  /**
   * SIGKILL to every process in the cgroup: what a handler started in a new session escapes a
   * process-group kill, not its cgroup. Returns how many were signalled.
   */
  killAll(): number {
    let n = 0;
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
        n++;
      } catch {
        // Already gone.
      }
    }
    return n;
  }

  /**
   * Removes the cgroup once its processes are gone (killing stragglers), retrying while the kernel
   * finishes tearing them down. False when it could not (the next sweep removes it).
   */
  async remove(options: { attempts?: number; delayMs?: number } = {}): Promise<boolean> {
    const attempts = options.attempts ?? 40;
    for (let i = 0; i < attempts; i++) {
      this.killAll();
      let left = 0;
      // Child directories of v2 first (none here), then each hierarchy's directory.
      for (const dir of this.#unique) {
        try {
          rmdirSync(dir);
        } catch (err) {
          if (errno(err) !== 'ENOENT') left++;
        }
      }
      if (left === 0) return true;
      await new Promise((r) => setTimeout(r, options.delayMs ?? 25));
    }
    return false;
  }
}

/** The zone node's part of the cgroup hierarchies. */
export class CgroupTree {
  readonly version: 1 | 2;
  /** True when environments get a CPU quota (`--cpu-model lambda`). */
  readonly cpu: boolean;
  /** Per controller: `<own cgroup>/zonesim` (parent of every node's directory). */
  readonly #bases: Partial<Record<Controller, string>>;
  readonly #owner: string;
  #closed = false;

  private constructor(version: 1 | 2, bases: Partial<Record<Controller, string>>, owner: string, cpu: boolean) {
    this.version = version;
    this.#bases = bases;
    this.#owner = owner;
    this.cpu = cpu;
  }

  /**
   * Opens (creates) this node's directories below `placement`, or says why it cannot: a missing
   * controller, a read-only hierarchy, v2 controllers that cannot be delegated.
   */
  static open(placement: CgroupPlacement, options: { cpu: boolean; owner?: string }): CgroupTree | { missing: string } {
    const owner = options.owner ?? `zn-${process.pid}-${processStartTime('self') ?? '0'}`;
    const wanted: Controller[] = options.cpu ? ['memory', 'pids', 'cpu'] : ['memory', 'pids'];
    const bases: Partial<Record<Controller, string>> = {};
    if (placement.version === 1) {
      for (const c of wanted) {
        const dir = placement.dirs[c];
        if (!dir) return { missing: `no cgroup v1 ${c} controller` };
        bases[c] = join(dir, 'zonesim');
      }
    } else {
      let available: string[];
      try {
        available = readFileSync(join(placement.dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      } catch (err) {
        return { missing: `cgroup v2 at ${placement.dir} unreadable (${errno(err)})` };
      }
      const absent = wanted.filter((c) => !available.includes(c));
      if (absent.length > 0) return { missing: `cgroup v2 ${absent.join(', ')} not delegated to ${placement.dir}` };
      for (const c of wanted) bases[c] = join(placement.dir, 'zonesim');
    }
    for (const base of new Set(Object.values(bases))) {
      try {
        try {
          mkdirSync(join(base, owner), { recursive: true });
        } catch (err) {
          // Another node removed the (empty) zonesim directory between our two mkdirs: once more.
          if (errno(err) !== 'ENOENT') throw err;
          mkdirSync(join(base, owner), { recursive: true });
        }
      } catch (err) {
        return { missing: `cgroup ${base} not writable (${errno(err)})` };
      }
    }
    if (placement.version === 2) {
      // v2 limits apply only where the parents enable the controllers, and a cgroup holding
      // processes cannot (the "no internal processes" rule). A zone node alone in a delegated
      // cgroup (a systemd service with Delegate=yes) moves itself into a leaf first, as such
      // services do; one that shares its cgroup with other processes cannot, and says so.
      const procs = readPids(placement.dir);
      if (procs.length === 1 && procs[0] === process.pid) {
        const leaf = join(placement.dir, 'zonesim-node');
        try {
          mkdirSync(leaf, { recursive: true });
          writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
        } catch (err) {
          return { missing: `cgroup v2 cannot move the zone node into ${leaf} (${errno(err)})` };
        }
      }
      const enable = wanted.map((c) => `+${c}`).join(' ');
      for (const dir of [placement.dir, bases.memory!, join(bases.memory!, owner)]) {
        try {
          writeFileSync(join(dir, 'cgroup.subtree_control'), enable);
        } catch (err) {
          const shared = errno(err) === 'EBUSY' ? ': other processes share its cgroup; give the zone node one of its own' : '';
          return { missing: `cgroup v2 cannot enable ${wanted.join(', ')} in ${dir} (${errno(err)}${shared})` };
        }
      }
    }
    return new CgroupTree(placement.version, bases, owner, options.cpu);
  }

  /** Creates one environment's cgroup with its limits (CPU unlimited until {@link EnvironmentCgroup.setCpuQuota}). */
  create(name: string, limits: CgroupLimits): EnvironmentCgroup {
    if (this.#closed) throw new Error('cgroups closed');
    const dirs: Partial<Record<Controller, string>> = {};
    for (const [c, base] of Object.entries(this.#bases) as Array<[Controller, string]>) {
      dirs[c] = join(base, this.#owner, name);
      mkdirSync(dirs[c]!, { recursive: true });
    }
    const group = new EnvironmentCgroup(this.version, dirs);
    try {
      const bytes = String(limits.memoryMb * MIB);
      if (this.version === 1) {
        writeFileSync(join(dirs.memory!, 'memory.limit_in_bytes'), bytes);
        // Lambda has no swap; where swap accounting exists, forbid it (best effort).
        tryWrite(join(dirs.memory!, 'memory.memsw.limit_in_bytes'), bytes);
      } else {
        writeFileSync(join(dirs.memory!, 'memory.max'), bytes);
        tryWrite(join(dirs.memory!, 'memory.swap.max'), '0');
      }
      writeFileSync(join(dirs.pids!, 'pids.max'), String(limits.pidsMax));
    } catch (err) {
      void group.remove({ attempts: 1 });
      throw err;
    }
    return group;
  }

  /**
   * Removes what zone nodes that are gone (crashed, SIGKILLed) left: every `zn-*` directory whose
   * owner process no longer runs, killing any process still in it. Live nodes' are left alone.
   * @returns how many environment cgroups were removed.
   */
  async sweepStale(): Promise<number> {
    return sweepBases(this.version, this.#bases, this.#owner);
  }

  /** Removes this node's directories (its environments are gone by now). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await removeOwner(this.version, this.#bases, this.#owner);
  }
}

async function removeOwner(version: 1 | 2, bases: Partial<Record<Controller, string>>, owner: string): Promise<number> {
  const names = new Set<string>();
  for (const base of new Set(Object.values(bases))) {
    try {
      for (const e of readdirSync(join(base, owner), { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
    } catch {
      // Nothing there.
    }
  }
  let removed = 0;
  for (const name of names) {
    const dirs: Partial<Record<Controller, string>> = {};
    for (const [c, base] of Object.entries(bases) as Array<[Controller, string]>) dirs[c] = join(base, owner, name);
    if (await new EnvironmentCgroup(version, dirs).remove({ attempts: 10 })) removed++;
  }
  for (const base of new Set(Object.values(bases))) {
    try {
      rmdirSync(join(base, owner));
      // The last node out removes the shared directory too: an empty child cgroup would keep
      // whoever owns the parent cgroup (a CI job, a container) from removing it.
      rmdirSync(base);
    } catch {
      // Not empty (another node's, or a straggler) or gone: the next sweep tries again.
    }
  }
  return removed;
}

/** Owner tags `zn-<pid>-<start>` whose process is gone. */
function staleOwners(bases: Partial<Record<Controller, string>>, self: string | undefined): string[] {
  const owners = new Set<string>();
  for (const base of new Set(Object.values(bases))) {
    try {
      for (const e of readdirSync(base, { withFileTypes: true })) if (e.isDirectory() && e.name !== self) owners.add(e.name);
    } catch {
      // No zonesim directory yet.
    }
  }
  return [...owners].filter((owner) => {
    const m = /^zn-(\d+)-(\d+)$/.exec(owner);
    if (!m) return false;
    return processStartTime(Number(m[1])) !== m[2];
  });
}

async function sweepBases(version: 1 | 2, bases: Partial<Record<Controller, string>>, self: string | undefined): Promise<number> {
  let removed = 0;
  for (const owner of staleOwners(bases, self)) removed += await removeOwner(version, bases, owner);
  return removed;
}

/**
 * Sweeps the leftovers of zone nodes that are gone below `placement`, without opening a tree of its
 * own: the local supervisor calls it when it stops a cluster, so that a zone node it SIGKILLed (a
 * fault it injected) leaves nothing behind.
 */
export async function sweepStaleCgroups(placement: CgroupPlacement): Promise<number> {
  const bases: Partial<Record<Controller, string>> = {};
  if (placement.version === 1) {
    for (const [c, dir] of Object.entries(placement.dirs) as Array<[Controller, string]>) bases[c] = join(dir, 'zonesim');
  } else {
    bases.memory = join(placement.dir, 'zonesim');
  }
  return sweepBases(placement.version, bases, undefined);
}
