import type { ApiServerDeps } from './api-server.js';
import type { ConnectionCounts } from './connection-limits.js';

/**
 * `GET /zonesim/v1/stats`: zones, invocations (counts, latency, last minute), async queue, bill,
 * the front door's HTTP connections (open, idle, evicted, refused), and the coordinator's event-loop
 * delay and upload workers (queued, refused, failed).
 */
export function clusterStats(
  d: Pick<ApiServerDeps, 'membership' | 'router' | 'ledger' | 'asyncInvocations' | 'provisioned' | 'runtime' | 'clock'>,
  connections: ConnectionCounts,
): Record<string, unknown> {
  let queue: unknown = null;
  try {
    queue = d.asyncInvocations.store.stats();
  } catch {
    // not running
  }
  return {
    time: new Date(d.clock.now()).toISOString(),
    zones: d.membership.zones().map((z) => ({ zone: z.zone, health: z.health, nodes: z.nodes.length, inFlight: z.nodes.reduce((n, x) => n + x.inFlight, 0) })),
    waitingInvocations: d.router.waiting,
    invocations: d.ledger.stats(),
    async: queue,
    provisionedConcurrency: d.provisioned.allocations(),
    billing: d.ledger.billing.run(),
    httpConnections: connections,
    ...(d.runtime ? { eventLoop: d.runtime.eventLoop(), uploads: d.runtime.uploads() } : {}),
  };
}
