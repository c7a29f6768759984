import type { LinkProxy, Toxic } from '@zonesim/link-proxy';
import type { FaultRecord, LinkDirection, NdjsonWriter, ScheduledFault } from '@zonesim/scenario';
import type { LocalCluster } from '../cluster/local-cluster.js';
import type { LoadClient } from '../client/cluster-client.js';

/** The link proxies' direction for a scenario's: the proxy's upstream is zone node -> coordinator. */
function proxyDirection(d: LinkDirection): 'both' | 'upstream' | 'downstream' {
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
 * Applies and heals a scenario's faults on real things: signals to zone-node and coordinator
 * processes (kill, pause, coordinator-restart), toxics on the per-node link proxies (partition,
 * disconnect, latency, loss, bandwidth), and the coordinator's chaos API (gray, brownout). Every
 * fault is announced to the coordinator as a window (so ledger records carry its id) and written
 * to `faults.ndjson` when applied and when healed. `healAll` undoes whatever is still applied, and
 * is what the runner calls on every way out.
 */
export class FaultInjector {
  readonly #cluster: LocalCluster;
  readonly #proxies: ReadonlyMap<string, LinkProxy>;
  readonly #client: LoadClient;
  readonly #out: NdjsonWriter<FaultRecord>;
  readonly #onEvent: (text: string) => void;
  readonly #applied = new Map<string, Applied>();

  constructor(args: {
    cluster: LocalCluster;
    proxies: ReadonlyMap<string, LinkProxy>;
    client: LoadClient;
    out: NdjsonWriter<FaultRecord>;
    onEvent?: (text: string) => void;
  }) {
    this.#cluster = args.cluster;
    this.#proxies = args.proxies;
    this.#client = args.client;
    this.#out = args.out;
    this.#onEvent = args.onEvent ?? (() => undefined);
  }

  /** Ids of the faults applied and not healed. */
  active(): string[] {
    return [...this.#applied.keys()];
  }

  async apply(fault: ScheduledFault): Promise<void> {
    const record: FaultRecord = { id: fault.id, action: fault.action, target: fault.targets, startAt: Date.now() };
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
      await this.#client.json('DELETE', `/zonesim/v1/faults/${encodeURIComponent(id)}`);
    } catch {
      // The coordinator may be down or restarted (the window went with it).
    }
    const record: FaultRecord = { ...applied.record, endAt: Date.now() };
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
      await this.#client.json('POST', '/zonesim/v1/faults', { id: fault.id, action: fault.action, target }, 5_000);
    } catch {
      // Not fatal: the runner's own faults.ndjson is what the checker reads.
    }
  }

  #nodes(fault: ScheduledFault): LocalCluster['zoneNodes'] {
    const ids = new Set(fault.targets.nodeIds ?? []);
    return this.#cluster.zoneNodes.filter((n) => ids.has(n.nodeId));
  }

  #toxic(fault: ScheduledFault, applied: Applied, toxic: Toxic): void {
    for (const node of this.#nodes(fault)) {
      const proxy = this.#proxies.get(node.nodeId);
      if (!proxy) throw new Error(`no link proxy for ${node.nodeId}`);
      const id = proxy.addToxic(toxic);
      applied.undo.push(() => void proxy.removeToxic(id));
    }
  }

  async #do(fault: ScheduledFault, applied: Applied): Promise<void> {
    const p = fault.params;
    switch (p.action) {
      case 'kill':
        for (const node of this.#nodes(fault)) {
          node.handle.signal('SIGKILL');
          // The node comes back only when the scenario says when (restartAfter).
          if (fault.endMs !== undefined) applied.undo.push(async () => void (await this.#restartNode(node.nodeId)));
        }
        return;
      case 'pause':
        for (const node of this.#nodes(fault)) {
          node.handle.signal('SIGSTOP');
          applied.undo.push(() => node.handle.signal('SIGCONT'));
        }
        return;
      case 'partition':
        this.#toxic(fault, applied, { type: 'blackhole', direction: proxyDirection(p.direction) });
        return;
      case 'disconnect':
        for (const node of this.#nodes(fault)) {
          const proxy = this.#proxies.get(node.nodeId);
          if (!proxy) continue;
          // For a lasting disconnect, the zone's network stays down: redials are refused too.
          if (fault.endMs !== undefined && fault.endMs > fault.startMs) {
            const id = proxy.addToxic({ type: 'refuse' });
            applied.undo.push(() => void proxy.removeToxic(id));
          }
          proxy.reset();
        }
        return;
      case 'latency':
        this.#toxic(fault, applied, { type: 'latency', latencyMs: p.latencyMs, jitterMs: p.jitterMs, direction: proxyDirection(p.direction) });
        return;
      case 'loss':
        this.#toxic(fault, applied, { type: 'loss', rate: p.rate, direction: proxyDirection(p.direction) });
        return;
      case 'bandwidth':
        this.#toxic(fault, applied, { type: 'bandwidth', bytesPerSecond: p.bytesPerSecond, direction: proxyDirection(p.direction) });
        return;
      case 'gray': {
        const zones = fault.targets.zones ?? [...new Set(this.#nodes(fault).map((n) => n.zone))];
        for (const zone of zones) {
          const r = await this.#client.json('PUT', `/zonesim/v1/zones/${encodeURIComponent(zone)}/degrade`, { slowFactor: p.slowFactor, failRate: p.failRate });
          if (r.status !== 200) throw new Error(`degrade ${zone}: HTTP ${r.status}`);
          applied.undo.push(async () => void (await this.#client.json('DELETE', `/zonesim/v1/zones/${encodeURIComponent(zone)}/degrade`)));
        }
        return;
      }
      case 'brownout': {
        const r = await this.#client.json('PUT', '/zonesim/v1/brownout', { failRate: p.failRate });
        if (r.status !== 200) throw new Error(`brownout: HTTP ${r.status}`);
        applied.undo.push(async () => void (await this.#client.json('DELETE', '/zonesim/v1/brownout')));
        return;
      }
      case 'coordinator-restart': {
        this.#cluster.coordinator.signal('SIGKILL');
        await waitUntil(() => !this.#cluster.coordinator.running, 5_000);
        if (p.restartAfterMs === 0) await this.#cluster.restartCoordinator();
        else applied.undo.push(async () => void (await this.#cluster.restartCoordinator()));
        return;
      }
    }
  }

  async #restartNode(nodeId: string): Promise<void> {
    const node = this.#cluster.zoneNodes.find((n) => n.nodeId === nodeId);
    if (!node) return;
    await waitUntil(() => !node.handle.running, 5_000);
    await this.#cluster.restartZoneNode(nodeId);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a process to exit');
    await new Promise((r) => setTimeout(r, 10));
  }
}
