import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { LinkProxy } from '@zonesim/link-proxy';
import { buildRunReport, type RunReport } from '@zonesim/report';
import {
  NdjsonWriter,
  RunFile,
  StopConditionMonitor,
  checkRun,
  faultSchedule,
  formatVerdict,
  openArrivals,
  scheduleDigest,
  verdict as judge,
  type CheckResult,
  type FaultRecord,
  type HistoryOp,
  type QueueMessageRecord,
  type ResolvedScenario,
  type RunInfo,
  type Verdict,
  type ZoneTransition,
} from '@zonesim/scenario';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster.js';
import { deployFunctions } from './deploy-functions.js';
import { deployMappings, deployQueues } from './deploy-queues.js';
import { FaultInjector } from './fault-injector.js';
import { LoadClient } from '../client/cluster-client.js';
import { LoadDriver } from './load-driver.js';
import { Progress } from './progress.js';
import { ZoneWatcher } from './zone-watcher.js';
import type { ClusterSupervisor } from '../supervisor/cluster-supervisor.js';

/** Options of one run. */
export interface RunOptions {
  /** Results directory. @default `results/<scenario>-<time>/` */
  outDir?: string;
  /** No progress line and no event lines. */
  quiet?: boolean;
  signal?: AbortSignal;
  /** Where progress and events go. @default process.stderr */
  log?: NodeJS.WriteStream;
  /** Called once the functions are deployed, before the load starts (the demo shows a first log). */
  beforeLoad?: (ctx: { apiUrl: string; invokeWithLog(name: string, payload: unknown): Promise<string | undefined> }) => Promise<void>;
  /**
   * The live dashboard (issue 9, `zonesim demo --dashboard`): a supervisor handed the cluster's
   * processes and link proxies, so the dashboard's controls act on them as the scenario's faults do.
   */
  supervisor?: ClusterSupervisor;
  /** Called once the cluster is up, before anything is deployed (the demo prints the dashboard's URL). */
  onClusterReady?: (ctx: { apiUrl: string }) => void | Promise<void>;
  /** Keeps the cluster up this long after the run, so the dashboard stays live (Ctrl-C ends it early). @default 0 */
  holdClusterMs?: number;
}

/** What a run produced. */
export interface RunResult {
  outDir: string;
  verdict: Verdict;
  check: CheckResult;
  report: RunReport | undefined;
  /** The verdict as a table, for the terminal. */
  text: string;
  /** Set when the run was aborted (Ctrl-C) rather than finished. */
  aborted: boolean;
}

function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function coordinatorArgs(s: ResolvedScenario): string[] {
  const c = s.cluster;
  return [
    '--heartbeat-ms', String(c.heartbeatMs),
    '--miss-limit', String(c.missLimit),
    '--placement', c.placement,
    '--time-scale', String(c.timeScale),
    '--account-concurrency', String(c.accountConcurrency),
    // A scenario's bursts must be limited by capacity, not by Lambda's per-function scaling rate.
    '--scaling-rate', String(Math.max(1000, c.accountConcurrency)),
    ...(c.failover ? [] : ['--no-failover']),
  ];
}

function zoneArgs(s: ResolvedScenario): string[] {
  const n = s.cluster.node;
  return [
    '--max-environments', String(n.maxEnvironments),
    '--memory-mb', String(n.memoryMb),
    '--isolation', n.isolation,
    '--keep-alive-ms', String(n.keepAliveMs),
    '--time-scale', String(s.cluster.timeScale),
    // CPU in proportion to memory (issue 15): memory-tuning scenarios compare durations and bills.
    ...(s.cluster.cpuModel === 'lambda' ? ['--cpu-model', 'lambda'] : []),
  ];
}

/**
 * Runs one scenario end to end with real processes: link proxies and a local cluster, the
 * functions deployed through the Lambda API, open-loop load and the fault timeline, then a drain,
 * the checker and the hypotheses. Whatever happens (a failure, a stop condition, Ctrl-C) every
 * fault is healed and every process stopped before it returns; if the runner itself is killed, the
 * children exit with it (their stdin is a pipe from it).
 */
export async function runScenario(scenario: ResolvedScenario, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? process.stderr;
  const say = (text: string): void => {
    if (!options.quiet) log.write(`${text}\n`);
  };
  const outDir = resolve(options.outDir ?? join('results', `${scenario.name}-${timestamp()}`));
  await mkdir(outDir, { recursive: true });
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const digest = await scheduleDigest(scenario);
  const info: RunInfo = { v: 1, scenario: scenario.name, file: scenario.file, seed: scenario.seed, digest, t0: Date.now() };
  const writeInfo = (): Promise<void> => writeFile(join(outDir, RunFile.Run), `${JSON.stringify(info, null, 2)}\n`);
  await writeInfo();

  const history = new NdjsonWriter<HistoryOp>(join(outDir, RunFile.History));
  const faultsOut = new NdjsonWriter<FaultRecord>(join(outDir, RunFile.Faults));
  const zonesOut = new NdjsonWriter<ZoneTransition>(join(outDir, RunFile.Zones));
  const proxies = new Map<string, LinkProxy>();
  let cluster: LocalCluster | undefined;
  let client: LoadClient | undefined;
  let injector: FaultInjector | undefined;
  let watcher: ZoneWatcher | undefined;
  let progress: Progress | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const pendingFaultOps = new Set<Promise<void>>();
  let aborted = false;

  say(`zonesim run ${basename(scenario.file)}: ${scenario.name} (seed ${String(scenario.seed)}, schedule ${digest.slice(0, 12)})`);
  say(`  results in ${outDir}`);
  try {
    say(`  starting ${scenario.cluster.zones.length} zones x ${scenario.cluster.nodesPerZone} node(s) behind link proxies ...`);
    cluster = await startLocalCluster({
      zones: scenario.cluster.zones,
      nodesPerZone: scenario.cluster.nodesPerZone,
      dataDir: join(outDir, 'cluster'),
      coordinatorArgs: coordinatorArgs(scenario),
      zoneArgs: zoneArgs(scenario),
      readyTimeoutMs: 60_000,
      withoutNodeOptions: true,
      ...(options.supervisor ? { supervisor: options.supervisor } : {}),
      zoneLinkUrl: async (zone, nodeId, coordinatorZoneUrl) => {
        const target = new URL(coordinatorZoneUrl);
        const proxy = new LinkProxy({ name: `${zone}/${nodeId}`, targetHost: target.hostname, targetPort: Number(target.port) });
        const { host, port } = await proxy.start();
        proxies.set(nodeId, proxy);
        return `ws://${host}:${port}${target.pathname}`;
      },
    });
    options.supervisor?.attach(cluster, proxies);
    await options.onClusterReady?.({ apiUrl: cluster.apiUrl });
    client = new LoadClient(cluster.apiUrl);
    say(`  Lambda API at ${cluster.apiUrl}; deploying ${scenario.functions.length} function(s)${scenario.queues.length > 0 ? ` and ${scenario.queues.length} queue(s)` : ''} ...`);
    const queueUrls = await deployQueues(client, scenario.queues, { signal: abort.signal });
    const deployed = await deployFunctions(client, scenario.functions, { signal: abort.signal });
    await deployMappings(client, scenario.functions, { signal: abort.signal });
    if (options.beforeLoad) {
      const apiUrl = cluster.apiUrl;
      await options.beforeLoad({
        apiUrl,
        invokeWithLog: async (name, payload) => {
          const res = await fetch(`${apiUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-amz-log-type': 'Tail' },
            body: JSON.stringify(payload),
          });
          await res.arrayBuffer();
          const log = res.headers.get('x-amz-log-result');
          return log ? Buffer.from(log, 'base64').toString('utf8') : undefined;
        },
      });
    }
    const schedule = await openArrivals(scenario, { signal: abort.signal });
    const faults = faultSchedule(scenario);

    watcher = new ZoneWatcher({ client, out: zonesOut });
    await watcher.start();
    const monitor = scenario.stopConditions.length > 0 ? new StopConditionMonitor(scenario.stopConditions) : undefined;
    const driver = new LoadDriver({
      client,
      history,
      ...(monitor ? { monitor } : {}),
      target: (fn) => {
        const d = deployed.get(fn);
        return d ? { name: d.invokeName, timeoutMs: d.timeoutMs } : { name: fn, timeoutMs: 30_000 };
      },
      queueUrl: (q) => queueUrls.get(q) ?? q,
    });
    injector = new FaultInjector({ cluster, proxies, client, out: faultsOut, onEvent: (text) => progress?.event(text) });

    // t = 0 of the schedule, a moment ahead so the first arrivals are not late.
    const t0 = Date.now() + 250;
    info.t0 = t0;
    await writeInfo();
    const w = watcher;
    progress = new Progress({
      elapsedMs: () => Date.now() - t0,
      totalMs: scenario.durationMs,
      counts: () => driver.counts,
      zones: () => w.counts,
      faults: () => injector?.active() ?? [],
    }, log);
    if (!options.quiet) progress.start();

    const inj = injector;
    const track = (p: Promise<void>): void => {
      const t = p.catch((err: unknown) => progress?.event(`fault error: ${(err as Error).message}`)).finally(() => pendingFaultOps.delete(t));
      pendingFaultOps.add(t);
    };
    for (const f of faults) {
      const at = setTimeout(() => {
        timers.delete(at);
        const applied = inj.apply(f);
        track(applied);
        if (f.endMs !== undefined) {
          const heal = setTimeout(() => {
            timers.delete(heal);
            // Heal only after the apply finished (a restart needs the kill to have happened).
            track(applied.then(() => inj.heal(f.id)));
          }, Math.max(0, t0 + f.endMs - Date.now()));
          timers.add(heal);
        }
      }, Math.max(0, t0 + f.startMs - Date.now()));
      timers.add(at);
    }

    if (monitor) {
      monitor.start();
      const check = setInterval(() => {
        const trip = monitor.evaluate();
        if (trip && !abort.signal.aborted) {
          info.stopped = { by: trip.id, at: Date.now(), reason: trip.reason };
          progress?.event(`stop condition ${trip.id}: ${trip.reason}`);
          abort.abort(new Error(`stop condition ${trip.id}`));
        }
      }, 250);
      timers.add(check);
      abort.signal.addEventListener('abort', () => clearInterval(check), { once: true });
    }

    await driver.run(schedule, t0, abort.signal);
    info.loadEndAt = Date.now();
    await driver.drain();
    // Cooldown: faults may still act and async events drain; end early once nothing is left.
    const runEnd = t0 + scenario.runEndMs;
    while (Date.now() < runEnd && !abort.signal.aborted) {
      const faultsDone = faults.every((f) => f.endMs === undefined ? true : t0 + f.endMs <= Date.now()) && pendingFaultOps.size === 0;
      if (faultsDone && (await asyncDrained(client)) && (await queuesDrained(client, scenario))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    aborted = options.signal?.aborted === true;
    options.signal?.removeEventListener('abort', onOuterAbort);
    for (const t of timers) clearTimeout(t);
    await Promise.allSettled([...pendingFaultOps]);
    progress?.stop();
    await injector?.healAll().catch(() => undefined);
    watcher?.stop();
    if (client && cluster) await dumpAsyncFinal(client, outDir).catch(() => undefined);
    if (client && cluster && scenario.queues.length > 0) await dumpQueueMessages(client, outDir).catch(() => undefined);
    client?.close();
    info.endAt = Date.now();
    await Promise.allSettled([history.close(), faultsOut.close(), zonesOut.close(), writeInfo()]);
    if (cluster && options.holdClusterMs && !options.signal?.aborted) {
      say(`  the cluster stays up ${Math.round(options.holdClusterMs / 1000)} s more for the dashboard (Ctrl-C ends it) ...`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.holdClusterMs);
        options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    await options.supervisor?.stop();
    if (cluster) {
      say('  stopping the cluster ...');
      await cluster.stop();
    }
    await Promise.allSettled([...proxies.values()].map((p) => p.stop()));
  }

  // The coordinator's ledger and side files join the run's files.
  const coordinatorDir = join(outDir, 'cluster', 'coordinator');
  if (await exists(join(coordinatorDir, 'ledger'))) await rename(join(coordinatorDir, 'ledger'), join(outDir, RunFile.LedgerDir));
  let report: RunReport | undefined;
  if (await exists(join(outDir, RunFile.LedgerDir))) {
    report = await buildRunReport({ dataDir: outDir, outDir: join(outDir, 'report') }).catch((err: unknown) => {
      say(`  report failed: ${(err as Error).message}`);
      return undefined;
    });
  }
  const check = await checkRun(outDir, { scenario });
  const verdict = judge(scenario, check);
  await writeFile(join(outDir, 'verdict.json'), `${JSON.stringify({ verdict, check }, null, 2)}\n`);
  const text = formatVerdict(verdict, check, { color: log.isTTY === true });
  return { outDir, verdict, check, report, text, aborted };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function asyncDrained(client: LoadClient): Promise<boolean> {
  try {
    const r = await client.json('GET', '/zonesim/v1/async', undefined, 2_000);
    return r.status === 200 && r.body.queue.queued === 0 && r.body.queue.inFlight === 0;
  } catch {
    return false;
  }
}

/** True when every queue a mapping reads from holds nothing (visible, in flight or delayed). */
async function queuesDrained(client: LoadClient, scenario: ResolvedScenario): Promise<boolean> {
  const fed = new Set(scenario.functions.flatMap((f) => (f.triggers ?? []).filter((t) => t.enabled).map((t) => t.queue)));
  if (fed.size === 0) return true;
  try {
    const r = await client.json('GET', '/zonesim/v1/queues', undefined, 2_000);
    if (r.status !== 200) return false;
    const queues = r.body.queues as Array<{ name: string; visible: number; notVisible: number; delayed: number }>;
    return queues.filter((q) => fed.has(q.name)).every((q) => q.visible + q.notVisible + q.delayed === 0);
  } catch {
    return false;
  }
}

/** Where every message ended up (processed, dead-lettered, queued ...), from the queue service, for the checker. */
async function dumpQueueMessages(client: LoadClient, outDir: string): Promise<void> {
  const out = new NdjsonWriter<QueueMessageRecord>(join(outDir, RunFile.QueueMessages));
  try {
    for (let after = 0; ;) {
      const r = await client.json('GET', `/zonesim/v1/queue-messages?after=${after}&limit=10000`, undefined, 30_000);
      if (r.status !== 200) break;
      const page = r.body.messages as Array<QueueMessageRecord & { seq: number }>;
      for (const m of page) {
        out.write({
          messageId: m.messageId,
          queue: m.queue,
          state: m.state,
          receiveCount: m.receiveCount,
          successes: m.successes,
          duplicates: m.duplicates,
          ...(m.deadLetterFrom ? { deadLetterFrom: m.deadLetterFrom } : {}),
        });
      }
      if (r.body.next === undefined) break;
      after = r.body.next as number;
    }
  } finally {
    await out.close();
  }
}

/** Dead letters and events still pending, from the coordinator, for the checker. */
async function dumpAsyncFinal(client: LoadClient, outDir: string): Promise<void> {
  const deadLetters: Array<{ eventId: string; functionName: string; condition: string; reason: string }> = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await client.json('GET', `/zonesim/v1/dead-letters?limit=1000&offset=${offset}`, undefined, 10_000);
    if (r.status !== 200) break;
    const page = r.body.deadLetters as Array<Record<string, unknown>>;
    for (const d of page) {
      deadLetters.push({
        eventId: String(d['eventId']),
        functionName: String(d['functionName']),
        condition: String(d['condition'] ?? 'unknown'),
        reason: String(d['reason'] ?? 'unknown').slice(0, 1024) || 'unknown',
      });
    }
    if (page.length < 1000) break;
  }
  const pending: string[] = [];
  for (let offset = 0; ; offset += 10_000) {
    const r = await client.json('GET', `/zonesim/v1/async/pending?limit=10000&offset=${offset}`, undefined, 10_000);
    if (r.status !== 200) break;
    const page = r.body.pending as Array<{ eventId: string }>;
    pending.push(...page.map((p) => p.eventId));
    if (page.length < 10_000) break;
  }
  await writeFile(join(outDir, RunFile.AsyncFinal), `${JSON.stringify({ deadLetters, pending })}\n`);
}
