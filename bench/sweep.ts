/**
 * Issue 18's benchmark of `zonesim sweep`: `npm run bench -- sweep`.
 *
 * - Runs per minute of a sweep against the same runs made one by one with `zonesim run --virtual`
 *   (the baseline, measured in the same run): 12 runs of a short zone-loss scenario
 *   (test/fixtures/research/small-zone-loss.yaml, a 2 x 2 grid x 3 seeds), one by one, then as a
 *   sweep with --jobs 1 and --jobs 2.
 * - The full metastability study (sim-scenarios/research/metastable-retry-storm.yaml, 4 offered
 *   loads x 2 budgets x 13 seeds = 104 runs of 95 virtual seconds) with --jobs 2; the target is
 *   under 15 minutes on 2 cores. `--quick` runs 2 seeds of it (16 runs) and extrapolates.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZONESIM_BIN } from '@zonesim/cli';
import { REPO_ROOT } from './lib/child.js';
import { fmt } from './lib/stats.js';
import { row, type Benchmark, type ResultRow, type TargetCheck } from './lib/types.js';

const SMALL = 'test/fixtures/research/small-zone-loss.yaml';
const STUDY = 'sim-scenarios/research/metastable-retry-storm.yaml';
const GRID = [['cluster.heartbeat', ['100ms', '400ms']], ['cluster.placement', ['spread', 'pack']]] as const;
const SEEDS = [3, 4, 5];

function zonesim(args: string[], signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZONESIM_BIN, ...args], { cwd: REPO_ROOT, stdio: 'ignore' });
    const onAbort = (): void => void child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('exit', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (code !== 0 && code !== 1) reject(new Error(`zonesim ${args.slice(0, 2).join(' ')} exited ${code}`));
      else resolve(code);
    });
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export const benchmark: Benchmark = {
  name: 'sweep',
  title: 'Sweeps (issue 18)',
  async run(ctx) {
    const dir = await mkdtemp(join(tmpdir(), 'zonesim-bench-sweep-'));
    const rows: ResultRow[] = [];
    const targets: TargetCheck[] = [];
    const numbers: Record<string, number> = {};
    try {
      const runs = GRID[0][1].length * GRID[1][1].length * SEEDS.length;
      let k = 0;
      const oneByOneMs = await timed(async () => {
        for (const hb of GRID[0][1]) {
          for (const pl of GRID[1][1]) {
            for (const seed of SEEDS) {
              await zonesim(['run', SMALL, '--virtual', '--quiet', '--seed', String(seed), '--set', `cluster.heartbeat=${hb}`, '--set', `cluster.placement=${pl}`, '--out', join(dir, `one-${++k}`)], ctx.signal);
            }
          }
        }
      });
      const base = { value: runs / (oneByOneMs / 60_000), name: `${runs} zonesim run --virtual one by one, runs/min` };
      ctx.log(`  one by one: ${runs} runs in ${fmt(oneByOneMs / 1000, 3)} s`);
      numbers['oneByOneRunsPerMinute'] = base.value;
      const grid = GRID.flatMap(([field, values]) => ['--set', `${field}=${values.join(',')}`]);
      for (const jobs of [1, 2]) {
        const ms = await timed(() => zonesim(['sweep', SMALL, ...grid, '--seeds', String(SEEDS.length), '--jobs', String(jobs), '--quiet', '--out', join(dir, `sweep-${jobs}`)], ctx.signal));
        const perMinute = runs / (ms / 60_000);
        ctx.log(`  sweep --jobs ${jobs}: ${runs} runs in ${fmt(ms / 1000, 3)} s`);
        rows.push(row(`zonesim sweep --jobs ${jobs}, runs per minute (${runs} runs of a 6-virtual-second zone loss)`, perMinute, 'runs/min', base));
        numbers[`sweepJobs${jobs}RunsPerMinute`] = perMinute;
      }

      const seeds = ctx.quick ? 2 : 13;
      const studyRuns = 8 * seeds;
      const studyMs = await timed(() =>
        zonesim(['sweep', STUDY, '--set', 'workload[0].arrival.poisson.rate=120,150,180,210', '--set', 'workload[0].client.budget.ratio=10,0.1', '--seeds', String(seeds), '--jobs', '2', '--quiet', '--out', join(dir, 'study')], ctx.signal),
      );
      const fullMs = (studyMs / studyRuns) * 104;
      ctx.log(`  metastability study: ${studyRuns} runs in ${fmt(studyMs / 1000, 3)} s`);
      rows.push(row(`the metastability study, ${studyRuns} runs of 95 virtual seconds, --jobs 2: wall minutes`, studyMs / 60_000, 'min', undefined, `${fmt(studyRuns / (studyMs / 60_000), 3)} runs/min`));
      numbers['studyRuns'] = studyRuns;
      numbers['studyWallMs'] = studyMs;
      targets.push({ target: 'the full metastability study (at least 100 runs) on 2 cores in under 15 minutes', actual: `${fmt(fullMs / 60_000, 3)} min for 104 runs${ctx.quick ? ' (extrapolated from 16)' : ''}`, met: fullMs < 15 * 60_000 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return {
      measures: 'Runs per minute of `zonesim sweep` (virtual runs in long-lived worker processes) against the same runs made one by one with `zonesim run --virtual`, in the same run; and the wall time of the full metastability study.',
      rows,
      numbers,
      baseline: { oneByOneRunsPerMinute: numbers['oneByOneRunsPerMinute']! },
      targets,
      notes: ['Each virtual run is deterministic, so the sweep and the one-by-one runs compute the same results (checked by hand byte for byte; test/sweep.test.ts compares a whole sweep with its shards merged). The sweep saves Node\'s start-up and module loading per run.'],
    };
  },
};
