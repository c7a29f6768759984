import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_LEDGER_FLUSH_INTERVAL_MS, readLedger, type BillingTotals, type LedgerRecord } from '@zonesim/ledger';
import { runVirtualScenario, type ClusterObserver, type VirtualWorld } from '@zonesim/runner/virtual';
import { RunFile, loadScenarioOrThrow, readAsyncFinal, readFaultRecords, readHistory, readQueueMessages, readZoneTransitions, type FaultRecord, type HistoryOp, type ResolvedScenario, type ZoneTransition } from '@zonesim/scenario';
import type { CoordinatorCore } from '@zonesim/coordinator';
import type { ScenarioDocument } from './draw-scenario.js';
import { checkInvariants, convergenceBoundMs, type EndState, type Execution, type RunEvidence, type Violation } from './invariants/index.js';
import type { SafetySwitch } from '@zonesim/common';

/** What one explored run gave. */
export interface ExploreRunResult {
  seed: number;
  violations: Violation[];
  /** sha256 of the history and ledger: equal for the same document. */
  digest: string;
  /** Operations the runner sent. */
  ops: number;
  virtualMs: number;
  wallMs: number;
  /** The results directory (kept only when asked, or when the run failed). */
  outDir: string;
  evidence: RunEvidence;
}

/** Options of {@link runDocument}. */
export interface RunDocumentOptions {
  /** Where the scenario file and the run's results go. */
  workDir: string;
  /** Keep the results directory even when every invariant holds. @default false */
  keep?: boolean;
  /** Only these invariants. @default all */
  invariants?: ReadonlySet<string>;
  /** Safety mechanisms to switch off (explore's self-test: a deliberately broken build). @default none */
  breakSafety?: readonly SafetySwitch[];
}

/** Writes a scenario document as a scenario file (a header comment first, when given). */
export async function writeScenarioFile(file: string, doc: ScenarioDocument, header?: string): Promise<void> {
  const comment = header ? `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n` : '';
  await writeFile(file, `${comment}${stringify(doc, { lineWidth: 0 })}`);
}

/**
 * Runs one scenario document in virtual time and checks every invariant over it (issue 19): the
 * scenario file is written to `workDir`, loaded as any scenario is, run with an observer on the
 * cluster (what environments were handed, the coordinator's live bill at each crash) and the end
 * state read once the cooldown is over, then judged.
 */
export async function runDocument(doc: ScenarioDocument, options: RunDocumentOptions): Promise<ExploreRunResult> {
  await mkdir(options.workDir, { recursive: true });
  const file = join(options.workDir, 'scenario.yaml');
  await writeScenarioFile(file, doc);
  const scenario = await loadScenarioOrThrow(file);
  const outDir = join(options.workDir, 'run');
  await rm(outDir, { recursive: true, force: true });

  const executions = new Map<string, Execution[]>();
  const liveBills: BillingTotals[] = [];
  const unwrittenAtCrash: Array<{ unwritten: number; withinFlushInterval: number }> = [];
  // When the current coordinator's records of the last flush interval were taken (its clock), for a
  // crash's allowance; older ones are dropped as records come, so it stays small however long the run.
  let recentRecords: number[] = [];
  let coordinatorClock: { now(): number } | undefined;
  const sinceFlushInterval = (): number => (coordinatorClock?.now() ?? 0) - DEFAULT_LEDGER_FLUSH_INTERVAL_MS;
  const observer: ClusterObserver = {
    executed(e) {
      const list = executions.get(e.requestId);
      if (list) list.push(e);
      else executions.set(e.requestId, [e]);
    },
    coordinatorStarted(core, clock) {
      recentRecords = [];
      coordinatorClock = clock;
      core.ledger.onRecord(() => {
        recentRecords.push(clock.now());
        if (recentRecords.length > 1024 && recentRecords[0]! <= sinceFlushInterval()) recentRecords = recentRecords.filter((t) => t > sinceFlushInterval());
      });
    },
    coordinatorCrashing(core) {
      liveBills.push(core.ledger.billing.run());
      const w = core.ledger.writer.stats;
      const since = sinceFlushInterval();
      unwrittenAtCrash.push({ unwritten: w.appended - w.written - w.dropped, withinFlushInterval: recentRecords.filter((t) => t > since).length });
    },
  };
  let end: EndState | undefined;
  let lastCore: CoordinatorCore | undefined;
  const result = await runVirtualScenario(scenario, {
    outDir,
    quiet: true,
    report: false,
    observer,
    // A run that does not end is a finding (run-completes), not a hang: the run, the quiet time,
    // a graceful stop's budget and as much again.
    maxVirtualMs: 2 * (scenario.runEndMs + quietTimeMs(scenario) + STOP_BUDGET_MS),
    ...(options.breakSafety && options.breakSafety.length > 0 ? { breakSafety: options.breakSafety } : {}),
    atEnd: async (world) => {
      // The runner ends its cooldown once nothing is pending; the region is then given the time to
      // converge and to let idle environments reach their keep-alive before its state is judged.
      await new Promise<void>((resolve) => world.clock.setTimeout(resolve, quietTimeMs(scenario)));
      end = endState(world, scenario.functions.map((f) => f.name));
      lastCore = world.cluster.coordinator;
    },
  });
  // The last coordinator's bill once everything stopped: records written during the stop count too.
  if (lastCore) liveBills.push(lastCore.ledger.billing.run());

  const records: LedgerRecord[] = [];
  for await (const r of readLedger(join(outDir, RunFile.LedgerDir))) records.push(r);
  const faults: FaultRecord[] = [];
  for await (const f of readFaultRecords(join(outDir, RunFile.Faults))) if (f.endAt !== undefined || f.action === 'disconnect') faults.push(f);
  const zones: ZoneTransition[] = [];
  for await (const z of readZoneTransitions(join(outDir, RunFile.Zones))) zones.push(z);
  const syncOps: HistoryOp[] = [];
  for await (const op of readHistory(join(outDir, RunFile.History))) if (op.invocation === 'sync') syncOps.push(op);
  const deletedUnprocessed: string[] = [];
  if (scenario.queues.length > 0) {
    for await (const m of readQueueMessages(join(outDir, RunFile.QueueMessages))) if (m.state === 'deleted' && m.successes === 0) deletedUnprocessed.push(m.messageId);
  }
  const asyncFinal = await readAsyncFinal(join(outDir, RunFile.AsyncFinal)).catch(() => ({ deadLetters: [], pending: [] }));

  const evidence: RunEvidence = { scenario, outDir, check: result.check, records, faults, zones, syncOps, deletedUnprocessed, deadLetters: asyncFinal.deadLetters, executions, liveBills, unwrittenAtCrash, end };
  const violations = checkInvariants(evidence, options.invariants);
  if (violations.length === 0 && !options.keep) await rm(outDir, { recursive: true, force: true });
  return { seed: doc.seed, violations, digest: result.digest, ops: result.check.ops.total, virtualMs: result.wall.virtualMs, wallMs: result.wall.ms, outDir, evidence };
}

/**
 * Time given to a region after its cooldown before its end state is read: the detector's bound and a
 * redial (membership converges), then the keep-alive at the cluster's time scale and a sweep (idle
 * environments are evicted).
 */
export function quietTimeMs(scenario: ResolvedScenario): number {
  const c = scenario.cluster;
  return convergenceBoundMs({ scenario }) + c.node.keepAliveMs / c.timeScale + KEEP_ALIVE_SWEEP_MS;
}

/** What a run's graceful stop may take (the runner's `stopGraceMs` default). */
const STOP_BUDGET_MS = 120_000;

/** Slack for the zone node's keep-alive sweep to run after an environment's keep-alive has passed. */
const KEEP_ALIVE_SWEEP_MS = 5_000;

/** The cluster as the run left it, read before anything is healed or stopped. */
function endState(world: VirtualWorld, functionNames: readonly string[]): EndState {
  const core = world.cluster.coordinator;
  const nodes: EndState['nodes'] = [];
  let alive = 0;
  for (const node of world.cluster.nodes.values()) {
    if (!node.core) continue;
    alive++;
    const counts = node.core.environmentCounts();
    const provisioned = Object.values(counts.bySpecKey).reduce((n, c) => n + c.provisioned, 0);
    nodes.push({ nodeId: node.nodeId, environments: counts.total, busy: counts.busy, provisioned, running: node.core.runningInvocations, timers: node.process.pendingTimers });
  }
  const concurrencyHeld: Record<string, number> = {};
  if (core) for (const fn of functionNames) concurrencyHeld[fn] = core.concurrency.inFlight(fn);
  return {
    at: world.clock.now(),
    coordinatorUp: core !== undefined,
    nodesAlive: alive,
    sessions: core?.membership.sessions().length ?? 0,
    coordinatorInFlight: core?.invocationsInFlight ?? 0,
    concurrencyHeld,
    nodes,
    coordinatorTimers: world.cluster.coordinatorProcess?.pendingTimers ?? 0,
  };
}
