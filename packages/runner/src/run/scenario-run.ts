import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { LifecycleState, SeededRandom, type Clock, type Lifecycle, type TimerHandle } from '@zonesim/common';
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
  type Arrival,
  type CheckResult,
  type FaultRecord,
  type HistoryOp,
  type ResolvedScenario,
  type RunInfo,
  type ScheduledFault,
  type Verdict,
  type ZoneTransition,
} from '@zonesim/scenario';
import { sleep } from '../clock-wait.js';
import { RunStateError } from '../errors.js';
import type { RunWorld, WorldInfo } from '../world/run-world.js';
import { deployFunctions } from './deploy-functions.js';
import { deployMappings, deployQueues } from './deploy-queues.js';
import { FaultInjector } from './fault-injector.js';
import { FaultTimeline } from './fault-timeline.js';
import { LoadDriver } from './load-driver.js';
import { Progress } from './progress.js';
import { asyncDrained, dumpAsyncFinal, dumpQueueMessages, queuesDrained, writeRunInfo } from './results-files.js';
import { ZoneWatcher } from './zone-watcher.js';

/** Default of {@link ScenarioRunOptions.stopGraceMs}. */
export const DEFAULT_RUN_STOP_GRACE_MS = 120_000;
/** The schedule's t = 0 is this far after the load is ready, so that the first arrivals are not late. */
export const LOAD_START_LEAD_MS = 250;
/** How often the stop conditions are evaluated. */
export const STOP_CONDITION_TICK_MS = 250;
/** How often the cooldown asks whether faults, async events and queues are done. */
export const COOLDOWN_POLL_MS = 200;

/** Settings of a {@link ScenarioRun}. */
export interface ScenarioRunOptions {
  /** Results directory. @default `results/<scenario>-<time>/` */
  outDir?: string;
  /** No progress line and no event lines. @default false */
  quiet?: boolean;
  /** Where progress and events go. @default process.stderr */
  log?: NodeJS.WriteStream;
  /** Called once the world is up, before anything is deployed (the demo prints the dashboard's URL). */
  onWorldReady?: (info: WorldInfo) => void | Promise<void>;
  /** Called once the functions are deployed, before the load starts (the demo shows a first log). */
  beforeLoad?: (ctx: { apiUrl: string | undefined; invokeWithLog(name: string, payload: unknown): Promise<string | undefined> }) => Promise<void>;
  /** Keeps the world up this long after the run (the dashboard stays live); the outer signal ends it early. @default 0 */
  holdWorldMs?: number;
  /**
   * How long the graceful part of a stop (heal every fault, read the final state, close the files)
   * may take before the world is destroyed; the world's own stop is bounded by its processes'
   * grace. @default 120000
   */
  stopGraceMs?: number;
  /**
   * Called once the load and the cooldown are over, before anything is healed or stopped: the
   * world's end state as the run left it (explore's leak checks read it here). Not called when the
   * run was ended early.
   */
  beforeStop?: () => void | Promise<void>;
  /** Build the HTML report and charts (`report/`). Explore's many runs skip it. @default true */
  report?: boolean;
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

/** `results/<scenario>-<YYYYMMDD-HHMMSS>` for a run started at `now` (epoch ms). */
export function defaultResultsDir(scenarioName: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('results', `${scenarioName}-${stamp}`);
}

/** What `start()` prepared for the load. */
interface Prepared {
  driver: LoadDriver;
  schedule: Iterable<Arrival>;
  faults: ScheduledFault[];
  monitor: StopConditionMonitor | undefined;
  timeline: FaultTimeline;
  t0: number;
}

/**
 * One scenario run over a {@link RunWorld}, with the shared lifecycle (`idle -> starting ->
 * running -> stopping -> stopped`). `start()` starts the world, deploys the functions, queues and
 * mappings, and sets the open-loop load, the fault timeline, the zone watcher and the stop
 * conditions going; the run then ends by itself after the load, its drain and the cooldown, or
 * early on `stop()`, the outer signal or a stop condition. `stop()` heals every fault, reads the
 * final async and queue state, closes the files and stops the world (graceful, bounded by
 * `stopGraceMs`, then `destroy()`); `result()` judges the files. `runUntil()` does all of it.
 *
 * The run reads the time only from the world's clock, so that the same code runs on a virtual one.
 */
export class ScenarioRun implements Lifecycle {
  readonly scenario: ResolvedScenario;
  readonly outDir: string;
  readonly #world: RunWorld;
  readonly #clock: Clock;
  readonly #options: ScenarioRunOptions;
  readonly #log: NodeJS.WriteStream;
  /** Ends the load early: `stop()`, the outer signal, a stop condition. */
  readonly #abort = new AbortController();
  #outer: AbortSignal | undefined;
  readonly #onOuterAbort = (): void => this.#abort.abort(this.#outer?.reason);
  #state: LifecycleState = LifecycleState.Idle;
  #info: RunInfo | undefined;
  #history: NdjsonWriter<HistoryOp> | undefined;
  #faultsOut: NdjsonWriter<FaultRecord> | undefined;
  #zonesOut: NdjsonWriter<ZoneTransition> | undefined;
  /** The world's `start()` resolved: there is a platform to read the final state from. */
  #worldUp = false;
  #watcher: ZoneWatcher | undefined;
  #injector: FaultInjector | undefined;
  #progress: Progress | undefined;
  #prepared: Prepared | undefined;
  #monitorTick: TimerHandle | undefined;
  #starting: Promise<void> | undefined;
  #body: Promise<void> | undefined;
  #bodyDone = false;
  #stopping: Promise<void> | undefined;
  #aborted = false;

  constructor(scenario: ResolvedScenario, components: { world: RunWorld }, options: ScenarioRunOptions = {}) {
    this.scenario = scenario;
    this.#world = components.world;
    this.#clock = components.world.clock;
    this.#options = options;
    this.#log = options.log ?? process.stderr;
    this.outDir = resolve(options.outDir ?? defaultResultsDir(scenario.name, this.#clock.now()));
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Resolves when the load, its drain and the cooldown are over (or the run was stopped); rejects if they failed. */
  get finished(): Promise<void> {
    return this.#body ?? Promise.resolve();
  }

  /**
   * Starts the world, deploys and starts the load; resolves once the run is under way. Rejects if
   * any of it fails (or `signal` aborts it): call `stop()` then, which undoes what was done.
   */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== LifecycleState.Idle) return Promise.reject(new RunStateError(`the run is ${this.#state}; a run starts once`, this.#state));
    this.#state = LifecycleState.Starting;
    const outer = (this.#outer = options.signal);
    if (outer?.aborted) this.#abort.abort(outer.reason);
    else outer?.addEventListener('abort', this.#onOuterAbort, { once: true });
    this.#starting = this.#start();
    return this.#starting;
  }

  /**
   * Ends the run: the load stops (in-flight invocations are waited for, each bounded by its client
   * timeout), faults are healed, the final state read, the files closed and the world stopped.
   * Safe to call twice.
   */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  /** Ends the world at once (processes killed), without healing anything; `stop()` then closes the files. */
  destroy(): void {
    this.#abort.abort(new Error('destroyed'));
    this.#world.destroy();
  }

  /**
   * Runs to the end: starts, waits until the run is over or `until` (an outer signal, e.g.
   * Ctrl-C, or a promise) ends it early, stops, and judges. An error that was not caused by the
   * run being ended early is thrown after the stop.
   */
  async runUntil(until?: AbortSignal | Promise<unknown>): Promise<RunResult> {
    await this.runToStop(until);
    return this.result();
  }

  /**
   * {@link runUntil} without the judgement: starts, runs until the end (or `until`), stops. A
   * virtual world is driven through this part only; `result()` then reads the files.
   */
  async runToStop(until?: AbortSignal | Promise<unknown>): Promise<void> {
    let signal: AbortSignal | undefined;
    if (until instanceof AbortSignal) signal = until;
    else if (until) {
      const c = new AbortController();
      void until.then(() => c.abort(new Error('run ended by its caller')), (err: unknown) => c.abort(err));
      signal = c.signal;
    }
    try {
      await this.start(signal ? { signal } : {});
      await this.finished;
      if (!this.#abort.signal.aborted) await this.#options.beforeStop?.();
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        await this.stop();
        throw err;
      }
    }
    await this.stop();
  }

  /**
   * The run's judgement from its files, after `stop()`: the coordinator's ledger moved in, the
   * report built, the checker and the hypotheses run, `verdict.json` written.
   */
  async result(): Promise<RunResult> {
    if (this.#state !== LifecycleState.Stopped) throw new RunStateError(`the run is ${this.#state}; it is judged once stopped`, this.#state);
    const outDir = this.outDir;
    await this.#world.collect(outDir);
    let report: RunReport | undefined;
    if (this.#options.report !== false && (await exists(join(outDir, RunFile.LedgerDir)))) {
      report = await buildRunReport({ dataDir: outDir, outDir: join(outDir, 'report') }).catch((err: unknown) => {
        this.#say(`  report failed: ${(err as Error).message}`);
        return undefined;
      });
    }
    const check = await checkRun(outDir, { scenario: this.scenario });
    const verdict = judge(this.scenario, check);
    await writeFile(join(outDir, 'verdict.json'), `${JSON.stringify({ verdict, check }, null, 2)}\n`);
    const text = formatVerdict(verdict, check, { color: this.#log.isTTY === true });
    return { outDir, verdict, check, report, text, aborted: this.#aborted };
  }

  async #start(): Promise<void> {
    const { scenario, outDir } = this;
    const world = this.#world;
    const clock = this.#clock;
    const signal = this.#abort.signal;
    const io = this.#io;
    await io(mkdir(outDir, { recursive: true }));
    const digest = await io(scheduleDigest(scenario));
    const info: RunInfo = { v: 1, scenario: scenario.name, file: scenario.file, seed: scenario.seed, ...(scenario.overrides ? { overrides: scenario.overrides } : {}), digest, t0: clock.now() };
    this.#info = info;
    await io(writeRunInfo(outDir, info));
    const history = (this.#history = new NdjsonWriter<HistoryOp>(join(outDir, RunFile.History)));
    this.#faultsOut = new NdjsonWriter<FaultRecord>(join(outDir, RunFile.Faults));
    const zonesOut = (this.#zonesOut = new NdjsonWriter<ZoneTransition>(join(outDir, RunFile.Zones)));

    this.#say(`zonesim run ${basename(scenario.file)}: ${scenario.name} (seed ${String(scenario.seed)}, schedule ${digest.slice(0, 12)})`);
    this.#say(`  results in ${outDir}`);
    this.#say(`  starting ${world.description} ...`);
    const started = await world.start({ signal });
    this.#worldUp = true;
    await this.#options.onWorldReady?.(started);
    this.#say(`  ${started.endpoint}; deploying ${scenario.functions.length} function(s)${scenario.queues.length > 0 ? ` and ${scenario.queues.length} queue(s)` : ''} ...`);
    const queueUrls = await deployQueues(world.api, scenario.queues, { signal });
    const deployed = await deployFunctions(world.api, scenario.functions, { clock, signal, io });
    await deployMappings(world.api, scenario.functions, { clock, signal });
    await this.#options.beforeLoad?.({ apiUrl: started.apiUrl, invokeWithLog: (name, payload) => world.client.invokeWithLogTail(name, payload) });
    const schedule = await io(openArrivals(scenario, { signal }));
    const faults = faultSchedule(scenario);

    const watcher = (this.#watcher = new ZoneWatcher({ admin: world.admin, clock, out: zonesOut }));
    await watcher.start();
    const monitor = scenario.stopConditions.length > 0 ? new StopConditionMonitor(scenario.stopConditions, { clock }) : undefined;
    const driver = new LoadDriver({
      client: world.client,
      clock,
      history,
      ...(monitor ? { monitor } : {}),
      target: (fn) => {
        const d = deployed.get(fn);
        return d ? { name: d.invokeName, timeoutMs: d.timeoutMs } : { name: fn, timeoutMs: 30_000 };
      },
      queueUrl: (q) => queueUrls.get(q) ?? q,
      ...(world.maxClientInFlight !== undefined ? { maxInFlight: world.maxClientInFlight } : {}),
      clients: new Map(scenario.workload.flatMap((w) => (w.client ? [[w.index, w.client] as const] : []))),
      // Its own fork of the seed: retries' jitter disturbs no other draw.
      random: new SeededRandom(`${String(scenario.seed)}`).fork('client-retries'),
    });
    const injector = (this.#injector = new FaultInjector({
      nodes: world.nodes,
      actuator: world.faults,
      admin: world.admin,
      clock,
      out: this.#faultsOut,
      onEvent: (text) => this.#progress?.event(text),
    }));
    const timeline = new FaultTimeline({ clock, injector, onError: (err) => this.#progress?.event(`fault error: ${err.message}`) });

    const t0 = clock.now() + LOAD_START_LEAD_MS;
    info.t0 = t0;
    await io(writeRunInfo(outDir, info));
    this.#progress = new Progress({
      elapsedMs: () => clock.now() - t0,
      totalMs: scenario.durationMs,
      counts: () => driver.counts,
      zones: () => watcher.counts,
      faults: () => injector.active(),
      ...(world.progressNote ? { note: () => world.progressNote!() } : {}),
    }, { clock, out: this.#log });
    if (!this.#options.quiet) this.#progress.start();
    this.#prepared = { driver, schedule, faults, monitor, timeline, t0 };
    if (this.#state === LifecycleState.Starting) this.#state = LifecycleState.Running;
    this.#body = this.#run(this.#prepared).finally(() => (this.#bodyDone = true));
    // Whoever waits on `finished` sees its error; an unobserved one must not crash the process.
    this.#body.catch(() => undefined);
  }

  /** The load and the fault timeline, the drain, then the cooldown. */
  async #run(p: Prepared): Promise<void> {
    const clock = this.#clock;
    const signal = this.#abort.signal;
    const info = this.#info!;
    p.timeline.schedule(p.faults, p.t0);
    const monitor = p.monitor;
    if (monitor) {
      monitor.start();
      this.#monitorTick = clock.setInterval(() => {
        const trip = monitor.evaluate();
        if (trip && !signal.aborted) {
          info.stopped = { by: trip.id, at: clock.now(), reason: trip.reason };
          this.#progress?.event(`stop condition ${trip.id}: ${trip.reason}`);
          this.#abort.abort(new Error(`stop condition ${trip.id}`));
        }
      }, STOP_CONDITION_TICK_MS);
      signal.addEventListener('abort', () => this.#clearMonitor(), { once: true });
    }
    await p.driver.run(p.schedule, p.t0, signal);
    info.loadEndAt = clock.now();
    await p.driver.drain();
    // Cooldown: faults may still act and async events drain; end early once nothing is left.
    const runEnd = p.t0 + this.scenario.runEndMs;
    const admin = this.#world.admin;
    while (clock.now() < runEnd && !signal.aborted) {
      const faultsDone = p.faults.every((f) => (f.endMs === undefined ? true : p.t0 + f.endMs <= clock.now())) && p.timeline.inFlight === 0;
      if (faultsDone && (await asyncDrained(admin)) && (await queuesDrained(admin, this.scenario))) break;
      await sleep(clock, COOLDOWN_POLL_MS);
    }
  }

  async #stop(): Promise<void> {
    if (this.#state === LifecycleState.Idle) {
      this.#state = LifecycleState.Stopped;
      return;
    }
    this.#state = LifecycleState.Stopping;
    // A run that is still going ends now (the load returns, in-flight invocations are waited for).
    if (!this.#bodyDone) this.#abort.abort(new Error('run stopped'));
    await this.#starting?.catch(() => undefined);
    await this.#body?.catch(() => undefined);
    this.#aborted = this.#outer?.aborted === true;
    this.#outer?.removeEventListener('abort', this.#onOuterAbort);
    const grace = this.#clock.setTimeout(() => {
      this.#say(`  the run's stop took more than ${Math.round(this.#stopGraceMs / 1000)} s; ending the processes`);
      this.#world.destroy();
    }, this.#stopGraceMs);
    try {
      await this.#settle();
    } finally {
      this.#clock.clearTimeout(grace);
    }
    const hold = this.#options.holdWorldMs ?? 0;
    if (this.#worldUp && hold > 0 && !this.#outer?.aborted) {
      this.#say(`  the cluster stays up ${Math.round(hold / 1000)} s more for the dashboard (Ctrl-C ends it) ...`);
      await sleep(this.#clock, hold, this.#outer).catch(() => undefined);
    }
    if (this.#worldUp) this.#say('  stopping the cluster ...');
    await this.#world.stop();
    this.#state = LifecycleState.Stopped;
  }

  /** Heals the faults, reads the final state and closes the files. */
  async #settle(): Promise<void> {
    const outDir = this.outDir;
    await this.#prepared?.timeline.stop();
    this.#clearMonitor();
    this.#progress?.stop();
    await this.#injector?.healAll().catch(() => undefined);
    this.#watcher?.stop();
    if (this.#worldUp) {
      await dumpAsyncFinal(this.#world.admin, outDir, this.#io).catch(() => undefined);
      if (this.scenario.queues.length > 0) await dumpQueueMessages(this.#world.admin, outDir, this.#io).catch(() => undefined);
    }
    const info = this.#info;
    if (info) info.endAt = this.#clock.now();
    await this.#io(Promise.allSettled([this.#history?.close(), this.#faultsOut?.close(), this.#zonesOut?.close(), info ? writeRunInfo(outDir, info) : undefined]));
  }

  /** The world's wrapper of the runner's real I/O (see {@link RunWorld.io}). */
  #io = <T>(work: Promise<T>): Promise<T> => (this.#world.io ? this.#world.io(work) : work);

  get #stopGraceMs(): number {
    return this.#options.stopGraceMs ?? DEFAULT_RUN_STOP_GRACE_MS;
  }

  #clearMonitor(): void {
    if (this.#monitorTick) this.#clock.clearInterval(this.#monitorTick);
    this.#monitorTick = undefined;
  }

  #say(text: string): void {
    if (!this.#options.quiet) this.#log.write(`${text}\n`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
