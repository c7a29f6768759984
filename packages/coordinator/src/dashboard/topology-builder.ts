import type { Clock } from '@zonesim/common';
import type { EnvironmentReport } from '@zonesim/protocol';
import type { ControlsView, EnvironmentState, EnvironmentView, NodeView, Topology, ZoneView } from '@zonesim/dashboard';
import type { Membership } from '../membership/membership.js';

/** Settings of a {@link TopologyBuilder}. */
export interface TopologyBuilderSettings {
  region: string;
  /** Environments listed per node (the counts stay exact). */
  maxEnvironmentsPerNode: number;
  /** How long an environment that went away is still drawn, as `evicted`. */
  evictedShowMs: number;
  /** How long a node whose link was lost is still drawn, as `down` with its environments evicted. */
  ghostNodeMs: number;
}

/** Evicted environments remembered per node. */
const MAX_EVICTED_PER_NODE = 64;

interface KnownEnvironment {
  fn: string;
  provisioned: boolean;
}

interface NodeMemory {
  zone: string;
  maxEnvironments: number;
  /** `environmentsAt` of the report last read. */
  reportAt: number;
  /** Environments of the last report, when it listed them all (else diffs would invent evictions). */
  complete: Map<string, KnownEnvironment> | undefined;
  evicted: Map<string, KnownEnvironment & { at: number }>;
  /** Set when the node's session went away. */
  goneAt?: number;
}

const FAULT_LABEL: Record<string, string> = { kill: 'killed', freeze: 'frozen', partition: 'partitioned', latency: 'latency', gray: 'gray failure' };

/**
 * Builds the dashboard's topology, region -> zones -> nodes -> environments, from the membership
 * (zones, node health) and the environment reports nodes send in their heartbeats. It adds what
 * only the coordinator knows: environments that went away since the last report (`evicted`, shown
 * for a few seconds), environments of a zone frozen by the controls (`frozen`), and nodes whose
 * link was lost (kept as `down` ghosts with their environments evicted, so a class sees what the
 * zone's death took with it).
 */
export class TopologyBuilder {
  readonly #settings: TopologyBuilderSettings;
  readonly #membership: Membership;
  readonly #clock: Clock;
  readonly #nodes = new Map<string, NodeMemory>();

  constructor(settings: TopologyBuilderSettings, deps: { membership: Membership; clock: Clock }) {
    this.#settings = settings;
    this.#membership = deps.membership;
    this.#clock = deps.clock;
  }

  build(controls: ControlsView): Topology {
    const now = this.#clock.now();
    const zoneFaults = new Map<string, string[]>();
    const frozen = new Set<string>();
    // A partitioned node's environments are alive but out of reach, as a frozen one's: when its
    // link is declared down they are drawn frozen (they come back warm), not evicted.
    const unreachable = new Set<string>();
    for (const c of controls.active) {
      const list = zoneFaults.get(c.zone) ?? [];
      list.push(c.detail ? `${FAULT_LABEL[c.action] ?? c.action} (${c.detail})` : (FAULT_LABEL[c.action] ?? c.action));
      zoneFaults.set(c.zone, list);
      if (c.action === 'freeze') frozen.add(c.zone);
      if (c.action === 'freeze' || c.action === 'partition') unreachable.add(c.zone);
    }
    const sessions = new Map(this.#membership.sessions().map((s) => [s.nodeId, s]));
    const zones: ZoneView[] = this.#membership.zones().map((z) => ({ zone: z.zone, health: z.health, nodes: [], faults: zoneFaults.get(z.zone) ?? [] }));
    const byZone = new Map(zones.map((z) => [z.zone, z]));

    for (const z of this.#membership.zones()) {
      for (const n of z.nodes) {
        const session = sessions.get(n.nodeId);
        const memory = this.#memory(n.nodeId, z.zone, n.capacity.maxEnvironments);
        memory.goneAt = undefined;
        if (session?.environments && session.environmentsAt !== memory.reportAt) this.#read(memory, session.environments, session.environmentsAt);
        byZone.get(z.zone)?.nodes.push(this.#node(n.nodeId, n.health, n.inFlight, memory, session?.environments, n.idleEnvironments, frozen.has(z.zone), now));
      }
    }
    // Nodes whose session went away: drawn down, everything they held evicted, for a while.
    for (const [nodeId, memory] of this.#nodes) {
      if (sessions.has(nodeId)) continue;
      memory.goneAt ??= now;
      const held = unreachable.has(memory.zone);
      if (!held && memory.complete) {
        for (const [id, env] of memory.complete) this.#evict(memory, id, env, now);
        memory.complete = undefined;
      }
      if (now - memory.goneAt > this.#settings.ghostNodeMs) {
        this.#nodes.delete(nodeId);
        continue;
      }
      const zone = byZone.get(memory.zone);
      if (zone && !zone.nodes.some((n) => n.nodeId === nodeId)) {
        // Frozen or partitioned: its last environments, drawn frozen; killed: all evicted.
        const kept: EnvironmentReport | undefined = held && memory.complete
          ? { initializing: 0, busy: 0, idle: memory.complete.size, list: [...memory.complete].map(([id, e]) => ({ id, functionName: e.fn, state: 'idle' as const, ...(e.provisioned ? { provisioned: true } : {}) })) }
          : undefined;
        zone.nodes.push(this.#node(nodeId, 'down', 0, memory, kept, 0, held, now));
      }
    }
    for (const z of zones) z.nodes.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return { region: this.#settings.region, zones };
  }

  #memory(nodeId: string, zone: string, maxEnvironments: number): NodeMemory {
    let m = this.#nodes.get(nodeId);
    if (!m) {
      m = { zone, maxEnvironments, reportAt: -1, complete: undefined, evicted: new Map() };
      this.#nodes.set(nodeId, m);
    }
    return m;
  }

  /** A new report: environments of the previous complete list that are gone were evicted. */
  #read(memory: NodeMemory, report: EnvironmentReport, at: number): void {
    memory.reportAt = at;
    const complete = report.list.length === report.initializing + report.busy + report.idle;
    const next = new Map<string, KnownEnvironment>();
    for (const e of report.list) next.set(e.id, { fn: e.functionName, provisioned: e.provisioned === true });
    if (memory.complete && complete) {
      for (const [id, env] of memory.complete) if (!next.has(id)) this.#evict(memory, id, env, at);
    }
    for (const id of next.keys()) memory.evicted.delete(id);
    memory.complete = complete ? next : undefined;
  }

  #evict(memory: NodeMemory, id: string, env: KnownEnvironment, at: number): void {
    memory.evicted.set(id, { ...env, at });
    if (memory.evicted.size > MAX_EVICTED_PER_NODE) memory.evicted.delete(memory.evicted.keys().next().value!);
  }

  #node(
    nodeId: string,
    health: NodeView['health'],
    inFlight: number,
    memory: NodeMemory,
    report: EnvironmentReport | undefined,
    idleEstimate: number,
    frozen: boolean,
    now: number,
  ): NodeView {
    const counts: Record<EnvironmentState, number> = { initializing: 0, busy: 0, 'warm-idle': 0, frozen: 0, evicted: 0 };
    const environments: EnvironmentView[] = [];
    const max = this.#settings.maxEnvironmentsPerNode;
    let total = 0;
    if (report) {
      total = report.initializing + report.busy + report.idle;
      if (frozen) counts.frozen = total;
      else {
        counts.initializing = report.initializing;
        counts.busy = report.busy;
        counts['warm-idle'] = report.idle;
      }
      for (const e of report.list) {
        if (environments.length >= max) break;
        const state: EnvironmentState = frozen ? 'frozen' : e.state === 'idle' ? 'warm-idle' : e.state;
        environments.push({ id: e.id, fn: e.functionName, state, ...(e.provisioned ? { provisioned: true } : {}) });
      }
    } else if (memory.goneAt === undefined) {
      // A node that sends no report (an older zone node): the coordinator's own estimates.
      counts.busy = inFlight;
      counts['warm-idle'] = idleEstimate;
      total = inFlight + idleEstimate;
    }
    for (const [id, e] of memory.evicted) {
      if (now - e.at > this.#settings.evictedShowMs) {
        memory.evicted.delete(id);
        continue;
      }
      counts.evicted++;
      total++;
      if (environments.length < max) environments.push({ id, fn: e.fn, state: 'evicted', ...(e.provisioned ? { provisioned: true } : {}) });
    }
    return {
      nodeId,
      health,
      inFlight,
      maxEnvironments: memory.maxEnvironments,
      counts,
      environments,
      hidden: Math.max(0, total - environments.length),
      faults: frozen ? ['frozen'] : [],
    };
  }
}
