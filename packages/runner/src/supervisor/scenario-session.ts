import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '@zonesim/common';
import type { SigV4Credentials } from '@zonesim/coordinator';
import type { LinkProxy } from '@zonesim/link-proxy';
import { NdjsonWriter, faultSchedule, openArrivals, type FaultRecord, type HistoryOp, type ResolvedScenario } from '@zonesim/scenario';
import { AdminClient } from '../client/admin-client.js';
import { ApiClient } from '../client/api-client.js';
import { ApiClusterClient } from '../client/cluster-client.js';
import { HttpApiTransport } from '../client/http-transport.js';
import type { LocalCluster } from '../cluster/local-cluster.js';
import { sleep } from '../clock-wait.js';
import { deployFunctions } from '../run/deploy-functions.js';
import { deployMappings, deployQueues } from '../run/deploy-queues.js';
import { FaultInjector } from '../run/fault-injector.js';
import { FaultTimeline } from '../run/fault-timeline.js';
import { LoadDriver } from '../run/load-driver.js';
import { RealFaultActuator } from '../world/real-fault-actuator.js';

/** Where a scenario started from the dashboard is. */
export type ScenarioSessionState = 'running' | 'finished' | 'failed';

/**
 * A shipped scenario's workload and fault timeline, run against a cluster that is already up (the
 * dashboard's "start a scenario"; `zonesim run` starts a cluster of its own instead). It deploys the
 * scenario's functions, sends its open-loop arrivals and applies its faults with the runner's own
 * parts (LoadDriver, FaultInjector and FaultTimeline: signals, link proxies, the chaos API), and heals everything at
 * the end or on `stop()`. The scenario's `cluster:` section is not applied: the running cluster's
 * settings are used, and its zones and node ids must cover the scenario's fault targets.
 */
export class ScenarioSession {
  readonly name: string;
  readonly startedAt: number;
  readonly endsAt: number;
  state: ScenarioSessionState = 'running';
  message: string | undefined;
  readonly done: Promise<void>;
  readonly #abort = new AbortController();
  readonly #clock: Clock;

  constructor(args: {
    scenario: ResolvedScenario;
    cluster: LocalCluster;
    proxies: ReadonlyMap<string, LinkProxy>;
    outDir: string;
    log: (text: string) => void;
    onChange: () => void;
    /** The key the cluster's API requires, if any. */
    credentials?: SigV4Credentials;
    /** @default systemClock */
    clock?: Clock;
  }) {
    this.#clock = args.clock ?? systemClock;
    this.startedAt = this.#clock.now();
    this.name = args.scenario.name;
    this.endsAt = this.startedAt + args.scenario.runEndMs + 2_000;
    this.done = this.#run(args).then(
      () => {
        this.state = 'finished';
        this.message ??= `history in ${args.outDir}`;
      },
      (err: unknown) => {
        this.state = this.#abort.signal.aborted ? 'finished' : 'failed';
        this.message = this.#abort.signal.aborted ? 'stopped' : (err as Error).message;
      },
    ).finally(() => args.onChange());
  }

  /** Stops the load and heals its faults; resolves when everything is undone. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('stopped from the dashboard'));
    await this.done;
  }

  async #run(args: {
    scenario: ResolvedScenario;
    cluster: LocalCluster;
    proxies: ReadonlyMap<string, LinkProxy>;
    outDir: string;
    log: (text: string) => void;
    credentials?: SigV4Credentials;
  }): Promise<void> {
    const { scenario, cluster } = args;
    const clock = this.#clock;
    const signal = this.#abort.signal;
    const zones = new Set(cluster.zoneNodes.map((n) => n.zone));
    const missing = scenario.cluster.zones.filter((z) => !zones.has(z));
    if (missing.length > 0) throw new Error(`this cluster has no zone ${missing.join(', ')} (the scenario wants ${scenario.cluster.zones.join(', ')})`);
    const faults = faultSchedule(scenario);
    const nodes = new Set(cluster.zoneNodes.map((n) => n.nodeId));
    for (const f of faults) {
      const absent = (f.targets.nodeIds ?? []).filter((id) => !nodes.has(id));
      if (absent.length > 0) throw new Error(`fault ${f.id} targets node(s) ${absent.join(', ')} this cluster does not have`);
    }
    await mkdir(args.outDir, { recursive: true });
    const transport = new HttpApiTransport(cluster.apiUrl, args.credentials ? { credentials: args.credentials } : {}, { clock });
    const api = new ApiClient(transport);
    const history = new NdjsonWriter<HistoryOp>(join(args.outDir, 'history.ndjson'));
    const faultsOut = new NdjsonWriter<FaultRecord>(join(args.outDir, 'faults.ndjson'));
    const injector = new FaultInjector({
      nodes: cluster.zoneNodes.map((n) => ({ zone: n.zone, nodeId: n.nodeId })),
      actuator: new RealFaultActuator(cluster, args.proxies, { clock }),
      admin: new AdminClient(api),
      clock,
      out: faultsOut,
      onEvent: args.log,
    });
    const timeline = new FaultTimeline({ clock, injector, onError: (err) => args.log(`fault error: ${err.message}`) });
    try {
      args.log(`scenario ${scenario.name}: deploying ${scenario.functions.length} function(s)`);
      // A second start of the same scenario replaces what the first one deployed.
      for (const fn of scenario.functions) await api.json('DELETE', `/2015-03-31/functions/${encodeURIComponent(fn.name)}`).catch(() => undefined);
      const queueUrls = await deployQueues(api, scenario.queues, { signal });
      const deployed = await deployFunctions(api, scenario.functions, { clock, signal });
      await deployMappings(api, scenario.functions, { clock, signal });
      const arrivals = await openArrivals(scenario, { signal });
      const driver = new LoadDriver({
        client: new ApiClusterClient(transport),
        clock,
        history,
        target: (fn) => {
          const d = deployed.get(fn);
          return d ? { name: d.invokeName, timeoutMs: d.timeoutMs } : { name: fn, timeoutMs: 30_000 };
        },
        queueUrl: (q) => queueUrls.get(q) ?? q,
      });
      const t0 = clock.now() + 250;
      timeline.schedule(faults, t0);
      args.log(`scenario ${scenario.name}: load for ${Math.round(scenario.durationMs / 1000)} s, ${faults.length} fault(s)`);
      await driver.run(arrivals, t0, signal);
      await driver.drain();
      // Cooldown: faults still scheduled act until the scenario's end.
      while (clock.now() < t0 + scenario.runEndMs && !signal.aborted && (timeline.scheduled > 0 || timeline.inFlight > 0)) {
        await sleep(clock, 200);
      }
      const c = driver.counts;
      this.message = `${c.sent} sent, ${c.ok} ok, ${c.fail} failed, ${c.unknown} unknown; history in ${args.outDir}`;
    } finally {
      await timeline.stop();
      await injector.healAll().catch(() => undefined);
      await Promise.allSettled([history.close(), faultsOut.close()]);
      transport.close();
    }
  }
}
