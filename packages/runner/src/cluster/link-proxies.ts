import { LinkProxy } from '@zonesim/link-proxy';
import type { LocalClusterOptions } from './local-cluster.js';

/**
 * A `zoneLinkUrl` for {@link LocalClusterOptions} that puts a {@link LinkProxy} in front of each
 * zone node's link to the coordinator and records it in `proxies` by node id, so that network
 * faults act on that node's real sockets (the scenario runner, `zonesim up` and the dashboard's
 * controls all start clusters this way). The caller stops the proxies after the cluster.
 */
export function linkProxiesInFront(proxies: Map<string, LinkProxy>): NonNullable<LocalClusterOptions['zoneLinkUrl']> {
  return async (zone, nodeId, coordinatorZoneUrl) => {
    const target = new URL(coordinatorZoneUrl);
    const proxy = new LinkProxy({ name: `${zone}/${nodeId}`, targetHost: target.hostname, targetPort: Number(target.port) });
    const { host, port } = await proxy.start();
    proxies.set(nodeId, proxy);
    return `ws://${host}:${port}${target.pathname}`;
  };
}
