import type { Clock, TimerHandle } from '@zonesim/common';
import type { NdjsonWriter, ZoneTransition } from '@zonesim/scenario';
import type { AdminClient } from '../client/admin-client.js';

/** Default of the watcher's `intervalMs`: detection is measured to within one poll. */
export const DEFAULT_ZONE_POLL_MS = 50;
/** Client timeout of one poll (a poll that takes longer is skipped, not waited for). */
export const ZONE_POLL_TIMEOUT_MS = 2_000;

type Health = ZoneTransition['health'];

/**
 * Polls the coordinator's view of zones and nodes and writes every change of health to
 * `zones.ndjson` (a node that left the view is `down`), so the checker can measure detection:
 * the time from a fault to the coordinator marking its zone down. Polls that fail (the coordinator
 * is restarting) are skipped.
 */
export class ZoneWatcher {
  readonly #admin: AdminClient;
  readonly #clock: Clock;
  readonly #out: NdjsonWriter<ZoneTransition>;
  readonly #intervalMs: number;
  readonly #zoneHealth = new Map<string, Health>();
  readonly #nodeHealth = new Map<string, { zone: string; health: Health }>();
  #timer: TimerHandle | undefined;
  #polling = false;
  #stopped = false;

  constructor(args: {
    admin: AdminClient;
    /** Polls run on it; transitions carry its time. */
    clock: Clock;
    out: NdjsonWriter<ZoneTransition>;
    /** @default 50 ({@link DEFAULT_ZONE_POLL_MS}) */
    intervalMs?: number;
  }) {
    this.#admin = args.admin;
    this.#clock = args.clock;
    this.#out = args.out;
    this.#intervalMs = args.intervalMs ?? DEFAULT_ZONE_POLL_MS;
  }

  /** Zones not `down`, and all zones, as last seen. */
  get counts(): { up: number; total: number } {
    let up = 0;
    for (const h of this.#zoneHealth.values()) if (h !== 'down') up++;
    return { up, total: this.#zoneHealth.size };
  }

  async start(): Promise<void> {
    await this.#poll();
    this.#timer = this.#clock.setInterval(() => void this.#poll(), this.#intervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.#clock.clearInterval(this.#timer);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    try {
      const view = await this.#admin.zones({ timeoutMs: ZONE_POLL_TIMEOUT_MS });
      if (this.#stopped) return;
      const t = this.#clock.now();
      const seen = new Set<string>();
      for (const z of view.zones) {
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
      // the coordinator is away (or answered an error); the next poll tries again
    } finally {
      this.#polling = false;
    }
  }
}
