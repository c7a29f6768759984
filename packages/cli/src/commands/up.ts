import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LinkProxy } from '@zonesim/link-proxy';
import { ClusterSupervisor, defaultZoneNames, linkProxiesInFront, startLocalCluster, type LocalCluster } from '@zonesim/runner';
import { openInBrowser } from '../supervisor/open-url.js';
import { isLoopbackHost } from '@zonesim/coordinator';
import { apiCredentialsFrom } from '../lambda-http.js';
import { warnIfOpen } from './coordinator.js';
import { onShutdownSignal } from '../signals.js';

/** Flags of `zonesim up`. */
export interface UpFlags {
  zones: string;
  zoneNames?: string;
  nodesPerZone: string;
  host: string;
  port: string;
  dataDir?: string;
  isolation?: string;
  /** Sandboxing of environments (issue 15): `auto`, `on` or `off`. */
  sandbox?: string;
  /** `lambda`: CPU in proportion to memory; `host`. */
  cpuModel?: string;
  maxEnvironments?: string;
  spareRuntimes?: string;
  memoryMb?: string;
  keepAliveMs?: string;
  /** `fixed` or `hybrid-histogram[:name=value,...]` (issue 18). */
  keepAlivePolicy?: string;
  placement?: string;
  shardSize?: string;
  detector?: string;
  heartbeatMs?: string;
  timeScale?: string;
  /** With `secretAccessKey` (or their environment variables): the API requires SigV4 signatures. */
  accessKeyId?: string;
  secretAccessKey?: string;
  verbose?: boolean;
  /** Print the dashboard's URL and open it in a browser where possible (xdg-open, open). */
  open?: boolean;
  /** The dashboard's fault controls: `auto` (on for loopback or with SigV4) or `off`. */
  dashboardControls?: 'auto' | 'off';
  /** Listen beyond loopback without an access key. */
  insecureNoAuth?: boolean;
  /** More Host names unsigned callers may use. */
  allowedHost?: string[];
  maxConnections?: string;
  /** Largest streamed response, bytes (the coordinator's --stream-response-limit). */
  streamResponseLimit?: string;
  /** Directories whose images ImageUri may name by path. */
  imageDir?: string[];
}

/** Turns `up`'s zone flags into zone-node flags. */
export function zoneArgsFrom(flags: Pick<UpFlags, 'isolation' | 'sandbox' | 'cpuModel' | 'maxEnvironments' | 'spareRuntimes' | 'memoryMb' | 'keepAliveMs' | 'keepAlivePolicy' | 'timeScale'>): string[] {
  const args: string[] = [];
  if (flags.timeScale) args.push('--time-scale', flags.timeScale);
  if (flags.isolation) args.push('--isolation', flags.isolation);
  if (flags.sandbox) args.push('--sandbox', flags.sandbox);
  if (flags.cpuModel) args.push('--cpu-model', flags.cpuModel);
  if (flags.maxEnvironments) args.push('--max-environments', flags.maxEnvironments);
  if (flags.spareRuntimes !== undefined) args.push('--spare-runtimes', flags.spareRuntimes);
  if (flags.memoryMb) args.push('--memory-mb', flags.memoryMb);
  if (flags.keepAliveMs) args.push('--keep-alive-ms', flags.keepAliveMs);
  if (flags.keepAlivePolicy) args.push('--keep-alive-policy', flags.keepAlivePolicy);
  return args;
}

/**
 * `zonesim up`: a coordinator plus zone-node processes on this machine, until Ctrl-C or SIGTERM,
 * which stop every process it started (each one reaped; none left behind).
 */
export async function runUpCommand(flags: UpFlags): Promise<void> {
  const zones = flags.zoneNames ? flags.zoneNames.split(',').map((z) => z.trim()).filter(Boolean) : defaultZoneNames(Number(flags.zones));
  const credentials = apiCredentialsFrom(flags);
  // Refused here too, before any process starts, with the coordinator's own words.
  if (!isLoopbackHost(flags.host) && !credentials && !flags.insecureNoAuth) {
    throw new Error(
      `--host ${flags.host} is not a loopback address: without an access key (--access-key-id/--secret-access-key or ZONESIM_ACCESS_KEY_ID/ZONESIM_SECRET_ACCESS_KEY) anyone who can reach it can deploy and run code. Set a key, or pass --insecure-no-auth to accept that.`,
    );
  }
  warnIfOpen({ host: flags.host, accessKeyId: credentials?.accessKeyId, insecureNoAuth: flags.insecureNoAuth === true });
  // Restarting on the same --data-dir brings functions and queued events back; without one, a fresh
  // temporary directory is used and named, and kept after stop so its logs can be read.
  const dataDir = flags.dataDir ?? (await mkdtemp(join(tmpdir(), 'zonesim-up-')));
  let cluster: LocalCluster | undefined;
  let shuttingDown = false;
  // The dashboard's kill, freeze, partition and latency buttons act through this process, which
  // owns the zone nodes and the link proxies in front of them (issue 9).
  const proxies = new Map<string, LinkProxy>();
  const supervisor = new ClusterSupervisor({
    resultsDir: join(dataDir, 'dashboard-runs'),
    log: (text) => process.stdout.write(`  dashboard: ${text}\n`),
    ...(credentials ? { credentials } : {}),
  });
  const stopAll = async (): Promise<void> => {
    await supervisor.stop();
    await cluster?.stop();
    await Promise.allSettled([...proxies.values()].map((p) => p.stop()));
  };
  onShutdownSignal(async () => {
    shuttingDown = true;
    process.stdout.write('\nstopping the cluster...\n');
    await stopAll();
    process.stdout.write('stopped.\n');
  });
  cluster = await startLocalCluster({
    zones,
    nodesPerZone: Number(flags.nodesPerZone),
    host: flags.host,
    port: Number(flags.port),
    dataDir,
    zoneArgs: zoneArgsFrom(flags),
    coordinatorArgs: [
      ...(flags.placement ? ['--placement', flags.placement] : []),
      ...(flags.shardSize ? ['--shard-size', flags.shardSize] : []),
      ...(flags.detector ? ['--detector', flags.detector] : []),
      ...(flags.heartbeatMs ? ['--heartbeat-ms', flags.heartbeatMs] : []),
      ...(flags.timeScale ? ['--time-scale', flags.timeScale] : []),
      ...(flags.dashboardControls ? ['--dashboard-controls', flags.dashboardControls] : []),
      ...(flags.insecureNoAuth ? ['--insecure-no-auth'] : []),
      ...(flags.allowedHost ?? []).flatMap((h) => ['--allowed-host', h]),
      ...(flags.maxConnections ? ['--max-connections', flags.maxConnections] : []),
      ...(flags.streamResponseLimit ? ['--stream-response-limit', flags.streamResponseLimit] : []),
      ...(flags.imageDir ?? []).flatMap((d) => ['--image-dir', resolve(d)]),
    ],
    logToFiles: !flags.verbose,
    ...(credentials ? { credentials } : {}),
    supervisor,
    zoneLinkUrl: linkProxiesInFront(proxies),
  }).catch(async (err: unknown) => {
    await Promise.allSettled([...proxies.values()].map((p) => p.stop()));
    throw err;
  });
  supervisor.attach(cluster, proxies);
  const out = process.stdout;
  out.write(`zonesim is up: ${zones.length} zone(s), ${cluster.zoneNodes.length} zone node(s)\n\n`);
  out.write(`  Lambda API   ${cluster.apiUrl}\n`);
  out.write(`  dashboard    ${cluster.apiUrl}/\n`);
  out.write(`  zone link    ${cluster.zoneUrl}\n`);
  out.write(`  coordinator  pid ${cluster.coordinator.pid}\n`);
  for (const z of cluster.zoneNodes) out.write(`  ${z.zone.padEnd(11)}  pid ${z.handle.pid} (${z.nodeId})\n`);
  out.write(`  data         ${dataDir}\n`);
  if (credentials) out.write(`  auth         SigV4, access key id ${credentials.accessKeyId}\n`);
  if (!flags.verbose) out.write(`  logs         ${join(dataDir, 'logs')}/\n`);
  out.write(`\nTry:  aws lambda list-functions --endpoint-url ${cluster.apiUrl}\n`);
  // With authentication on, curl's unsigned requests are refused; the zonesim commands sign.
  out.write(credentials ? `      zonesim zones --endpoint-url ${cluster.apiUrl}  (with ZONESIM_ACCESS_KEY_ID and ZONESIM_SECRET_ACCESS_KEY set)\n` : `      curl ${cluster.apiUrl}/zonesim/v1/zones\n`);
  out.write('Press Ctrl-C to stop.\n');
  if (flags.open) {
    const how = await openInBrowser(`${cluster.apiUrl}/`);
    out.write(how ? `Opened the dashboard with ${how}.\n` : `Open the dashboard: ${cluster.apiUrl}/\n`);
  }
  // If the coordinator dies on its own, stop the rest and say so.
  void cluster.coordinator.exited.then(async ({ code, signal }) => {
    if (!cluster || shuttingDown) return;
    shuttingDown = true;
    process.stderr.write(`zonesim: the coordinator exited (${signal ?? `code ${code}`}); stopping\n`);
    await stopAll();
    process.exit(1);
  });
}
