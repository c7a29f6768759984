import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock, type SafetySwitch } from '@zonesim/common';
import { RunFile, readRunInfo, type ResolvedScenario } from '@zonesim/scenario';
import type { Codec } from '@zonesim/protocol';
import { RunnerError, RunnerErrorCode } from '../errors.js';
import { writeRunInfo } from '../run/results-files.js';
import { ScenarioRun, defaultResultsDir, type RunResult, type ScenarioRunOptions } from '../run/scenario-run.js';
import { VirtualWorld } from './virtual-world.js';
import type { ClusterObserver } from './virtual-cluster.js';

/** A scenario virtual time cannot run (a function with handler code). */
export class VirtualRunRefusedError extends RunnerError {
  override readonly name = 'VirtualRunRefusedError';
  readonly code = RunnerErrorCode.World;
  constructor(
    message: string,
    readonly functionName: string,
  ) {
    super(message);
  }
}

/** What a virtual run adds to a run's result. */
export interface VirtualRunResult extends RunResult {
  /** sha256 of `history.ndjson` and the ledger's files in name order: equal for the same file and seed. */
  digest: string;
  /** Wall-clock cost of the run (outside the digest). */
  wall: { ms: number; virtualMs: number; speedup: number; events: number };
}

/** Options of {@link runVirtualScenario}. */
export interface VirtualRunOptions extends Omit<ScenarioRunOptions, 'onWorldReady' | 'holdWorldMs' | 'beforeLoad'> {
  signal?: AbortSignal;
  /** Where the coordinator's working files go ('' = under the results). @default /dev/shm when writable */
  scratchDir?: string;
  /** The zone links' codec (see {@link VirtualClusterOptions.linkCodec}). @default valueCodec */
  linkCodec?: Codec;
  /** Watches the cluster from outside the platform (see {@link ClusterObserver}). */
  observer?: ClusterObserver;
  /** Called with the world once the load and cooldown are over, before the stop (see {@link ScenarioRunOptions.beforeStop}). */
  atEnd?: (world: VirtualWorld) => void | Promise<void>;
  /** Safety mechanisms to switch off: explore's deliberately broken builds (see {@link SafetySwitch}). @default none */
  breakSafety?: readonly SafetySwitch[];
  /**
   * Virtual ms the whole run may take, stop included; past it the run fails with `SIM_DEADLINE`
   * (a run that never ends is a finding of explore's, not a hang). @default no limit
   */
  maxVirtualMs?: number;
}

function defaultScratchDir(): string | undefined {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}

/**
 * Refuses a scenario with handler code before anything starts: virtual time runs synthetic
 * functions only (real code needs real processes and CPU). `zonesim calibrate` turns a real run of
 * such functions into synthetic profiles.
 */
export function checkVirtualScenario(scenario: ResolvedScenario): void {
  for (const fn of scenario.functions) {
    if (fn.kind !== 'synthetic') {
      throw new VirtualRunRefusedError(
        `function ${fn.name} has handler code; virtual time runs synthetic functions only. Run the scenario for real once, then turn its measurements into synthetic profiles with \`zonesim calibrate RESULTS_DIR --scenario ${scenario.file}\` and run the calibrated scenario with --virtual.`,
        fn.name,
      );
    }
  }
}

/**
 * Runs one scenario in virtual time (issue 16): the same runner (`ScenarioRun`) over a
 * {@link VirtualWorld}, driven by the simulation until the run has stopped; then the same
 * judgement from the same files. `run.json` says `mode: virtual` and, apart from the digest, how
 * long it took in wall time.
 */
export async function runVirtualScenario(scenario: ResolvedScenario, options: VirtualRunOptions = {}): Promise<VirtualRunResult> {
  checkVirtualScenario(scenario);
  const { signal, scratchDir: _scratch, linkCodec, observer, atEnd, breakSafety, maxVirtualMs, ...runOptions } = options;
  // The directory is named by the wall clock: two virtual runs start at the same virtual instant.
  const outDir = resolve(runOptions.outDir ?? defaultResultsDir(scenario.name, systemClock.now()));
  // The coordinator's SQLite files live on a tmpfs when the machine has one (every commit is a
  // write: a disk makes a long virtual run a third slower); the ledger is moved to the results.
  const scratchDir = options.scratchDir === undefined ? defaultScratchDir() : options.scratchDir || undefined;
  const world = VirtualWorld.forScenario(scenario, { dataDir: join(outDir, 'cluster'), ...(scratchDir ? { scratchDir } : {}), ...(linkCodec ? { linkCodec } : {}), ...(observer ? { observer } : {}), ...(breakSafety && breakSafety.length > 0 ? { brokenSafety: new Set(breakSafety) } : {}) });
  const run = new ScenarioRun(scenario, { world }, { ...runOptions, outDir, ...(atEnd ? { beforeStop: () => atEnd(world) } : {}) });
  const wallStart = performance.now();
  const virtualStart = world.cluster.sim.time;
  const eventsStart = world.cluster.sim.stats.events;
  try {
    await world.drive(run.runToStop(signal), maxVirtualMs === undefined ? {} : { maxVirtualMs });
  } catch (err) {
    // Past its virtual deadline (or failed inside): nothing more runs; its processes and stores go.
    run.destroy();
    throw err;
  }
  const wallMs = performance.now() - wallStart;
  const virtualMs = world.cluster.sim.time - virtualStart;
  const wall = { ms: Math.round(wallMs), virtualMs: Math.round(virtualMs), speedup: Math.round((virtualMs / Math.max(1, wallMs)) * 10) / 10, events: world.cluster.sim.stats.events - eventsStart };
  const result = await run.result();
  const info = await readRunInfo(join(outDir, RunFile.Run));
  await writeRunInfo(outDir, { ...info, mode: 'virtual', wall });
  const digest = await runDigest(outDir);
  await writeFile(join(outDir, 'digest.txt'), `${digest}\n`);
  return { ...result, digest, wall };
}

/** sha256 over `history.ndjson` then every ledger file in name order (what a replay must reproduce). */
export async function runDigest(outDir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = [join(outDir, RunFile.History)];
  const ledgerDir = join(outDir, RunFile.LedgerDir);
  const names = await readdir(ledgerDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.ndjson')).sort()) files.push(join(ledgerDir, name));
  for (const file of files) {
    hash.update(`${file.slice(outDir.length)}\n`);
    await new Promise<void>((done, fail) => {
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => done())
        .on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? done() : fail(err)));
    });
  }
  return hash.digest('hex');
}
