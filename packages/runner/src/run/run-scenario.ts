import { join, resolve } from 'node:path';
import { systemClock } from '@zonesim/common';
import type { SigV4Credentials } from '@zonesim/coordinator';
import type { ResolvedScenario } from '@zonesim/scenario';
import { RunWorldError } from '../errors.js';
import { RealWorld, type WorldSupervisor } from '../world/real-world.js';
import { ScenarioRun, defaultResultsDir, type RunResult, type ScenarioRunOptions } from './scenario-run.js';

/** Options of {@link runScenario}. */
export interface RunOptions extends Omit<ScenarioRunOptions, 'onWorldReady' | 'holdWorldMs'> {
  /** Ends the run early (Ctrl-C): faults are healed and the cluster stopped, then the files judged. */
  signal?: AbortSignal;
  /**
   * The live dashboard (issue 9, `zonesim demo --dashboard`): a supervisor handed the cluster's
   * processes and link proxies, so the dashboard's controls act on them as the scenario's faults do.
   */
  supervisor?: WorldSupervisor;
  /** Called once the cluster is up, before anything is deployed (the demo prints the dashboard's URL). */
  onClusterReady?: (ctx: { apiUrl: string }) => void | Promise<void>;
  /** Keeps the cluster up this long after the run, so the dashboard stays live (Ctrl-C ends it early). @default 0 */
  holdClusterMs?: number;
  /** The API key the cluster requires and the runner signs with. @default from the environment */
  credentials?: SigV4Credentials;
}

/**
 * Runs one scenario end to end with real processes (a {@link RealWorld}: link proxies and a local
 * cluster under `<outDir>/cluster`): the functions deployed through the Lambda API, open-loop load
 * and the fault timeline, then a drain, the checker and the hypotheses. Whatever happens (a
 * failure, a stop condition, Ctrl-C) every fault is healed and every process stopped before it
 * returns; if the runner itself is killed, the children exit with it (their stdin is a pipe from it).
 */
/** Zone nodes per zone a real run starts at most (one process each); virtual time takes up to 1000. */
export const MAX_REAL_NODES_PER_ZONE = 64;

export async function runScenario(scenario: ResolvedScenario, options: RunOptions = {}): Promise<RunResult> {
  if (scenario.cluster.nodesPerZone > MAX_REAL_NODES_PER_ZONE) {
    throw new RunWorldError(
      `cluster.nodesPerZone is ${scenario.cluster.nodesPerZone}: a real run starts one process per zone node and takes at most ${MAX_REAL_NODES_PER_ZONE} per zone; run this scenario in virtual time (--virtual or mode: virtual)`,
    );
  }
  const { signal, supervisor, onClusterReady, holdClusterMs, credentials, ...runOptions } = options;
  const outDir = resolve(runOptions.outDir ?? defaultResultsDir(scenario.name, systemClock.now()));
  const world = RealWorld.forScenario(scenario, {
    dataDir: join(outDir, 'cluster'),
    ...(supervisor ? { supervisor } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const run = new ScenarioRun(scenario, { world }, {
    ...runOptions,
    outDir,
    ...(onClusterReady ? { onWorldReady: async (info) => { if (info.apiUrl !== undefined) await onClusterReady({ apiUrl: info.apiUrl }); } } : {}),
    ...(holdClusterMs ? { holdWorldMs: holdClusterMs } : {}),
  });
  return run.runUntil(signal);
}
