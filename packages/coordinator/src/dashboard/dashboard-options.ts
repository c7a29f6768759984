/** Defaults of {@link DashboardOptions}; docs/limits.md lists them. */
export const DEFAULT_DASHBOARD = {
  intervalMs: 500,
  historySeconds: 300,
  maxClients: 32,
  maxClientBufferedBytes: 1024 * 1024,
  clientStallMs: 10_000,
  maxEnvironmentsPerNode: 96,
  evictedShowMs: 5_000,
  ghostNodeMs: 120_000,
  recentRequestIds: 20_000,
  notableRequestIds: 5_000,
  ledgerScanRecords: 2_000_000,
  ledgerScanMs: 10_000,
  controls: 'auto',
} as const;

/** Settings of the live dashboard (issue 9); all optional. */
export interface DashboardOptions {
  /** One feed message per interval, whatever the load. @default 500 */
  intervalMs?: number;
  /** Ticks kept for a page that connects (the charts' last minutes). @default 300 */
  historySeconds?: number;
  /** Pages connected at once; more get 503. @default 32 */
  maxClients?: number;
  /** A page whose socket buffers more than this misses messages until it catches up. @default 1 MiB */
  maxClientBufferedBytes?: number;
  /** A page that stays past that bound for this long is disconnected (it reconnects). @default 10000 */
  clientStallMs?: number;
  /** Environments drawn per node (the counts stay exact). @default 96 */
  maxEnvironmentsPerNode?: number;
  /** How long an environment that went away stays drawn as evicted. @default 5000 */
  evictedShowMs?: number;
  /** How long a node whose link was lost stays drawn as down. @default 120000 */
  ghostNodeMs?: number;
  /** Request ids kept in memory for "explain". @default 20000 */
  recentRequestIds?: number;
  /** Notable request ids (failed over, failed, retried...) kept beside them. @default 5000 */
  notableRequestIds?: number;
  /** Records read at most from the ledger files for an id the index no longer holds. @default 2000000 */
  ledgerScanRecords?: number;
  /** Time spent at most on that read, ms. @default 10000 */
  ledgerScanMs?: number;
  /**
   * `auto`: the controls (kill, freeze, partition, latency, gray, heal, scenarios) act when the
   * API listens on loopback, or when it requires SigV4 signatures; otherwise they are refused.
   * `off`: never. @default 'auto'
   */
  controls?: 'auto' | 'off';
}

/** {@link DashboardOptions} with every default filled in. */
export type ResolvedDashboardOptions = { -readonly [K in keyof typeof DEFAULT_DASHBOARD]: K extends 'controls' ? 'auto' | 'off' : number };

/** Fills defaults and validates eagerly; the error names the field. */
export function resolveDashboardOptions(options: DashboardOptions = {}): ResolvedDashboardOptions {
  const o = { ...DEFAULT_DASHBOARD, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedDashboardOptions;
  const int = (name: keyof DashboardOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`coordinator option dashboard.${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
    }
  };
  int('intervalMs', 50, 60_000);
  int('historySeconds', 10, 86_400);
  int('maxClients', 1, 10_000);
  int('maxClientBufferedBytes', 64 * 1024);
  int('clientStallMs', 100);
  int('maxEnvironmentsPerNode', 0, 256);
  int('evictedShowMs', 0);
  int('ghostNodeMs', 0);
  int('recentRequestIds', 1);
  int('notableRequestIds', 1);
  int('ledgerScanRecords', 0);
  int('ledgerScanMs', 1);
  if (o.controls !== 'auto' && o.controls !== 'off') throw new TypeError(`coordinator option dashboard.controls must be auto or off, got ${String(o.controls)}`);
  return o;
}
