import { hostname } from 'node:os';
import { DEFAULT_MAX_FRAME_BYTES } from '@zonesim/protocol';
import { resolveKeepAlivePolicy, type KeepAlivePolicyOptions, type KeepAlivePolicySettings } from './environment/keep-alive-policy.js';
import type { IsolationMode } from './environment/types.js';
import { DEFAULT_SANDBOX, resolveSandboxSettings, type CpuModel, type SandboxMode, type SandboxSettings } from './sandbox/settings.js';

/** Defaults of {@link ZoneNodeOptions}; docs/limits.md lists them. */
export const DEFAULT_ZONE_NODE = {
  zone: 'az-a',
  memoryMb: 8192,
  maxEnvironments: 32,
  isolation: 'process' as IsolationMode,
  sandbox: DEFAULT_SANDBOX.mode,
  cpuModel: DEFAULT_SANDBOX.cpuModel,
  pidsMax: DEFAULT_SANDBOX.pidsMax,
  bwrapPath: DEFAULT_SANDBOX.bwrapPath,
  spareRuntimes: 2,
  keepAliveMs: 600_000,
  initTimeoutMs: 10_000,
  shutdownGraceMs: 2_000,
  memoryPollMs: 50,
  connectTimeoutMs: 5_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
  heartbeatMissLimit: 4,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  codeFetchTimeoutMs: 30_000,
  codeCacheBytes: 2 * 1024 * 1024 * 1024,
  stopGraceMs: 5_000,
  timeScale: 1,
} as const;

/** Options of a zone node; every field is optional unless marked required. */
export interface ZoneNodeOptions {
  /** WebSocket URL of the coordinator's zone link. Required. */
  coordinatorUrl?: string;
  /** The cluster token the coordinator checks in `hello`. Required. */
  clusterToken?: string;
  /** Zone (failure domain) this node is in. @default 'az-a' */
  zone?: string;
  /** Node id, unique in the cluster. @default `${hostname}-${zone}-${pid}` */
  nodeId?: string;
  /** Directory for the code cache. Required. */
  dataDir?: string;
  /** Memory the node offers to environments, MB. @default 8192 */
  memoryMb?: number;
  /** Most environments alive at once (busy or idle). @default 32 */
  maxEnvironments?: number;
  /** How environments are isolated. @default 'process' */
  isolation?: IsolationMode;
  /**
   * Sandboxing of process environments and custom runtimes (issue 15, docs/runtimes.md
   * "Isolation"): `auto` uses bubblewrap and cgroups where the machine has them and says what is
   * missing; `on` refuses to start without both; `off` runs plain processes. @default 'auto'
   */
  sandbox?: SandboxMode;
  /**
   * `lambda`: each environment gets CPU in proportion to its memory (1,769 MB = one vCPU) through a
   * cgroup CPU quota, after an unthrottled INIT; needs cgroups. `host`: no CPU limit. @default 'host'
   */
  cpuModel?: CpuModel;
  /** Most processes and threads in one sandboxed environment (cgroup `pids.max`; Lambda: 1,024). @default 1024 */
  pidsMax?: number;
  /** The bubblewrap executable. @default '/usr/bin/bwrap' (then `bwrap` on PATH) */
  bwrapPath?: string;
  /**
   * Node runtimes kept started ahead of need (process isolation), one per memory size for the sizes
   * used most recently, so that a cold start does not wait for Node to start; 0 turns them off.
   * @default 2
   */
  spareRuntimes?: number;
  /** Idle time after which a warm environment is evicted. @default 600000 (10 min, as measured on Lambda) */
  keepAliveMs?: number;
  /**
   * How long environments stay after an invocation (issue 18): `fixed` keeps each for `keepAliveMs`;
   * `hybrid-histogram` learns each configuration's idle times and may unload an environment at
   * once and pre-warm a new one before the next invocation is expected (ATC'20; docs/architecture.md).
   * @default { kind: 'fixed' }
   */
  keepAlivePolicy?: KeepAlivePolicyOptions;
  /** Lambda's INIT cap for on-demand environments. @default 10000 */
  initTimeoutMs?: number;
  /** Shutdown cap of an environment before it is killed (Lambda: 2 s). @default 2000 */
  shutdownGraceMs?: number;
  /** RSS sampling interval of busy process environments. @default 50 */
  memoryPollMs?: number;
  /** Time allowed to open the WebSocket and get `welcome`. @default 5000 */
  connectTimeoutMs?: number;
  /** First reconnect delay; doubles up to `reconnectMaxMs`, with jitter. @default 100 */
  reconnectMinMs?: number;
  /** @default 5000 */
  reconnectMaxMs?: number;
  /** Coordinator heartbeat intervals without a frame before the node drops the link and reconnects. @default 4 */
  heartbeatMissLimit?: number;
  /** Largest frame accepted (ws `maxPayload`). @default 8 MiB */
  maxFrameBytes?: number;
  /** Time allowed to download one package. @default 30000 */
  codeFetchTimeoutMs?: number;
  /** Disk budget of the unpacked code cache. @default 2 GiB */
  codeCacheBytes?: number;
  /** Grace of `stop()` for running invocations. @default 5000 */
  stopGraceMs?: number;
  /**
   * Speeds up the platform's own timers on this node by this factor: the keep-alive of idle
   * environments is `keepAliveMs / timeScale` (handler time, timeouts and INIT are real). @default 1
   */
  timeScale?: number;
}

/** Fully resolved zone-node options; `sandboxSettings` is the sandbox's part, resolved once. */
export type ResolvedZoneNodeOptions = Omit<Required<ZoneNodeOptions>, 'keepAlivePolicy'> & { sandboxSettings: SandboxSettings; keepAlivePolicy: KeepAlivePolicySettings };

const ZONE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveZoneNodeOptions(options: ZoneNodeOptions): ResolvedZoneNodeOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ZoneNodeOptions;
  const o = { ...DEFAULT_ZONE_NODE, ...given };
  if (!o.coordinatorUrl) throw new TypeError('zone-node option coordinatorUrl is required');
  if (!/^wss?:\/\//.test(o.coordinatorUrl)) throw new TypeError(`zone-node option coordinatorUrl must be a ws:// or wss:// URL, got ${o.coordinatorUrl}`);
  if (!o.clusterToken) throw new TypeError('zone-node option clusterToken is required');
  if (!o.dataDir) throw new TypeError('zone-node option dataDir is required');
  if (!ZONE.test(o.zone)) throw new TypeError(`zone-node option zone must match ${ZONE}, got ${o.zone}`);
  if (o.isolation !== 'process' && o.isolation !== 'worker') throw new TypeError(`zone-node option isolation must be process or worker, got ${String(o.isolation)}`);
  const ints: Array<[string, number, number]> = [
    ['memoryMb', o.memoryMb, 128],
    ['maxEnvironments', o.maxEnvironments, 1],
    ['spareRuntimes', o.spareRuntimes, 0],
    ['keepAliveMs', o.keepAliveMs, 1],
    ['initTimeoutMs', o.initTimeoutMs, 1],
    ['shutdownGraceMs', o.shutdownGraceMs, 0],
    ['memoryPollMs', o.memoryPollMs, 1],
    ['connectTimeoutMs', o.connectTimeoutMs, 1],
    ['reconnectMinMs', o.reconnectMinMs, 1],
    ['reconnectMaxMs', o.reconnectMaxMs, 1],
    ['heartbeatMissLimit', o.heartbeatMissLimit, 1],
    ['maxFrameBytes', o.maxFrameBytes, 1024],
    ['codeFetchTimeoutMs', o.codeFetchTimeoutMs, 1],
    ['codeCacheBytes', o.codeCacheBytes, 1],
    ['stopGraceMs', o.stopGraceMs, 0],
  ];
  for (const [name, value, min] of ints) {
    if (!Number.isInteger(value) || value < min) throw new TypeError(`zone-node option ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  if (typeof o.timeScale !== 'number' || !Number.isFinite(o.timeScale) || o.timeScale < 1 || o.timeScale > 1_000_000) {
    throw new TypeError(`zone-node option timeScale must be a number from 1 to 1000000, got ${String(o.timeScale)}`);
  }
  if (o.reconnectMaxMs < o.reconnectMinMs) throw new TypeError('zone-node option reconnectMaxMs must be >= reconnectMinMs');
  const nodeId = o.nodeId ?? `${hostname()}-${o.zone}-${process.pid}`;
  const sandboxSettings = resolveSandboxSettings({ mode: o.sandbox, cpuModel: o.cpuModel, pidsMax: o.pidsMax, bwrapPath: o.bwrapPath });
  const keepAlivePolicy = resolveKeepAlivePolicy(o.keepAlivePolicy);
  return { ...o, nodeId, coordinatorUrl: o.coordinatorUrl, clusterToken: o.clusterToken, dataDir: o.dataDir, sandboxSettings, keepAlivePolicy };
}
