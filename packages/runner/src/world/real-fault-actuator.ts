import type { Clock } from '@zonesim/common';
import type { LinkProxy, Toxic } from '@zonesim/link-proxy';
import type { LocalCluster } from '../cluster/local-cluster.js';
import { waitUntil } from '../clock-wait.js';
import { ProcessExitTimeoutError, RunWorldError } from '../errors.js';
import type { FaultActuator } from './run-world.js';

/** How long a killed process may take to be reaped before a restart gives up. */
export const DEFAULT_EXIT_TIMEOUT_MS = 5_000;
/** How often the process table is looked at while waiting for an exit. */
const EXIT_POLL_MS = 10;

/**
 * Faults on real things: signals to the zone-node and coordinator processes of a
 * {@link LocalCluster} (SIGKILL, SIGSTOP, SIGCONT, a restart on the same data) and toxics on the
 * per-node {@link LinkProxy} in front of each link.
 */
export class RealFaultActuator implements FaultActuator {
  readonly #cluster: LocalCluster;
  readonly #proxies: ReadonlyMap<string, LinkProxy>;
  readonly #clock: Clock;

  constructor(cluster: LocalCluster, proxies: ReadonlyMap<string, LinkProxy>, components: { clock: Clock }) {
    this.#cluster = cluster;
    this.#proxies = proxies;
    this.#clock = components.clock;
  }

  kill(nodeId: string): void {
    this.#node(nodeId).handle.signal('SIGKILL');
  }

  pause(nodeId: string): void {
    this.#node(nodeId).handle.signal('SIGSTOP');
  }

  resume(nodeId: string): void {
    this.#node(nodeId).handle.signal('SIGCONT');
  }

  async restart(nodeId: string, options: { exitTimeoutMs?: number } = {}): Promise<void> {
    const node = this.#cluster.zoneNodes.find((n) => n.nodeId === nodeId);
    if (!node) return;
    const timeoutMs = options.exitTimeoutMs ?? DEFAULT_EXIT_TIMEOUT_MS;
    // The entry's handle is replaced by a restart: read it afresh on every look.
    if (!(await waitUntil(this.#clock, () => !node.handle.running, { timeoutMs, intervalMs: EXIT_POLL_MS }))) throw new ProcessExitTimeoutError(nodeId, timeoutMs);
    await this.#cluster.restartZoneNode(nodeId);
  }

  hasLink(nodeId: string): boolean {
    return this.#proxies.has(nodeId);
  }

  addToxic(nodeId: string, toxic: Toxic): string {
    return this.#proxy(nodeId).addToxic(toxic);
  }

  removeToxic(nodeId: string, toxicId: string): void {
    this.#proxies.get(nodeId)?.removeToxic(toxicId);
  }

  resetLink(nodeId: string): void {
    this.#proxies.get(nodeId)?.reset();
  }

  async killCoordinator(options: { exitTimeoutMs?: number } = {}): Promise<void> {
    this.#cluster.coordinator.signal('SIGKILL');
    const timeoutMs = options.exitTimeoutMs ?? DEFAULT_EXIT_TIMEOUT_MS;
    if (!(await waitUntil(this.#clock, () => !this.#cluster.coordinator.running, { timeoutMs, intervalMs: EXIT_POLL_MS }))) throw new ProcessExitTimeoutError('coordinator', timeoutMs);
  }

  async restartCoordinator(): Promise<void> {
    await this.#cluster.restartCoordinator();
  }

  #node(nodeId: string): LocalCluster['zoneNodes'][number] {
    const node = this.#cluster.zoneNodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new RunWorldError(`no zone node ${nodeId} in this cluster`, nodeId);
    return node;
  }

  #proxy(nodeId: string): LinkProxy {
    const proxy = this.#proxies.get(nodeId);
    if (!proxy) throw new RunWorldError(`no link proxy for ${nodeId}`, nodeId);
    return proxy;
  }
}
