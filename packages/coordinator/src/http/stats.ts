import type { ApiServerDeps } from './api-server.js';
import type { ConnectionCounts } from './connection-limits.js';

/**
 * `GET /zonesim/v1/stats`: zones, invocations (counts, latency, last minute), async queue, bill,
 * and the front door's HTTP connections (open, idle, evicted, refused).
 */
export function clusterStats(
  d: Pick<ApiServerDeps, 'membership' | 'router' | 'ledger' | 'asyncInvocations' | 'provisioned'>,
  connections: ConnectionCounts,
): Record<string, unknown> {
  let queue: unknown = null;
  try {
    queue = d.asyncInvocations.store.stats();
  } catch {
    // not running
  }
  return {
    time: new Date().toISOString(),
    zones: d.membership.zones().map((z) => ({ zone: z.zone, health: z.health, nodes: z.nodes.length, inFlight: z.nodes.reduce((n, x) => n + x.inFlight, 0) })),
    waitingInvocations: d.router.waiting,
    invocations: d.ledger.stats(),
    async: queue,
    provisionedConcurrency: d.provisioned.allocations(),
    billing: d.ledger.billing.run(),
    httpConnections: connections,
  };
}
