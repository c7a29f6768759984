import type { NdjsonWriter, ZoneTransition } from '@zonesim/scenario';
import type { LoadClient } from '../client/cluster-client.js';

type Health = ZoneTransition['health'];

/**
 * Polls the coordinator's view of zones and nodes and writes every change of health to
 * `zones.ndjson` (a node that left the view is `down`), so the checker can measure detection:
 * the time from a fault to the coordinator marking its zone down. Polls that fail (the coordinator
 * is restarting) are skipped.
 */
export class ZoneWatcher {
  readonly #client: LoadClient;
  readonly #out: NdjsonWriter<ZoneTransition>;
  readonly #intervalMs: number;
  readonly #zoneHealth = new Map<string, Health>();
  readonly #nodeHealth = new Map<string, { zone: string; health: Health }>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #stopped = false;

  constructor(args: { client: LoadClient; out: NdjsonWriter<ZoneTransition>; intervalMs?: number }) {
    this.#client = args.client;
    this.#out = args.out;
    this.#intervalMs = args.intervalMs ?? 50;
  }

  /** Zones not `down`, and all zones, as last seen. */
  get counts(): { up: number; total: number } {
    let up = 0;
    for (const h of this.#zoneHealth.values()) if (h !== 'down') up++;
    return { up, total: this.#zoneHealth.size };
  }

  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    try {
      const r = await this.#client.json('GET', '/zonesim/v1/zones', undefined, 2_000);
      if (r.status !== 200 || this.#stopped) return;
      const t = Date.now();
      const seen = new Set<string>();
      for (const z of r.body.zones as Array<{ zone: string; health: Health; nodes: Array<{ nodeId: string; health: Health }> }>) {
        if (this.#zoneHealth.get(z.zone) !== z.health) {
          this.#zoneHealth.set(z.zone, z.health);
          this.#out.write({ t, zone: z.zone, health: z.health });
        }
        for (const n of z.nodes) {
          seen.add(n.nodeId);
          if (this.#nodeHealth.get(n.nodeId)?.health !== n.health) {
            this.#nodeHealth.set(n.nodeId, { zone: z.zone, health: n.health });
            this.#out.write({ t, zone: z.zone, nodeId: n.nodeId, health: n.health });
          }
        }
      }
      for (const [nodeId, n] of this.#nodeHealth) {
        if (!seen.has(nodeId) && n.health !== 'down') {
          n.health = 'down';
          this.#out.write({ t, zone: n.zone, nodeId, health: 'down' });
        }
      }
    } catch {
      // the coordinator is away; the next poll tries again
    } finally {
      this.#polling = false;
    }
  }
}
