import { apiFetch } from '../lambda-http.js';
import { renderTable } from '../table.js';

/** `zonesim zones`: the coordinator's live view of zones and nodes. */
export async function runZonesCommand(flags: { endpointUrl: string; json?: boolean }): Promise<number> {
  const res = await apiFetch(`${flags.endpointUrl.replace(/\/$/, '')}/zonesim/v1/zones`);
  if (!res.ok) throw new Error(`GET /zonesim/v1/zones answered HTTP ${res.status} ${res.headers.get('x-amzn-errortype') ?? ''}`.trim());
  const body = (await res.json()) as {
    zones: Array<{
      zone: string;
      health: string;
      nodes: Array<{
        nodeId: string;
        health: string;
        suspectReason?: string;
        refusals?: { inARow: number; total: number; lastCode?: string; probationEndsInMs?: number };
        inFlight: number;
        idleEnvironments: number;
        capacity: { maxEnvironments: number };
        lastSeenMsAgo: number;
      }>;
    }>;
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  const rows: Array<Array<string | number>> = [];
  for (const z of body.zones) {
    if (z.nodes.length === 0) rows.push([z.zone, z.health, '-', '-', '-', '-', '-']);
    for (const n of z.nodes) rows.push([z.zone, z.health, n.nodeId, nodeHealth(n), `${n.inFlight}/${n.capacity.maxEnvironments}`, n.idleEnvironments, n.lastSeenMsAgo]);
  }
  process.stdout.write(renderTable(['zone', 'zone health', 'node', 'node health', 'busy', 'idle envs', 'last seen ms'], rows));
  return 0;
}

/** `suspect (refusing: 3 in a row, NODE_AT_CAPACITY; probation in 14.2 s)`, `suspect (silent)`, or the health. */
function nodeHealth(n: { health: string; suspectReason?: string; refusals?: { inARow: number; lastCode?: string; probationEndsInMs?: number } }): string {
  if (n.health !== 'suspect' || n.suspectReason === undefined) return n.health;
  if (n.suspectReason !== 'refusing' || !n.refusals) return `suspect (${n.suspectReason})`;
  const r = n.refusals;
  const probation = r.probationEndsInMs === undefined ? '' : `; probation in ${(r.probationEndsInMs / 1000).toFixed(1)} s`;
  return `suspect (refusing: ${r.inARow} in a row${r.lastCode ? `, ${r.lastCode}` : ''}${probation})`;
}
