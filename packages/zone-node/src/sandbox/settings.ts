/**
 * Settings of the environment sandbox (issue 15, docs/runtimes.md "Isolation"). The zone node's
 * options carry them (`sandbox`, `cpuModel`, `pidsMax`, `bwrapPath`) and resolve them once with
 * {@link resolveSandboxSettings}; nothing below re-reads them.
 */
import { SandboxSettingsError } from './errors.js';

/**
 * `auto`: contain environments with what the machine offers (bubblewrap, cgroups) and say what is
 * missing; `on`: refuse to start without bubblewrap and cgroups; `off`: today's plain processes.
 */
export type SandboxMode = 'auto' | 'on' | 'off';

/**
 * `host`: environments take whatever CPU the machine gives them (at a lower priority than the
 * platform). `lambda`: CPU in proportion to memory as Lambda allocates it, 1,769 MB = one vCPU
 * (lambda-facts "CPU scales with memory"), enforced with a cgroup CPU quota.
 */
export type CpuModel = 'host' | 'lambda';

/** Defaults of {@link SandboxOptions}; docs/limits.md lists them. */
export const DEFAULT_SANDBOX = {
  mode: 'auto' as SandboxMode,
  cpuModel: 'host' as CpuModel,
  /** Lambda's limit of 1,024 processes and threads per environment (lambda-facts "Other hard limits"). */
  pidsMax: 1024,
  /** Debian's bubblewrap; looked up on PATH when absent there. */
  bwrapPath: '/usr/bin/bwrap',
  /** Where the cgroup hierarchies are mounted. */
  cgroupMount: '/sys/fs/cgroup',
} as const;

/** Lambda's default `EphemeralStorage.Size` (lambda-facts: /tmp 512 MB). */
export const DEFAULT_EPHEMERAL_STORAGE_MB = 512;

/** Memory that buys one vCPU on Lambda (lambda-facts: 1,769 MB = 1 vCPU). */
export const MB_PER_VCPU = 1769;

/** Options of the sandbox; every field is optional. */
export interface SandboxOptions {
  /** @default 'auto' */
  mode?: SandboxMode;
  /** @default 'host' */
  cpuModel?: CpuModel;
  /** Most processes and threads in one environment (cgroup `pids.max`). @default 1024 */
  pidsMax?: number;
  /** The bubblewrap executable. @default '/usr/bin/bwrap', then `bwrap` on PATH */
  bwrapPath?: string;
  /** Root of the cgroup mounts (tests point it elsewhere). @default '/sys/fs/cgroup' */
  cgroupMount?: string;
}

/** Fully-resolved sandbox settings. */
export interface SandboxSettings {
  mode: SandboxMode;
  cpuModel: CpuModel;
  pidsMax: number;
  bwrapPath: string;
  cgroupMount: string;
}

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveSandboxSettings(options: SandboxOptions = {}): SandboxSettings {
  const mode = options.mode ?? DEFAULT_SANDBOX.mode;
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') throw new SandboxSettingsError('sandbox', `must be auto, on or off, got ${String(mode)}`);
  const cpuModel = options.cpuModel ?? DEFAULT_SANDBOX.cpuModel;
  if (cpuModel !== 'host' && cpuModel !== 'lambda') throw new SandboxSettingsError('cpuModel', `must be host or lambda, got ${String(cpuModel)}`);
  if (cpuModel === 'lambda' && mode === 'off') throw new SandboxSettingsError('cpuModel', 'lambda needs cgroups, which --sandbox off turns off');
  const pidsMax = options.pidsMax ?? DEFAULT_SANDBOX.pidsMax;
  // Node alone runs about ten threads; below 32 a runtime could not start.
  if (!Number.isInteger(pidsMax) || pidsMax < 32 || pidsMax > 1_000_000) throw new SandboxSettingsError('pidsMax', `must be an integer from 32 to 1000000, got ${String(pidsMax)}`);
  const bwrapPath = options.bwrapPath ?? DEFAULT_SANDBOX.bwrapPath;
  if (typeof bwrapPath !== 'string' || bwrapPath === '') throw new SandboxSettingsError('bwrapPath', 'must be a non-empty path');
  const cgroupMount = options.cgroupMount ?? DEFAULT_SANDBOX.cgroupMount;
  if (typeof cgroupMount !== 'string' || !cgroupMount.startsWith('/')) throw new SandboxSettingsError('cgroupMount', `must be an absolute path, got ${String(cgroupMount)}`);
  return { mode, cpuModel, pidsMax, bwrapPath, cgroupMount };
}

/**
 * Lambda's CPU share for a memory size: `memoryMb / 1769` vCPU, as a CFS quota per period (at least
 * the kernel's 1 ms minimum).
 */
export function cpuQuotaUs(memoryMb: number, periodUs: number): number {
  return Math.max(1000, Math.round((periodUs * memoryMb) / MB_PER_VCPU));
}
