import { formatLedgerDetail, parseLedgerDetail } from '@zonesim/ledger';
import { DEFAULT_SCENARIO } from './defaults.js';
import { ScenarioErrorCode } from './errors.js';
import type { Raw, ResolveContext } from './resolve-context.js';
import { defaultZoneNames } from './topology.js';
import type { ResolvedCluster } from './types.js';

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
    },
    heartbeatMs: ctx.positiveMs(c['heartbeat'], ['cluster', 'heartbeat'], DEFAULT_SCENARIO.heartbeatMs),
    missLimit: pick('missLimit', c['missLimit'], DEFAULT_SCENARIO.missLimit),
    placement: pick('placement', c['placement'], DEFAULT_SCENARIO.placement),
    shardSize: pick('shardSize', c['shardSize'], DEFAULT_SCENARIO.shardSize),
    timeScale: pick('timeScale', c['timeScale'], DEFAULT_SCENARIO.timeScale),
    failover: pick('failover', c['failover'], DEFAULT_SCENARIO.failover),
    accountConcurrency: pick('accountConcurrency', c['accountConcurrency'], DEFAULT_SCENARIO.accountConcurrency),
    cpuModel: pick('cpuModel', c['cpuModel'], DEFAULT_SCENARIO.cpuModel),
    ledger: ledgerDetail(c['ledger'], ctx),
  };
}
