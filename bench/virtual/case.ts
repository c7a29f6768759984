/**
 * One case of `npm run bench -- virtual`, in a process of its own so that its peak memory
 * (`maxRSS`) is its own: `node --import=tsx bench/virtual/case.ts NAME [--quick]` prints one JSON
 * line. Cases: `engine` (the simulation loop alone: empty events per wall second, the baseline),
 * `sync-full` / `sync-aggregate` (the full sync path at ledger detail full / aggregate),
 * `power-loss-hour` (az-power-loss at its shipped load stretched to a virtual hour, start-up
 * included), `region` (10 zones x 100 nodes for a virtual hour), `azure` (the Azure 2019 sample at
 * full volume in virtual time).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessClock, Simulation } from '@zonesim/sim';
import { loadScenarioOrThrow, type ResolvedScenario } from '@zonesim/scenario';
import { runVirtualScenario } from '@zonesim/runner/virtual';
import { syncPath } from './sync-path.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOUR = 3_600_000;

/** The scenario file with its load phase set to `durationMs` (faults and rates as written). */
async function stretched(file: string, durationMs: number): Promise<ResolvedScenario> {
  const text = await readFile(file, 'utf8');
  const copy = join(dirname(file), `.bench-${process.pid}-${basename(file)}`);
  await writeFile(copy, text.replace(/^duration: .*$/m, `duration: ${durationMs}ms`));
  try {
    return await loadScenarioOrThrow(copy);
  } finally {
    await rm(copy, { force: true });
  }
}

async function scenarioRun(scenario: ResolvedScenario): Promise<Record<string, number | string>> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-bench-virtual-'));
  try {
    const t0 = performance.now();
    const r = await runVirtualScenario(scenario, { outDir: join(dir, 'out'), quiet: true });
    const totalMs = performance.now() - t0;
    return {
      wallMs: r.wall.ms,
      totalWallMs: Math.round(totalMs),
      virtualMs: r.wall.virtualMs,
      speedup: r.wall.virtualMs / r.wall.ms,
      events: r.wall.events,
      ops: r.check.ops.total,
      verdict: r.verdict.status,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(name: string, quick: boolean): Promise<Record<string, number | string>> {
  switch (name) {
    case 'engine': {
      const sim = new Simulation();
      const clock = new ProcessClock(sim, { name: 'p' });
      const n = quick ? 300_000 : 1_000_000;
      let fired = 0;
      for (let i = 0; i < 1000; i++) {
        const tick = (): void => {
          fired++;
          if (fired < n) clock.setTimeout(tick, 1 + (fired % 7));
        };
        clock.setTimeout(tick, i % 10);
      }
      const t0 = performance.now();
      await sim.runUntil(() => fired >= n);
      const wallMs = performance.now() - t0;
      return { events: fired, wallMs, perWallSecond: fired / (wallMs / 1000) };
    }
    case 'sync-full':
    case 'sync-aggregate': {
      const r = await syncPath({ zones: 3, nodesPerZone: 1, concurrency: 200, virtualMs: quick ? 2_000 : 5_000, ledgerDetail: name === 'sync-full' ? 'full' : 'aggregate' });
      return { ...r };
    }
    case 'power-loss-hour': {
      return scenarioRun(await stretched(join(ROOT, 'sim-scenarios', 'az-power-loss.yaml'), quick ? HOUR / 10 : HOUR));
    }
    case 'region': {
      return scenarioRun(await stretched(join(ROOT, 'bench', 'virtual', 'region.yaml'), quick ? HOUR / (process.env.ZONESIM_BENCH_DIV ? Number(process.env.ZONESIM_BENCH_DIV) : 20) : HOUR));
    }
    case 'environments': {
      // Environments alive at once: the coordinator's membership counts them from heartbeats.
      return scenarioRun(await loadScenarioOrThrow(join(ROOT, 'bench', 'virtual', 'environments.yaml')));
    }
    case 'azure': {
      return scenarioRun(await stretched(join(ROOT, 'bench', 'virtual', 'azure-day.yaml'), quick ? HOUR / 12 : 24 * HOUR));
    }
    default:
      throw new Error(`unknown case ${name}`);
  }
}

const [name, ...rest] = process.argv.slice(2);
const result = await main(name ?? '', rest.includes('--quick'));
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ case: name, ...result, peakRssMb })}\n`);
process.exit(0);
