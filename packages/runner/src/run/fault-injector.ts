import type { Clock } from '@zonesim/common';
import type { Toxic } from '@zonesim/link-proxy';
import type { FaultRecord, LinkDirection, NdjsonWriter, ScheduledFault } from '@zonesim/scenario';
import type { AdminClient } from '../client/admin-client.js';
import type { FaultActuator, WorldNode } from '../world/run-world.js';

/** Client timeout of a fault window's announcement (not fatal: faults.ndjson is what the checker reads). */
const ANNOUNCE_TIMEOUT_MS = 5_000;

/** The link's direction for a scenario's: the link's upstream is zone node -> coordinator. */
function linkDirection(d: LinkDirection): 'both' | 'upstream' | 'downstream' {
  if (d === 'to-coordinator') return 'upstream';
  if (d === 'to-zone') return 'downstream';
  return 'both';
}

interface Applied {
  fault: ScheduledFault;
  record: FaultRecord;
  /** Undo steps, run in reverse order at heal. */
  undo: Array<() => Promise<void> | void>;
}

/**
 * Applies and heals a scenario's faults on a world: through its {@link FaultActuator} on processes
 * (kill, pause, coordinator-restart) and on each node's link (partition, disconnect, latency, loss,
 * bandwidth), and through the admin API (gray, brownout). Every fault is announced to the
 * coordinator as a window (so ledger records carry its id) and written to `faults.ndjson` when
 * applied and when healed. `healAll` undoes whatever is still applied, and is what the runner
 * calls on every way out.
 */
export class FaultInjector {
  readonly #nodes: readonly WorldNode[];
  readonly #actuator: FaultActuator;
  readonly #admin: AdminClient;
  readonly #clock: Clock;
  readonly #out: NdjsonWriter<FaultRecord>;
  readonly #onEvent: (text: string) => void;
  readonly #applied = new Map<string, Applied>();
  /**
   * Faults holding each node killed, or paused. Faults overlap (a host fails while its zone is down;
   * stochastic failures draw both): a node comes back only when the last fault holding it down
   * heals, and a node killed while paused stays killed, then paused again after its restart while a
   * pause still holds it.
   */
  readonly #killHolds = new Map<string, number>();
  readonly #pauseHolds = new Map<string, number>();

  constructor(args: {
    /** The world's zone nodes (a fault's node targets are looked up here). */
    nodes: readonly WorldNode[];
    actuator: FaultActuator;
    admin: AdminClient;
    /** Records carry its time. */
    clock: Clock;
    out: NdjsonWriter<FaultRecord>;
    onEvent?: (text: string) => void;
  }) {
    this.#nodes = args.nodes;
    this.#actuator = args.actuator;
    this.#admin = args.admin;
    this.#clock = args.clock;
    this.#out = args.out;
    this.#onEvent = args.onEvent ?? (() => undefined);
  }

  /** Ids of the faults applied and not healed. */
  active(): string[] {
    return [...this.#applied.keys()];
  }

  async apply(fault: ScheduledFault): Promise<void> {
    const record: FaultRecord = { id: fault.id, action: fault.action, target: fault.targets, startAt: this.#clock.now() };
    const applied: Applied = { fault, record, undo: [] };
    this.#applied.set(fault.id, applied);
    // Announce first: a coordinator about to be killed cannot hear it afterwards.
    await this.#announce(fault);
    try {
      await this.#do(fault, applied);
    } catch (err) {
      record.error = `${(err as Error).message}`.slice(0, 1024);
    }
    this.#out.write({ ...record });
    this.#onEvent(`fault ${fault.id} (${fault.action}) applied${record.error ? `: ${record.error}` : ''}`);
  }

  async heal(id: string): Promise<void> {
    const applied = this.#applied.get(id);
    if (!applied) return;
    this.#applied.delete(id);
    const errors: string[] = [];
    for (const step of applied.undo.reverse()) {
      try {
        await step();
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    try {
      await this.#admin.closeFault(id);
    } catch {
      // The coordinator may be down or restarted (the window went with it).
    }
    const record: FaultRecord = { ...applied.record, endAt: this.#clock.now() };
    if (errors.length > 0) record.error = [applied.record.error, ...errors].filter(Boolean).join('; ').slice(0, 1024);
    this.#out.write(record);
    this.#onEvent(`fault ${id} healed${errors.length ? `: ${errors.join('; ')}` : ''}`);
  }

  /** Heals every applied fault, latest first. */
  async healAll(): Promise<void> {
    for (const id of [...this.#applied.keys()].reverse()) await this.heal(id);
  }

  async #announce(fault: ScheduledFault): Promise<void> {
    const t = fault.targets;
    const target = t.coordinator ? 'coordinator' : [...(t.zones ?? []), ...(t.zones ? [] : (t.nodeIds ?? []))].join(',');
    try {
      await this.#admin.openFault({ id: fault.id, action: fault.action, target }, { timeoutMs: ANNOUNCE_TIMEOUT_MS });
    } catch {
      // Not fatal: the runner's own faults.ndjson is what the checker reads.
    }
  }

  #targets(fault: ScheduledFault): WorldNode[] {
    const ids = new Set(fault.targets.nodeIds ?? []);
    return this.#nodes.filter((n) => ids.has(n.nodeId));
  }

  #toxic(fault: ScheduledFault, applied: Applied, toxic: Toxic): void {
    const a = this.#actuator;
    for (const { nodeId } of this.#targets(fault)) {
      const id = a.addToxic(nodeId, toxic);
      applied.undo.push(() => a.removeToxic(nodeId, id));
    }
  }

  async #do(fault: ScheduledFault, applied: Applied): Promise<void> {
    const p = fault.params;
    const a = this.#actuator;
    switch (p.action) {
      case 'kill':
        for (const { nodeId } of this.#targets(fault)) {
          if (hold(this.#killHolds, nodeId) === 1) a.kill(nodeId);
          // The node comes back only when the scenario says when (restartAfter); a kill without an
          // end lets go of the node when it is healed (the run's end) but does not restart it.
          const restarts = fault.endMs !== undefined;
          applied.undo.push(async () => {
            if (release(this.#killHolds, nodeId) > 0 || !restarts) return;
            await a.restart(nodeId);
            if ((this.#pauseHolds.get(nodeId) ?? 0) > 0) a.pause(nodeId);
          });
        }
        return;
      case 'pause':
        for (const { nodeId } of this.#targets(fault)) {
          if (hold(this.#pauseHolds, nodeId) === 1 && (this.#killHolds.get(nodeId) ?? 0) === 0) a.pause(nodeId);
          applied.undo.push(() => {
            if (release(this.#pauseHolds, nodeId) === 0 && (this.#killHolds.get(nodeId) ?? 0) === 0) a.resume(nodeId);
          });
        }
        return;
      case 'partition':
        this.#toxic(fault, applied, { type: 'blackhole', direction: linkDirection(p.direction) });
        return;
      case 'disconnect':
        for (const { nodeId } of this.#targets(fault)) {
          if (!a.hasLink(nodeId)) continue;
          // For a lasting disconnect, the zone's network stays down: redials are refused too.
          if (fault.endMs !== undefined && fault.endMs > fault.startMs) {
            const id = a.addToxic(nodeId, { type: 'refuse' });
            applied.undo.push(() => a.removeToxic(nodeId, id));
          }
          a.resetLink(nodeId);
        }
        return;
      case 'latency':
        this.#toxic(fault, applied, { type: 'latency', latencyMs: p.latencyMs, jitterMs: p.jitterMs, direction: linkDirection(p.direction) });
        return;
      case 'loss':
        this.#toxic(fault, applied, { type: 'loss', rate: p.rate, direction: linkDirection(p.direction) });
        return;
      case 'bandwidth':
        this.#toxic(fault, applied, { type: 'bandwidth', bytesPerSecond: p.bytesPerSecond, direction: linkDirection(p.direction) });
        return;
      case 'gray': {
        const degradation = { slowFactor: p.slowFactor, failRate: p.failRate };
        if (fault.targets.zones) {
          for (const zone of fault.targets.zones) {
            await this.#admin.degradeZone(zone, degradation);
            applied.undo.push(() => this.#admin.healZone(zone));
          }
        } else {
          // Node targets: those nodes only, not their zones.
          for (const node of this.#targets(fault)) {
            await this.#admin.degradeNode(node.nodeId, degradation);
            applied.undo.push(() => this.#admin.healNode(node.nodeId));
          }
        }
        return;
      }
      case 'brownout': {
        await this.#admin.setBrownout(p.failRate);
        applied.undo.push(() => this.#admin.clearBrownout());
        return;
      }
      case 'coordinator-restart': {
        await a.killCoordinator();
        if (p.restartAfterMs === 0) await a.restartCoordinator();
        else applied.undo.push(() => a.restartCoordinator());
        return;
      }
    }
  }
}

/** One more fault holds `nodeId`; returns how many do now. */
function hold(holds: Map<string, number>, nodeId: string): number {
  const n = (holds.get(nodeId) ?? 0) + 1;
  holds.set(nodeId, n);
  return n;
}

/** One fault fewer holds `nodeId`; returns how many still do. */
function release(holds: Map<string, number>, nodeId: string): number {
  const n = Math.max(0, (holds.get(nodeId) ?? 0) - 1);
  if (n === 0) holds.delete(nodeId);
  else holds.set(nodeId, n);
  return n;
}
