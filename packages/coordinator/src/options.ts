import { resolveLedgerDetail, type LedgerDetail } from '@zonesim/ledger';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_STREAM_RESPONSE_LIMIT_BYTES } from '@zonesim/protocol';
import { DEFAULT_REFUSAL_PROBATION_MS, DEFAULT_REFUSAL_SUSPECT_LIMIT } from './membership/membership.js';
import { resolveOutlierSettings, type OutlierSettings } from './membership/outlier-ejection.js';
import { resolveDashboardOptions, type DashboardOptions, type ResolvedDashboardOptions } from './dashboard/dashboard-options.js';
import { resolveUploadPoolOptions, type ResolvedUploadPoolOptions, type UploadPoolOptions } from './uploads/upload-pool-options.js';

/** Defaults of {@link CoordinatorOptions}; docs/limits.md lists them. */
export const DEFAULT_COORDINATOR = {
  host: '127.0.0.1',
  port: 0,
  region: 'us-east-1',
  accountId: '000000000000',
  heartbeatIntervalMs: 200,
  heartbeatMissLimit: 4,
  helloTimeoutMs: 5_000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  sendHighWaterBytes: 16 * 1024 * 1024,
  placementTimeoutMs: 10_000,
  maxPendingInvocations: 1_000,
  initTimeoutMs: 10_000,
  invokeGraceMs: 5_000,
  activationDelayMs: 0,
  maxZipBytes: 50 * 1024 * 1024,
  maxUnzippedBytes: 262_144_000,
  streamResponseLimitBytes: DEFAULT_STREAM_RESPONSE_LIMIT_BYTES,
  stopGraceMs: 5_000,
  placement: 'spread',
  shardSize: 2,
  timeScale: 1,
  asyncMaxConcurrentAttempts: 64,
  accountConcurrency: 1000,
  scalingRatePer10s: 1000,
  logRetentionEvents: 100_000,
  freeTier: false,
  ledgerDetail: { level: 'full' },
  failover: true,
  refusalSuspectLimit: DEFAULT_REFUSAL_SUSPECT_LIMIT,
  refusalProbationMs: DEFAULT_REFUSAL_PROBATION_MS,
  detector: 'heartbeat',
  headroom: 0,
  headroomWindowMs: 60_000,
  allowedHosts: [] as readonly string[],
  insecureNoAuth: false,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1_000,
  connectionCheckIntervalMs: 1_000,
} as const;

/** Options of a coordinator; every field is optional and has the documented default. */
export interface CoordinatorOptions {
  /** Interface the HTTP API and the zone link listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Directory for code blobs and state. Required. */
  dataDir?: string;
  /** Shared secret zone nodes must present in `hello`. Required. */
  clusterToken?: string;
  /** Region in ARNs and `AWS_REGION`. @default 'us-east-1' */
  region?: string;
  /** Account id in ARNs. @default '000000000000' */
  accountId?: string;
  /** Interval of pings to zone nodes (and of their heartbeats). @default 200 */
  heartbeatIntervalMs?: number;
  /** Missed intervals after which a node is declared down. @default 4 */
  heartbeatMissLimit?: number;
  /** Time a new zone link has to send `hello`. @default 5000 */
  helloTimeoutMs?: number;
  /** Largest frame accepted on the zone link (ws `maxPayload`). @default 8 MiB */
  maxFrameBytes?: number;
  /** A node whose socket buffers more than this is skipped by placement (backpressure). @default 16 MiB */
  sendHighWaterBytes?: number;
  /** How long an invocation may wait for capacity before it is throttled. @default 10000 */
  placementTimeoutMs?: number;
  /** Bound of the queue of invocations waiting for capacity. @default 1000 */
  maxPendingInvocations?: number;
  /** Lambda's INIT cap, sent to nodes and used in coordinator-side deadlines. @default 10000 */
  initTimeoutMs?: number;
  /** Extra time past a function's timeout before the coordinator gives up on a node's answer. @default 5000 */
  invokeGraceMs?: number;
  /** Time a new function stays `Pending` before it becomes `Active`. @default 0 */
  activationDelayMs?: number;
  /** Largest `Code.ZipFile` accepted (Lambda's 50 MB direct upload). @default 52428800 */
  maxZipBytes?: number;
  /** Lambda's unzipped code size limit. @default 262144000 */
  maxUnzippedBytes?: number;
  /**
   * Largest streamed response (InvokeWithResponseStream, `RESPONSE_STREAM` function URLs); past it
   * the invocation fails with `Function.ResponseSizeTooLarge`. Lambda's soft limit, 20 MiB when
   * streaming launched (raised to 200 MB in 2025). @default 20971520
   */
  streamResponseLimitBytes?: number;
  /** Grace period of `stop()` before connections are destroyed. @default 5000 */
  stopGraceMs?: number;
  /** Placement policy: `spread` (warm first, then the least-used zone), `pack`, or `shuffle-shard` (each function on its own `shardSize` nodes). @default 'spread' */
  placement?: 'spread' | 'pack' | 'shuffle-shard';
  /** Nodes per function with `placement: shuffle-shard`. @default 2 */
  shardSize?: number;
  /**
   * Speeds up the platform's own timers by this factor: async retry delays, backoff, maximum event
   * age and leases (real handler execution time does not scale). @default 1
   */
  timeScale?: number;
  /** Async attempts running at once. @default 64 */
  asyncMaxConcurrentAttempts?: number;
  /** Lambda's account concurrency limit (at least 100 always stays unreserved). @default 1000 */
  accountConcurrency?: number;
  /**
   * Lambda's per-function scaling rate: new execution environments a function may start per 10 s
   * (refilled continuously, sped up by `timeScale`); beyond it invocations get 429
   * `FunctionInvocationRateLimitExceeded`. @default 1000
   */
  scalingRatePer10s?: number;
  /** Log lines kept per function in `<dataDir>/logs.db`; older ones are deleted. @default 100000 */
  logRetentionEvents?: number;
  /** Apply Lambda's monthly free tier (1M requests, 400,000 GB-s) to the run's bill. @default false */
  freeTier?: boolean;
  /**
   * How much of the ledger goes to its files (issue 16): `full` (a record per attempt), `sampled`
   * (a deterministic fraction) or `aggregate` (none); counts, histograms, time series and the bill
   * stay exact at every level. @default { level: 'full' }
   */
  ledgerDetail?: LedgerDetail;
  /**
   * Failover of in-flight work when a zone is lost. Off is a teaching switch: invocations a lost
   * node never accepted are not placed elsewhere (500), and async events whose attempt was lost with
   * its zone are dropped as if delivered, so a checker finds them lost. @default true
   */
  failover?: boolean;
  /**
   * Refusals in a row, each of an invocation another node then ran, after which a zone node is
   * suspect (skipped by placement) for a probation (issue 15; docs/failover.md). @default 3
   */
  refusalSuspectLimit?: number;
  /**
   * The first probation of a node suspected for refusing; it doubles for each suspicion since the
   * node last served an invocation, at most 16 times this. @default 15000
   */
  refusalProbationMs?: number;
  /**
   * The failure detector: `heartbeat` (silence and refusals) or `work-aware` (the same, plus
   * outlier ejection of nodes that keep failing the invocations they accept, issue 18;
   * docs/failover.md). @default 'heartbeat'
   */
  detector?: 'heartbeat' | 'work-aware';
  /** Outlier ejection's thresholds with `detector: 'work-aware'` (see `DEFAULT_OUTLIER`). */
  outlier?: Partial<OutlierSettings>;
  /**
   * Static-stability headroom (issue 18): keep ceil(peak x (1 + headroom)) warm environments of each
   * recently invoked function, spread over the zones, so that losing a zone needs no scaling up
   * (with 3 zones, 0.5 lets any 2 carry the peak). 0 is off. @default 0
   */
  headroom?: number;
  /** The peak concurrency `headroom` scales is the highest within this window. @default 60000 */
  headroomWindowMs?: number;
  /**
   * Access key id API callers must sign with (AWS Signature Version 4, service `lambda`). Set it
   * with {@link CoordinatorOptions.secretAccessKey}, or neither. Environments get both so that
   * functions can call the API. @default undefined (no authentication)
   */
  accessKeyId?: string;
  /** The secret of {@link CoordinatorOptions.accessKeyId}. @default undefined (no authentication) */
  secretAccessKey?: string;
  /**
   * More `Host` names the API answers unsigned requests for, besides IP addresses, `localhost`,
   * `*.localhost` and `host` (a defence against DNS rebinding, issue 15). `.example.com` allows its
   * subdomains. @default []
   */
  allowedHosts?: readonly string[];
  /**
   * Listen on a non-loopback `host` without an access key. Refused otherwise: the API runs code
   * for whoever can reach it. @default false
   */
  insecureNoAuth?: boolean;
  /** Time a client has to send a request's line and headers (408 past it). @default 10000 */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, body included (408 past it). @default 120000 */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. @default 65000 */
  keepAliveTimeoutMs?: number;
  /**
   * Open HTTP connections at most (zone links not counted); past it the longest-idle connection is
   * closed, or, when every one has a request in flight, the new one gets 429. @default 1000
   */
  maxConnections?: number;
  /** How often the header and request timeouts are checked. @default 1000 */
  connectionCheckIntervalMs?: number;
  /** The live dashboard at `/` (issue 9): feed interval, bounds, controls. See `DEFAULT_DASHBOARD`. */
  dashboard?: DashboardOptions;
  /**
   * The upload workers that parse, check, hash and store deployment packages and build images off
   * the event loop (issue 15, finding 4). See `DEFAULT_UPLOAD_POOL`.
   */
  uploads?: UploadPoolOptions;
  /**
   * Directories on the coordinator's machine whose images an `ImageUri` may name by path
   * (`--image-dir`); any other path is refused without saying whether it exists. @default [] (only
   * images uploaded with `PUT /zonesim/v1/images/NAME`)
   */
  imageDirs?: readonly string[];
}

/** Options without a default: absent means the feature is off. */
type OptionalCoordinatorOptions = 'accessKeyId' | 'secretAccessKey';

/** Fully resolved coordinator options. */
export type ResolvedCoordinatorOptions = Required<Omit<CoordinatorOptions, OptionalCoordinatorOptions | 'dashboard' | 'uploads' | 'outlier'>> &
  Pick<CoordinatorOptions, OptionalCoordinatorOptions> & { dashboard: ResolvedDashboardOptions; uploads: ResolvedUploadPoolOptions; outlier: OutlierSettings };

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`coordinator option ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveCoordinatorOptions(options: CoordinatorOptions): ResolvedCoordinatorOptions {
  const o = { ...DEFAULT_COORDINATOR, ...stripUndefined(options) };
  if (!options.dataDir) throw new TypeError('coordinator option dataDir is required');
  if (!options.clusterToken) throw new TypeError('coordinator option clusterToken is required');
  positiveInt('port', o.port, 0);
  if (o.port > 65535) throw new TypeError(`coordinator option port must be <= 65535, got ${o.port}`);
  for (const name of [
    'heartbeatIntervalMs',
    'heartbeatMissLimit',
    'helloTimeoutMs',
    'maxFrameBytes',
    'sendHighWaterBytes',
    'placementTimeoutMs',
    'shardSize',
    'maxPendingInvocations',
    'initTimeoutMs',
    'invokeGraceMs',
    'maxZipBytes',
    'maxUnzippedBytes',
    'streamResponseLimitBytes',
    'stopGraceMs',
    'headersTimeoutMs',
    'requestTimeoutMs',
    'keepAliveTimeoutMs',
    'maxConnections',
    'connectionCheckIntervalMs',
  ] as const) {
    positiveInt(name, o[name]);
  }
  positiveInt('activationDelayMs', o.activationDelayMs, 0);
  if (typeof o.timeScale !== 'number' || !Number.isFinite(o.timeScale) || o.timeScale < 1 || o.timeScale > 1_000_000) {
    throw new TypeError(`coordinator option timeScale must be a number from 1 to 1000000, got ${String(o.timeScale)}`);
  }
  positiveInt('asyncMaxConcurrentAttempts', o.asyncMaxConcurrentAttempts);
  positiveInt('accountConcurrency', o.accountConcurrency, 100);
  positiveInt('scalingRatePer10s', o.scalingRatePer10s);
  positiveInt('logRetentionEvents', o.logRetentionEvents);
  positiveInt('refusalSuspectLimit', o.refusalSuspectLimit);
  positiveInt('refusalProbationMs', o.refusalProbationMs);
  if (o.detector !== 'heartbeat' && o.detector !== 'work-aware') throw new TypeError(`coordinator option detector must be heartbeat or work-aware, got ${String(o.detector)}`);
  if (typeof o.headroom !== 'number' || !Number.isFinite(o.headroom) || o.headroom < 0 || o.headroom > 10) {
    throw new TypeError(`coordinator option headroom must be a fraction from 0 to 10, got ${String(o.headroom)}`);
  }
  positiveInt('headroomWindowMs', o.headroomWindowMs);
  const outlier = resolveOutlierSettings(options.outlier ?? {}, 'coordinator option outlier');
  if (typeof o.failover !== 'boolean') throw new TypeError(`coordinator option failover must be a boolean, got ${String(o.failover)}`);
  resolveLedgerDetail(o.ledgerDetail, 'ledgerDetail');
  if (typeof o.freeTier !== 'boolean') throw new TypeError(`coordinator option freeTier must be a boolean, got ${String(o.freeTier)}`);
  if (o.placement !== 'spread' && o.placement !== 'pack' && o.placement !== 'shuffle-shard') throw new TypeError(`coordinator option placement must be spread, pack or shuffle-shard, got ${String(o.placement)}`);
  if (!/^\d{12}$/.test(o.accountId)) throw new TypeError('coordinator option accountId must be 12 digits');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) throw new TypeError(`coordinator option region is not a region name: ${o.region}`);
  checkCredentials(options.accessKeyId, options.secretAccessKey);
  if (o.headersTimeoutMs > o.requestTimeoutMs) {
    throw new TypeError(`coordinator option headersTimeoutMs (${o.headersTimeoutMs}) must not exceed requestTimeoutMs (${o.requestTimeoutMs})`);
  }
  if (!Array.isArray(o.allowedHosts) || !o.allowedHosts.every((h) => typeof h === 'string' && /^\.?[A-Za-z0-9.-]{1,253}$/.test(h))) {
    throw new TypeError('coordinator option allowedHosts must be a list of host names (a leading dot allows subdomains)');
  }
  if (typeof o.insecureNoAuth !== 'boolean') throw new TypeError(`coordinator option insecureNoAuth must be a boolean, got ${String(o.insecureNoAuth)}`);
  if (!isLoopbackHost(o.host) && options.accessKeyId === undefined && !o.insecureNoAuth) {
    throw new TypeError(
      `coordinator option host ${o.host} is not a loopback address: without an access key (accessKeyId/secretAccessKey, ` +
        'ZONESIM_ACCESS_KEY_ID/ZONESIM_SECRET_ACCESS_KEY) anyone who can reach it can deploy and run code. Set a key, or pass insecureNoAuth (--insecure-no-auth) to accept that',
    );
  }
  const imageDirs = options.imageDirs ?? [];
  if (!Array.isArray(imageDirs) || !imageDirs.every((d) => typeof d === 'string' && d !== '')) {
    throw new TypeError('coordinator option imageDirs must be a list of directory paths');
  }
  return {
    ...o,
    dataDir: options.dataDir,
    clusterToken: options.clusterToken,
    dashboard: resolveDashboardOptions(options.dashboard),
    uploads: resolveUploadPoolOptions(options.uploads),
    imageDirs: [...imageDirs],
    outlier,
  };
}

/** Both or neither; shapes that fit in a SigV4 `Credential=` and in the `welcome` frame. */
function checkCredentials(accessKeyId: string | undefined, secretAccessKey: string | undefined): void {
  if (accessKeyId === undefined && secretAccessKey === undefined) return;
  if (accessKeyId === undefined) throw new TypeError('coordinator option accessKeyId is required when secretAccessKey is set');
  if (secretAccessKey === undefined) throw new TypeError('coordinator option secretAccessKey is required when accessKeyId is set');
  if (typeof accessKeyId !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(accessKeyId)) {
    throw new TypeError('coordinator option accessKeyId must be 1-128 characters of A-Z, a-z, 0-9, _ . -');
  }
  if (typeof secretAccessKey !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(secretAccessKey)) {
    throw new TypeError('coordinator option secretAccessKey must be 1-256 printable ASCII characters without spaces');
  }
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
