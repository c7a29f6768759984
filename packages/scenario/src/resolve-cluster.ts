import { formatLedgerDetail, parseLedgerDetail } from '@zonesim/ledger';
import { DEFAULT_SCENARIO } from './defaults.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import { defaultZoneNames } from './topology.js';
import type { ResolvedCluster, ResolvedKeepAlivePolicy } from './types.js';

/** `cluster.ledger`, checked by the ledger's own parser (the rate must be in (0, 1]). */
function ledgerDetail(value: unknown, ctx: ResolveContext): string {
  if (value === undefined || ctx.broken(['cluster', 'ledger'])) return 'full';
  try {
    return formatLedgerDetail(parseLedgerDetail(String(value), 'cluster.ledger'));
  } catch (err) {
    ctx.error(['cluster', 'ledger'], ScenarioErrorCode.InvalidValue, (err as Error).message);
    return 'full';
  }
}

/** `cluster.outlier`: only what the file sets (the coordinator's defaults are the defaults). */
function resolveOutlier(raw: Raw | undefined, ctx: ResolveContext): ResolvedCluster['outlier'] {
  if (raw === undefined || ctx.broken(['cluster', 'outlier'])) return {};
  const at = (key: string) => ['cluster', 'outlier', key];
  const out: ResolvedCluster['outlier'] = {};
  for (const key of ['consecutiveFailures', 'failurePercent', 'minRequests', 'maxEjectedPercent'] as const) {
    if (raw[key] !== undefined && !ctx.broken(at(key))) out[key] = raw[key] as number;
  }
  if (raw['interval'] !== undefined) out.intervalMs = ctx.positiveMs(raw['interval'], at('interval'), 1);
  if (raw['ejection'] !== undefined) out.ejectionMs = ctx.positiveMs(raw['ejection'], at('ejection'), 1);
  return out;
}

/** `cluster.node.keepAlivePolicy`: a name, or hybrid-histogram with the settings the file gives. */
function resolveKeepAlivePolicy(raw: unknown, ctx: ResolveContext): ResolvedKeepAlivePolicy {
  const at = ['cluster', 'node', 'keepAlivePolicy'];
  if (raw === undefined || ctx.broken(at) || raw === 'fixed') return { kind: 'fixed' };
  if (raw === 'hybrid-histogram' || typeof raw !== 'object' || raw === null) return { kind: 'hybrid-histogram' };
  const o = raw as Raw;
  const out: Extract<ResolvedKeepAlivePolicy, { kind: 'hybrid-histogram' }> = { kind: 'hybrid-histogram' };
  if (o['range'] !== undefined) out.rangeMs = ctx.positiveMs(o['range'], [...at, 'range'], 1);
  if (o['bin'] !== undefined) out.binMs = ctx.positiveMs(o['bin'], [...at, 'bin'], 1);
  for (const key of ['headPercentile', 'tailPercentile', 'margin', 'cvThreshold', 'minSamples', 'maxOutOfRange'] as const) {
    if (o[key] !== undefined && !ctx.broken([...at, key])) out[key] = o[key] as number;
  }
  const range = out.rangeMs ?? 4 * 60 * 60 * 1000;
  const bin = out.binMs ?? 60_000;
  if (bin > range || range / bin > 100_000) ctx.error([...at, out.binMs !== undefined ? 'bin' : 'range'], ScenarioErrorCode.InvalidValue, `the range must hold from 1 to 100,000 bins (range ${range} ms, bin ${bin} ms)`);
  if ((out.tailPercentile ?? 99) < (out.headPercentile ?? 5)) ctx.error([...at, 'tailPercentile'], ScenarioErrorCode.InvalidValue, 'must be at least headPercentile');
  return out;
}

/** The cluster section with defaults filled in. */
export function resolveCluster(raw: Raw | undefined, ctx: ResolveContext): ResolvedCluster {
  const c = raw ?? {};
  const node = (c['node'] as Raw | undefined) ?? {};
  const zonesRaw = ctx.broken(['cluster', 'zones']) ? undefined : c['zones'];
  const zones = Array.isArray(zonesRaw)
    ? (zonesRaw as string[])
    : defaultZoneNames(typeof zonesRaw === 'number' ? zonesRaw : DEFAULT_SCENARIO.zoneCount);
  const pick = <T>(key: string, value: unknown, fallback: T): T => (value === undefined || ctx.broken(['cluster', key]) ? fallback : (value as T));
  return {
    zones,
    nodesPerZone: pick('nodesPerZone', c['nodesPerZone'], DEFAULT_SCENARIO.nodesPerZone),
    node: {
      maxEnvironments: pick('node', node['maxEnvironments'], DEFAULT_SCENARIO.maxEnvironments),
      memoryMb: pick('node', node['memoryMb'], DEFAULT_SCENARIO.nodeMemoryMb),
      isolation: pick('node', node['isolation'], DEFAULT_SCENARIO.isolation),
      keepAliveMs: ctx.positiveMs(node['keepAlive'], ['cluster', 'node', 'keepAlive'], DEFAULT_SCENARIO.keepAliveMs),
      keepAlivePolicy: resolveKeepAlivePolicy(node['keepAlivePolicy'], ctx),
    },
    heartbeatMs: ctx.positiveMs(c['heartbeat'], ['cluster', 'heartbeat'], DEFAULT_SCENARIO.heartbeatMs),
    missLimit: pick('missLimit', c['missLimit'], DEFAULT_SCENARIO.missLimit),
    placement: pick('placement', c['placement'], DEFAULT_SCENARIO.placement),
    shardSize: pick('shardSize', c['shardSize'], DEFAULT_SCENARIO.shardSize),
    detector: pick('detector', c['detector'], DEFAULT_SCENARIO.detector),
    outlier: resolveOutlier(c['outlier'] as Raw | undefined, ctx),
    headroom: pick('headroom', c['headroom'], 0),
    // A scenario's bursts are limited by capacity, not by Lambda's per-function scaling rate, unless it says so.
    scalingRate: pick('scalingRate', c['scalingRate'], Math.max(1000, pick('accountConcurrency', c['accountConcurrency'], DEFAULT_SCENARIO.accountConcurrency))),
    timeScale: pick('timeScale', c['timeScale'], DEFAULT_SCENARIO.timeScale),
    failover: pick('failover', c['failover'], DEFAULT_SCENARIO.failover),
    accountConcurrency: pick('accountConcurrency', c['accountConcurrency'], DEFAULT_SCENARIO.accountConcurrency),
    cpuModel: pick('cpuModel', c['cpuModel'], DEFAULT_SCENARIO.cpuModel),
    ledger: ledgerDetail(c['ledger'], ctx),
  };
}
