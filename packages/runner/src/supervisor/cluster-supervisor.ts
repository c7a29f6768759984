import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SUPERVISOR_PROTOCOL_VERSION,
  SupervisorErrorCode,
  ZoneFaultAction,
  parseSupervisorRequest,
  type SupervisorMessage,
  type SupervisorRequest,
  type SupervisorState,
  type SigV4Credentials,
  type SupervisorZoneFault,
} from '@zonesim/coordinator';
import type { LinkProxy } from '@zonesim/link-proxy';
import { loadScenario, formatScenarioErrors } from '@zonesim/scenario';
import type { LocalCluster } from '../cluster/local-cluster.js';
import type { WorldSupervisor } from '../world/real-world.js';
import { ScenarioSession } from './scenario-session.js';

/** The shipped scenarios, beside the packages (`sim-scenarios/`; this file is `packages/runner/dist/supervisor/`). */
export const SHIPPED_SCENARIOS_DIR = fileURLToPath(new URL('../../../../sim-scenarios', import.meta.url));

/** Settings of a {@link ClusterSupervisor}. */
export interface ClusterSupervisorOptions {
  /** Where a scenario started from the dashboard writes its history and faults. */
  resultsDir: string;
  /** Scenarios that may be started. @default {@link SHIPPED_SCENARIOS_DIR} */
  scenariosDir?: string;
  /** Event lines (faults applied, scenarios). @default none */
  log?: (text: string) => void;
  /** The key the cluster's API requires (a scenario started from the dashboard signs with it). @default none */
  credentials?: SigV4Credentials;
}

interface HeldFault {
  fault: SupervisorZoneFault;
  undo: () => Promise<void>;
}

/** A refusal, carried as data to the coordinator. */
class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The supervisor of a local cluster (issue 9): the process that owns the zone nodes' process
 * handles and link proxies (`zonesim up`, `zonesim demo --dashboard`) answers its coordinator's
 * requests for process and network faults, so the dashboard's buttons act on real processes and
 * links exactly as a scenario's faults do: kill (SIGKILL, heal restarts), freeze (SIGSTOP /
 * SIGCONT), partition (blackhole toxic both ways), latency (latency toxic both ways). It can also
 * start a shipped scenario against the cluster. Requests run one at a time; `stop()` heals all.
 */
export class ClusterSupervisor implements WorldSupervisor {
  readonly #options: ClusterSupervisorOptions;
  readonly #held = new Map<string, HeldFault>();
  readonly #links = new Set<(m: SupervisorMessage) => void>();
  readonly #scenarios: string[];
  #cluster: LocalCluster | undefined;
  #proxies: ReadonlyMap<string, LinkProxy> = new Map();
  #queue: Promise<unknown> = Promise.resolve();
  #session: ScenarioSession | undefined;
  #stopped = false;

  constructor(options: ClusterSupervisorOptions) {
    this.#options = options;
    const dir = options.scenariosDir ?? SHIPPED_SCENARIOS_DIR;
    this.#scenarios = existsSync(dir) ? readdirSync(dir).filter((f) => /^[a-z0-9][a-z0-9-]{0,63}\.yaml$/.test(f)).map((f) => f.slice(0, -5)).sort() : [];
  }

  /** The cluster to act on, once started (requests before that are refused as not ready). */
  attach(cluster: LocalCluster, proxies: ReadonlyMap<string, LinkProxy>): void {
    this.#cluster = cluster;
    this.#proxies = proxies;
    this.#broadcast();
  }

  connect(send: (message: SupervisorMessage) => void): { receive(message: unknown): void; close(): void } {
    this.#links.add(send);
    return {
      receive: (raw) => {
        const request = parseSupervisorRequest(raw);
        if (!request) {
          const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : -1;
          if (id >= 0) send({ type: 'reply', id, ok: false, error: { code: SupervisorErrorCode.InvalidRequest, message: 'malformed request' } });
          return;
        }
        // One request at a time: a heal never races the kill it undoes.
        this.#queue = this.#queue.then(() => this.#answer(request, send));
      },
      close: () => void this.#links.delete(send),
    };
  }

  state(): SupervisorState {
    const s = this.#session;
    return {
      v: SUPERVISOR_PROTOCOL_VERSION,
      zones: this.#cluster ? [...new Set(this.#cluster.zoneNodes.map((n) => n.zone))] : [],
      network: this.#proxies.size > 0,
      faults: [...this.#held.values()].map((h) => h.fault),
      scenarios: this.#scenarios,
      ...(s ? { scenario: { name: s.name, state: s.state, startedAt: s.startedAt, endsAt: s.endsAt, ...(s.message ? { message: s.message } : {}) } } : {}),
    };
  }

  /**
   * Stops a running scenario and undoes the faults before the cluster stops: frozen nodes get
   * SIGCONT (so they can stop gracefully), toxics go; killed nodes are not restarted only to be
   * stopped. Safe twice.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#session?.stop().catch(() => undefined);
    await this.#queue.catch(() => undefined);
    for (const [key, held] of [...this.#held]) {
      this.#held.delete(key);
      if (held.fault.action !== ZoneFaultAction.Kill) await held.undo().catch(() => undefined);
    }
  }

  async #answer(request: SupervisorRequest, send: (m: SupervisorMessage) => void): Promise<void> {
    try {
      await this.#apply(request);
      send({ type: 'reply', id: request.id, ok: true, state: this.state() });
    } catch (err) {
      const code = err instanceof Refusal ? err.code : SupervisorErrorCode.Failed;
      send({ type: 'reply', id: request.id, ok: false, error: { code, message: (err as Error).message } });
    }
    this.#broadcast(send);
  }

  async #apply(request: SupervisorRequest): Promise<void> {
    if (request.type === 'describe') return;
    if (this.#stopped) throw new Refusal(SupervisorErrorCode.NotReady, 'the cluster is stopping');
    if (!this.#cluster) throw new Refusal(SupervisorErrorCode.NotReady, 'the cluster is still starting');
    switch (request.type) {
      case 'zone-fault':
        return this.#fault(request.zone, request.action, request.latencyMs);
      case 'zone-heal':
        return this.#heal(request.zone);
      case 'scenario-start':
        return this.#startScenario(request.name);
      case 'scenario-stop':
        await this.#session?.stop();
        return;
    }
  }

  #nodes(zone: string): LocalCluster['zoneNodes'] {
    const nodes = this.#cluster?.zoneNodes.filter((n) => n.zone === zone) ?? [];
    if (nodes.length === 0) throw new Refusal(SupervisorErrorCode.UnknownZone, `this cluster has no zone ${zone}`);
    return nodes;
  }

  #proxiesOf(zone: string): LinkProxy[] {
    if (this.#proxies.size === 0) throw new Refusal(SupervisorErrorCode.NotSupported, 'this cluster runs without link proxies: partition and latency are not available');
    return this.#nodes(zone).map((n) => {
      const p = this.#proxies.get(n.nodeId);
      if (!p) throw new Refusal(SupervisorErrorCode.NotSupported, `no link proxy in front of ${n.nodeId}`);
      return p;
    });
  }

  async #fault(zone: string, action: ZoneFaultAction, latencyMs: number | undefined): Promise<void> {
    const nodes = this.#nodes(zone);
    const key = `${zone}/${action}`;
    const since = Date.now();
    const killed = this.#held.has(`${zone}/${ZoneFaultAction.Kill}`);
    switch (action) {
      case ZoneFaultAction.Kill: {
        if (killed) return;
        // A frozen process dies as well; it needs no SIGCONT afterwards.
        this.#held.delete(`${zone}/${ZoneFaultAction.Freeze}`);
        for (const n of nodes) n.handle.signal('SIGKILL');
        this.#held.set(key, {
          fault: { zone, action, since },
          undo: async () => {
            for (const n of this.#nodes(zone)) {
              // Reaped by now, unless something else (a scenario) already restarted it.
              await Promise.race([n.handle.exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
              if (!n.handle.running) await this.#cluster!.restartZoneNode(n.nodeId);
            }
          },
        });
        this.#log(`killed zone ${zone} (${nodes.map((n) => n.nodeId).join(', ')})`);
        return;
      }
      case ZoneFaultAction.Freeze: {
        if (killed) throw new Refusal(SupervisorErrorCode.Busy, `zone ${zone} is killed; heal it first`);
        if (this.#held.has(key)) return;
        for (const n of nodes) n.handle.signal('SIGSTOP');
        this.#held.set(key, { fault: { zone, action, since }, undo: async () => nodes.forEach((n) => n.handle.signal('SIGCONT')) });
        this.#log(`froze zone ${zone}`);
        return;
      }
      case ZoneFaultAction.Partition:
      case ZoneFaultAction.Latency: {
        const proxies = this.#proxiesOf(zone);
        await this.#held.get(key)?.undo();
        this.#held.delete(key);
        const toxic = action === ZoneFaultAction.Partition
          ? ({ type: 'blackhole', direction: 'both' } as const)
          : ({ type: 'latency', latencyMs: latencyMs ?? 300, jitterMs: 0, direction: 'both' } as const);
        const ids = proxies.map((p) => p.addToxic(toxic));
        this.#held.set(key, {
          fault: { zone, action, since, ...(action === ZoneFaultAction.Latency ? { detail: `${latencyMs ?? 300} ms` } : {}) },
          undo: async () => proxies.forEach((p, i) => p.removeToxic(ids[i]!)),
        });
        this.#log(action === ZoneFaultAction.Partition ? `partitioned zone ${zone}` : `added ${latencyMs ?? 300} ms to zone ${zone}'s links`);
        return;
      }
    }
  }

  /** Undoes a zone's faults, the kill last (its nodes restart once everything else is undone). */
  async #heal(zone: string): Promise<void> {
    this.#nodes(zone);
    const order = [ZoneFaultAction.Latency, ZoneFaultAction.Partition, ZoneFaultAction.Freeze, ZoneFaultAction.Kill];
    const errors: string[] = [];
    for (const action of order) {
      const held = this.#held.get(`${zone}/${action}`);
      if (!held) continue;
      this.#held.delete(`${zone}/${action}`);
      try {
        await held.undo();
      } catch (err) {
        errors.push(`${action}: ${(err as Error).message}`);
      }
    }
    this.#log(`healed zone ${zone}${errors.length ? ` (${errors.join('; ')})` : ''}`);
    if (errors.length > 0) throw new Refusal(SupervisorErrorCode.Failed, errors.join('; '));
  }

  async #startScenario(name: string): Promise<void> {
    if (!this.#scenarios.includes(name)) throw new Refusal(SupervisorErrorCode.UnknownScenario, `no shipped scenario ${name}`);
    if (this.#session?.state === 'running') throw new Refusal(SupervisorErrorCode.Busy, `scenario ${this.#session.name} is running`);
    const loaded = await loadScenario(join(this.#options.scenariosDir ?? SHIPPED_SCENARIOS_DIR, `${name}.yaml`));
    if (!loaded.scenario) throw new Refusal(SupervisorErrorCode.Failed, formatScenarioErrors(loaded.errors));
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    this.#session = new ScenarioSession({
      scenario: loaded.scenario,
      cluster: this.#cluster!,
      proxies: this.#proxies,
      outDir: join(this.#options.resultsDir, `${name}-${stamp}`),
      log: (text) => this.#log(text),
      onChange: () => this.#broadcast(),
      ...(this.#options.credentials ? { credentials: this.#options.credentials } : {}),
    });
    this.#log(`scenario ${name} started`);
  }

  /** Tells every connected coordinator (but the one just answered) the new state. */
  #broadcast(except?: (m: SupervisorMessage) => void): void {
    const message: SupervisorMessage = { type: 'state', state: this.state() };
    for (const send of this.#links) if (send !== except) send(message);
  }

  #log(text: string): void {
    this.#options.log?.(text);
  }
}
