import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SigV4Credentials, SupervisorMessage } from '@zonesim/coordinator';
import { probeCgroupPlacement, sweepStaleCgroups } from '@zonesim/zone-node';
import { ChildProcessHandle } from './child-process-handle.js';
import { ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV, TOKEN_ENV } from '../credentials.js';

/** Options of a local cluster of real processes. */
export interface LocalClusterOptions {
  /** Zone names; default `az-a`, `az-b`, ... for `zoneCount` zones. */
  zones?: string[];
  /** Number of zones when `zones` is not given. @default 3 */
  zoneCount?: number;
  /** Zone nodes per zone. @default 1 */
  nodesPerZone?: number;
  host?: string;
  /** API port; 0 picks a free one. @default 0 */
  port?: number;
  /** Data directory root (coordinator state, zone caches, logs). Required. */
  dataDir: string;
  /** Cluster token; random when omitted. */
  token?: string;
  /** Extra flags for each zone node (e.g. `['--max-environments', '4']`). */
  zoneArgs?: string[];
  /** Extra flags for the coordinator. */
  coordinatorArgs?: string[];
  /** Node.js flags for the coordinator process (e.g. `--cpu-prof`), before the script. @default [] */
  coordinatorNodeArgs?: string[];
  /** Node.js flags for each zone-node process, before the script. @default [] */
  zoneNodeArgs?: string[];
  /**
   * The API requires SigV4 signatures made with this key (passed to the coordinator in its
   * environment, out of argv). @default undefined: whatever `ZONESIM_ACCESS_KEY_ID` and
   * `ZONESIM_SECRET_ACCESS_KEY` in this process's environment say (unset: no authentication)
   */
  credentials?: SigV4Credentials;
  /** Write child logs to files under `<dataDir>/logs` (true) or inherit stderr (false). @default true */
  logToFiles?: boolean;
  /** Time each process has to print its ready line. @default 15000 */
  readyTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL at stop. @default 5000 */
  stopGraceMs?: number;
  /** Start the processes without this process's NODE_OPTIONS (see {@link ChildSpec}). @default false */
  withoutNodeOptions?: boolean;
  /** Node ids. @default `${zone}-node-${i}` (i from 1) */
  nodeIdFor?: (zone: string, index: number) => string;
  /**
   * The URL a zone node dials instead of the coordinator's zone link, e.g. a link proxy's (the
   * scenario runner puts one in front of each zone to inject network faults). @default the zone link
   */
  zoneLinkUrl?: (zone: string, nodeId: string, coordinatorZoneUrl: string) => string | Promise<string>;
  /**
   * The process's side of the coordinator's supervisor channel (issue 9: the dashboard's kill,
   * freeze, partition and latency controls). When set, the coordinator is started with an IPC
   * channel and `--supervised`, and each coordinator process (restarts too) gets a connection.
   * @default undefined: the coordinator has no supervisor and refuses those controls
   */
  supervisor?: SupervisorEndpoint;
  /** The `zonesim` entry script the processes run. @default `zonesimBin()`: the bin of @zonesim/cli */
  bin?: string;
}

/** Something that answers a coordinator's supervisor requests (see `ClusterSupervisor`). */
export interface SupervisorEndpoint {
  /** One coordinator process connected; `send` reaches it. */
  connect(send: (message: SupervisorMessage) => void): { receive(message: unknown): void; close(): void };
}

/** A running local cluster. */
export interface LocalCluster {
  apiUrl: string;
  zoneUrl: string;
  token: string;
  coordinator: ChildProcessHandle;
  zoneNodes: Array<{ zone: string; nodeId: string; handle: ChildProcessHandle }>;
  /**
   * Starts a zone node again with the same zone, node id and data directory (after it was killed
   * or stopped) and waits until it is ready; its entry in `zoneNodes` gets the new handle.
   */
  restartZoneNode(nodeId: string): Promise<ChildProcessHandle>;
  /**
   * Starts the coordinator again on the same port and data directory (after it was killed or
   * stopped) and waits until it is ready; zone nodes redial it on their own.
   */
  restartCoordinator(): Promise<ChildProcessHandle>;
  /** Stops every process (zone nodes first), reaping each. Idempotent. */
  stop(): Promise<void>;
}

/** Zone names `az-a`, `az-b`, ... */
export function defaultZoneNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 26) throw new Error(`zone count must be 1..26, got ${count}`);
  return Array.from({ length: count }, (_, i) => `az-${String.fromCharCode(97 + i)}`);
}

/**
 * Starts a coordinator and zone-node processes, each a real OS process, and waits until every one
 * has printed its ready line. If any fails to start, everything already started is stopped.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const zones = options.zones ?? defaultZoneNames(options.zoneCount ?? 3);
  const perZone = options.nodesPerZone ?? 1;
  const dataDir = resolve(options.dataDir);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const logToFiles = options.logToFiles ?? true;
  const logDir = join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  // The token goes to the processes in a 0600 file, not in their environment: any process of the
  // same user can read /proc/<pid>/environ, an unsandboxed handler included (issue 15). The
  // variable is removed too, should this process have it.
  const tokenFile = join(dataDir, 'cluster-token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[TOKEN_ENV];
  if (options.credentials) {
    env[ACCESS_KEY_ID_ENV] = options.credentials.accessKeyId;
    env[SECRET_ACCESS_KEY_ENV] = options.credentials.secretAccessKey;
  }
  const started: ChildProcessHandle[] = [];
  const stopAll = async (): Promise<void> => {
    const zonesFirst = [...started].reverse();
    await Promise.all(zonesFirst.slice(0, -1).map((h) => h.stop(stopGraceMs)));
    if (zonesFirst.length > 0) await zonesFirst[zonesFirst.length - 1]!.stop(stopGraceMs);
    await rm(tokenFile, { force: true });
    // A zone node killed on purpose (a fault, the dashboard's kill) left its environments' cgroups;
    // its sandbox died with it, and nobody else would remove them.
    const placement = await probeCgroupPlacement('/sys/fs/cgroup');
    if (placement.ok) await sweepStaleCgroups(placement.value).catch(() => 0);
  };
  try {
    const startCoordinator = (port: number, restarts: number): ChildProcessHandle => {
      const handle = new ChildProcessHandle({
        label: 'coordinator',
        args: [
          'coordinator',
          '--host', options.host ?? '127.0.0.1',
          '--port', String(port),
          '--data-dir', join(dataDir, 'coordinator'),
          '--token-file', tokenFile,
          ...(options.supervisor ? ['--supervised'] : []),
          ...(options.coordinatorArgs ?? []),
        ],
        env,
        ...(logToFiles ? { logFile: join(logDir, restarts === 0 ? 'coordinator.log' : `coordinator.${restarts}.log`) } : {}),
        readyTimeoutMs,
        withoutNodeOptions: options.withoutNodeOptions ?? false,
        nodeArgs: options.coordinatorNodeArgs ?? [],
        ...(options.supervisor ? { ipc: true } : {}),
        ...(options.bin ? { bin: options.bin } : {}),
      });
      if (options.supervisor) connectSupervisor(options.supervisor, handle);
      started.push(handle);
      return handle;
    };
    let coordinator = startCoordinator(options.port ?? 0, 0);
    let coordinatorRestarts = 0;
    const info = await coordinator.ready;
    const apiPort = Number(new URL(info.apiUrl!).port);
    const zoneNodes: LocalCluster['zoneNodes'] = [];
    const linkUrls = new Map<string, string>();
    const startZoneNode = (zone: string, nodeId: string): ChildProcessHandle => {
      const handle = new ChildProcessHandle({
        label: `zone node ${nodeId}`,
        args: [
          'zone',
          '--coordinator', linkUrls.get(nodeId) ?? info.zoneUrl!,
          '--zone', zone,
          '--node-id', nodeId,
          '--data-dir', join(dataDir, 'zones', nodeId),
          '--token-file', tokenFile,
          ...(options.zoneArgs ?? []),
        ],
        env,
        ...(logToFiles ? { logFile: join(logDir, `${nodeId}.log`) } : {}),
        readyTimeoutMs,
        withoutNodeOptions: options.withoutNodeOptions ?? false,
        nodeArgs: options.zoneNodeArgs ?? [],
        ...(options.bin ? { bin: options.bin } : {}),
      });
      started.push(handle);
      return handle;
    };
    for (const zone of zones) {
      for (let i = 1; i <= perZone; i++) {
        const nodeId = options.nodeIdFor ? options.nodeIdFor(zone, i) : `${zone}-node-${i}`;
        if (options.zoneLinkUrl) linkUrls.set(nodeId, await options.zoneLinkUrl(zone, nodeId, info.zoneUrl!));
        zoneNodes.push({ zone, nodeId, handle: startZoneNode(zone, nodeId) });
      }
    }
    await Promise.all(zoneNodes.map((z) => z.handle.ready));
    let stopping: Promise<void> | undefined;
    return {
      apiUrl: info.apiUrl!,
      zoneUrl: info.zoneUrl!,
      token,
      get coordinator() {
        return coordinator;
      },
      zoneNodes,
      async restartCoordinator(): Promise<ChildProcessHandle> {
        if (coordinator.running) throw new Error(`the coordinator is still running (pid ${coordinator.pid})`);
        coordinator = startCoordinator(apiPort, ++coordinatorRestarts);
        await coordinator.ready;
        return coordinator;
      },
      async restartZoneNode(nodeId: string): Promise<ChildProcessHandle> {
        const entry = zoneNodes.find((z) => z.nodeId === nodeId);
        if (!entry) throw new Error(`no zone node ${nodeId} in this cluster`);
        if (entry.handle.running) throw new Error(`zone node ${nodeId} is still running (pid ${entry.handle.pid})`);
        entry.handle = startZoneNode(entry.zone, nodeId);
        await entry.handle.ready;
        return entry.handle;
      },
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Wires one coordinator process's IPC channel to the supervisor, until the process exits. */
function connectSupervisor(supervisor: SupervisorEndpoint, handle: ChildProcessHandle): void {
  const child = handle.child;
  const link = supervisor.connect((message) => {
    // A coordinator that just died cannot be told anything: the send error is not the supervisor's.
    if (child.connected) child.send(message, (err) => void err);
  });
  child.on('message', (m: unknown) => link.receive(m));
  child.once('exit', () => link.close());
}
