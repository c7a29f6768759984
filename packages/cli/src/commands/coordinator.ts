import { parseLedgerDetail } from '@zonesim/ledger';
import { resolve } from 'node:path';
import { Coordinator, isLoopbackHost } from '@zonesim/coordinator';
import { formatReadyLine } from '@zonesim/common';
import { ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV } from '../lambda-http.js';
import { exitWithParent, onShutdownSignal } from '../signals.js';
import { tokenFrom } from '../token.js';
import { parentSupervisorChannel } from '../supervisor/ipc-channel.js';

/** Flags of `zonesim coordinator`. */
export interface CoordinatorCommandFlags {
  host: string;
  port: string;
  dataDir: string;
  token?: string;
  tokenFile?: string;
  heartbeatMs?: string;
  missLimit?: string;
  refusalLimit?: string;
  refusalProbationMs?: string;
  region?: string;
  placement?: 'spread' | 'pack' | 'shuffle-shard';
  shardSize?: string;
  detector?: 'heartbeat' | 'work-aware';
  headroom?: string;
  headroomWindowMs?: string;
  outlierConsecutiveFailures?: string;
  outlierFailurePercent?: string;
  outlierMinRequests?: string;
  outlierIntervalMs?: string;
  outlierEjectionMs?: string;
  outlierMaxEjectedPercent?: string;
  timeScale?: string;
  placementTimeoutMs?: string;
  accountConcurrency?: string;
  scalingRate?: string;
  /** commander's `--no-failover`: false when given. */
  failover?: boolean;
  /** With `secretAccessKey`: API requests must be SigV4-signed with this key. */
  accessKeyId?: string;
  secretAccessKey?: string;
  exitWithParent?: boolean;
  /** Started by a supervisor with an IPC channel (the dashboard's process and network faults go through it). */
  supervised?: boolean;
  /** `auto` (on for loopback or with SigV4) or `off`. */
  dashboardControls?: 'auto' | 'off';
  /** Listen beyond loopback without an access key. */
  insecureNoAuth?: boolean;
  /** More Host names unsigned callers may use. */
  allowedHost?: string[];
  maxConnections?: string;
  headersTimeoutMs?: string;
  requestTimeoutMs?: string;
  keepAliveTimeoutMs?: string;
  /** Directories whose images `ImageUri` may name by path. */
  imageDir?: string[];
  uploadWorkers?: string;
  maxQueuedUploads?: string;
  /** `full`, `sampled:RATE` or `aggregate`. */
  ledgerDetail?: string;
  /** Largest streamed response, bytes. */
  streamResponseLimit?: string;
}

/** `zonesim coordinator`: runs one coordinator in this process until SIGINT/SIGTERM. */
export async function runCoordinatorCommand(flags: CoordinatorCommandFlags): Promise<void> {
  const coordinator = new Coordinator({
    host: flags.host,
    port: Number(flags.port),
    dataDir: resolve(flags.dataDir),
    clusterToken: tokenFrom(flags.token, flags.tokenFile),
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.placement ? { placement: flags.placement } : {}),
    ...(flags.shardSize ? { shardSize: Number(flags.shardSize) } : {}),
    ...(flags.detector ? { detector: flags.detector } : {}),
    ...(flags.headroom ? { headroom: Number(flags.headroom) } : {}),
    ...(flags.headroomWindowMs ? { headroomWindowMs: Number(flags.headroomWindowMs) } : {}),
    outlier: {
      ...(flags.outlierConsecutiveFailures ? { consecutiveFailures: Number(flags.outlierConsecutiveFailures) } : {}),
      ...(flags.outlierFailurePercent ? { failurePercent: Number(flags.outlierFailurePercent) } : {}),
      ...(flags.outlierMinRequests ? { minRequests: Number(flags.outlierMinRequests) } : {}),
      ...(flags.outlierIntervalMs ? { intervalMs: Number(flags.outlierIntervalMs) } : {}),
      ...(flags.outlierEjectionMs ? { ejectionMs: Number(flags.outlierEjectionMs) } : {}),
      ...(flags.outlierMaxEjectedPercent ? { maxEjectedPercent: Number(flags.outlierMaxEjectedPercent) } : {}),
    },
    ...(flags.timeScale ? { timeScale: Number(flags.timeScale) } : {}),
    ...(flags.placementTimeoutMs ? { placementTimeoutMs: Number(flags.placementTimeoutMs) } : {}),
    ...(flags.accountConcurrency ? { accountConcurrency: Number(flags.accountConcurrency) } : {}),
    ...(flags.scalingRate ? { scalingRatePer10s: Number(flags.scalingRate) } : {}),
    ...(flags.failover === false ? { failover: false } : {}),
    ...(flags.heartbeatMs ? { heartbeatIntervalMs: Number(flags.heartbeatMs) } : {}),
    ...(flags.missLimit ? { heartbeatMissLimit: Number(flags.missLimit) } : {}),
    ...(flags.refusalLimit ? { refusalSuspectLimit: Number(flags.refusalLimit) } : {}),
    ...(flags.refusalProbationMs ? { refusalProbationMs: Number(flags.refusalProbationMs) } : {}),
    // Either half may come from the environment; the coordinator refuses a key without its secret.
    accessKeyId: flags.accessKeyId ?? (process.env[ACCESS_KEY_ID_ENV] || undefined),
    secretAccessKey: flags.secretAccessKey ?? (process.env[SECRET_ACCESS_KEY_ENV] || undefined),
    ...(flags.dashboardControls ? { dashboard: { controls: flags.dashboardControls } } : {}),
    ...(flags.insecureNoAuth ? { insecureNoAuth: true } : {}),
    ...(flags.allowedHost && flags.allowedHost.length > 0 ? { allowedHosts: flags.allowedHost } : {}),
    ...(flags.maxConnections ? { maxConnections: Number(flags.maxConnections) } : {}),
    ...(flags.headersTimeoutMs ? { headersTimeoutMs: Number(flags.headersTimeoutMs) } : {}),
    ...(flags.requestTimeoutMs ? { requestTimeoutMs: Number(flags.requestTimeoutMs) } : {}),
    ...(flags.keepAliveTimeoutMs ? { keepAliveTimeoutMs: Number(flags.keepAliveTimeoutMs) } : {}),
    ...(flags.streamResponseLimit ? { streamResponseLimitBytes: Number(flags.streamResponseLimit) } : {}),
    ...(flags.ledgerDetail ? { ledgerDetail: parseLedgerDetail(flags.ledgerDetail, '--ledger-detail') } : {}),
    ...(flags.imageDir && flags.imageDir.length > 0 ? { imageDirs: flags.imageDir.map((d) => resolve(d)) } : {}),
    uploads: {
      ...(flags.uploadWorkers ? { workers: Number(flags.uploadWorkers) } : {}),
      ...(flags.maxQueuedUploads ? { maxQueuedJobs: Number(flags.maxQueuedUploads) } : {}),
    },
  }, supervisorComponents(flags));
  warnIfOpen(coordinator.options);
  onShutdownSignal(() => coordinator.stop());
  if (flags.exitWithParent) exitWithParent(() => coordinator.stop());
  await coordinator.start();
  process.stdout.write(formatReadyLine({ role: 'coordinator', pid: process.pid, apiUrl: coordinator.apiUrl, zoneUrl: coordinator.zoneUrl }));
}

/** Says loudly that an unauthenticated API listens beyond loopback (the user asked for it). */
export function warnIfOpen(o: { host: string; accessKeyId?: string | undefined; insecureNoAuth: boolean }): void {
  if (o.insecureNoAuth && o.accessKeyId === undefined && !isLoopbackHost(o.host)) {
    process.stderr.write(
      `zonesim: WARNING: the API listens on ${o.host} without authentication (--insecure-no-auth): anyone who can reach this port can deploy and run code.\n`,
    );
  }
}

function supervisorComponents(flags: CoordinatorCommandFlags): { supervisor?: NonNullable<ReturnType<typeof parentSupervisorChannel>> } {
  const channel = flags.supervised ? parentSupervisorChannel() : undefined;
  return channel ? { supervisor: channel } : {};
}
