import { withAdminClient } from '../lambda-http.js';
import { renderTable } from '../table.js';

/** A node's sandbox as `/zonesim/v1/zones` reports it (issue 15; absent from older nodes). */
interface SandboxView {
  kind: string;
  reason?: string;
  cpuModel?: string;
}

/**
 * One table cell for a node's sandbox: `bwrap+cgroup`, `bwrap (no cgroup v1 memory controller)`,
 * `none (bwrap not found)`, with `, cpu lambda` when CPU follows memory. `--json` has the whole reason.
 */
export function formatSandbox(s: SandboxView | undefined): string {
  if (!s) return '-';
  const reason = s.reason ? ` (${s.reason.length > 60 ? `${s.reason.slice(0, 59)}…` : s.reason})` : '';
  return `${s.kind}${reason}${s.cpuModel === 'lambda' ? ', cpu lambda' : ''}`;
}

/** `zonesim zones`: the coordinator's live view of zones and nodes. */
export async function runZonesCommand(flags: { endpointUrl: string; json?: boolean }): Promise<number> {
  const body = await withAdminClient(flags.endpointUrl, 'GET /zonesim/v1/zones', (admin) => admin.zones());
  if (flags.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  const rows: Array<Array<string | number>> = [];
  for (const z of body.zones) {
    if (z.nodes.length === 0) rows.push([z.zone, z.health, '-', '-', '-', '-', '-', '-']);
    for (const n of z.nodes) {
      rows.push([z.zone, z.health, n.nodeId, n.health, `${n.inFlight}/${n.capacity.maxEnvironments}`, n.idleEnvironments, n.lastSeenMsAgo, `${n.isolation ?? '-'}, ${formatSandbox(n.sandbox)}`]);
    }
  }
  process.stdout.write(renderTable(['zone', 'zone health', 'node', 'node health', 'busy', 'idle envs', 'last seen ms', 'isolation, sandbox'], rows));
  return 0;
}
