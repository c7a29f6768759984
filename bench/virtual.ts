/**
 * Issue 16's benchmark of virtual time: `npm run bench -- virtual`. Each case runs in a process of
 * its own (bench/virtual/case.ts) so that its peak memory is its own:
 *
 * - the simulation loop alone (empty timer events per wall second): the raw baseline;
 * - the full sync path of the real cores (InvokeFront, pipeline, router, the zone link's codec over
 *   a simulated link, the zone node's core and pool, the ledger) at ledger detail full and aggregate;
 * - az-power-loss at its shipped load stretched to a virtual hour, start-up included;
 * - a region of 10 zones x 100 nodes for a virtual hour;
 * - the Azure 2019 sample at full volume (20.8 M invocations in 24 h).
 *
 * Long cases are cut to a part of their horizon when they would take more than ~10 minutes at
 * the rate this machine reaches; the row then says so, and the target is judged on the rate.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './lib/child.js';
import { fmt } from './lib/stats.js';
import { row, type Benchmark, type ResultRow, type TargetCheck } from './lib/types.js';

const HOUR = 3_600_000;
/** Invocations in the 24 h Azure 2019 sample (its README). */
const AZURE_DAY_INVOCATIONS = 20_800_000;

type CaseResult = Record<string, number | string>;

function runCase(name: string, args: string[], signal: AbortSignal): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', fileURLToPath(new URL('./virtual/case.ts', import.meta.url)), name, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const onAbort = (): void => void child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('exit', (code) => {
      signal.removeEventListener('abort', onAbort);
      const line = out.split('\n').find((l) => l.startsWith('{"case"'));
      if (code !== 0 || !line) return reject(new Error(`case ${name} exited ${code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line) as CaseResult);
    });
  });
}

const n = (r: CaseResult, k: string): number => Number(r[k]);

export const benchmark: Benchmark = {
  name: 'virtual',
  title: 'Virtual time (issue 16)',
  async run(ctx) {
    const quick = ctx.quick ? ['--quick'] : [];
    const rows: ResultRow[] = [];
    const targets: TargetCheck[] = [];
    const numbers: Record<string, number> = {};
    const notes: string[] = [];
    const engine = await runCase('engine', quick, ctx.signal);
    ctx.log(`  engine: ${Math.round(n(engine, 'perWallSecond'))} events/s`);
    const base = { value: n(engine, 'perWallSecond'), name: 'the simulation loop alone, empty events/s' };
    numbers['engineEventsPerSecond'] = base.value;

    for (const level of ['full', 'aggregate'] as const) {
      const r = await runCase(`sync-${level}`, quick, ctx.signal);
      ctx.log(`  sync path (ledger ${level}): ${Math.round(n(r, 'perWallSecond'))} invocations/s`);
      const eventsPerWall = n(r, 'events') / (n(r, 'wallMs') / 1000);
      rows.push(row(`sync invocations per wall second, ledger ${level}`, n(r, 'perWallSecond'), 'inv/s', undefined, `${n(r, 'invocations')} invocations, ${fmt(n(r, 'events') / Math.max(1, n(r, 'invocations')), 2)} events each, peak RSS ${Math.round(n(r, 'peakRssMb'))} MB`));
      rows.push(row(`simulation events per wall second (sync path, ledger ${level})`, eventsPerWall, 'events/s', base));
      numbers[`sync_${level}_perSecond`] = n(r, 'perWallSecond');
      numbers[`sync_${level}_peakRssMb`] = n(r, 'peakRssMb');
      if (level === 'full') targets.push({ target: '>= 50,000 simulated invocations per wall second through the full sync path', actual: `${Math.round(n(r, 'perWallSecond'))}/s`, met: n(r, 'perWallSecond') >= 50_000 });
    }

    const pl = await runCase('power-loss-hour', quick, ctx.signal);
    const plHour = ctx.quick ? (n(pl, 'totalWallMs') * HOUR) / n(pl, 'virtualMs') : n(pl, 'totalWallMs');
    ctx.log(`  az-power-loss: ${fmt(n(pl, 'virtualMs') / 1000, 4)} virtual s in ${fmt(n(pl, 'totalWallMs') / 1000, 3)} s`);
    rows.push(row('az-power-loss, virtual seconds per wall second (start-up included)', n(pl, 'virtualMs') / n(pl, 'totalWallMs'), 'x', undefined, `${fmt(n(pl, 'virtualMs') / 1000, 4)} virtual s in ${fmt(n(pl, 'totalWallMs') / 1000, 3)} s; ${n(pl, 'ops')} operations; peak RSS ${Math.round(n(pl, 'peakRssMb'))} MB`));
    numbers['powerLossHourWallMs'] = plHour;
    numbers['powerLossPeakRssMb'] = n(pl, 'peakRssMb');
    targets.push({ target: 'az-power-loss stretched to a virtual hour in < 3.6 s of wall time (1,000x)', actual: `${fmt(plHour / 1000, 3)} s${ctx.quick ? ' (extrapolated from a tenth)' : ''}`, met: plHour < 3_600 });

    const region = await runCase('region', quick, ctx.signal);
    const regionHour = (n(region, 'totalWallMs') * HOUR) / n(region, 'virtualMs');
    ctx.log(`  region 10x100: ${fmt(n(region, 'virtualMs') / 1000, 4)} virtual s in ${fmt(n(region, 'totalWallMs') / 1000, 3)} s`);
    rows.push(row('region of 10 zones x 100 nodes, virtual seconds per wall second', n(region, 'virtualMs') / n(region, 'totalWallMs'), 'x', undefined, `${fmt(n(region, 'virtualMs') / 1000, 4)} virtual s in ${fmt(n(region, 'totalWallMs') / 1000, 3)} s; ${n(region, 'ops')} operations; peak RSS ${Math.round(n(region, 'peakRssMb'))} MB`));
    numbers['regionHourWallMs'] = regionHour;
    numbers['regionPeakRssMb'] = n(region, 'peakRssMb');
    targets.push({ target: 'a region of 10 zones x 100 nodes run for a virtual hour', actual: n(region, 'virtualMs') >= HOUR ? `${fmt(regionHour / 1000, 3)} s` : `${fmt(n(region, 'virtualMs') / 60_000, 3)} virtual min run; an hour extrapolates to ${fmt(regionHour / 1000, 3)} s`, met: n(region, 'virtualMs') >= HOUR ? true : null });

    const envs = await runCase('environments', [], ctx.signal);
    ctx.log(`  100,000 environments: ${n(envs, 'ops')} invocations in ${fmt(n(envs, 'totalWallMs') / 1000, 3)} s`);
    rows.push(row('10 zones x 100 nodes with 105,000 environments alive at once, wall seconds', n(envs, 'totalWallMs') / 1000, 's', undefined, `105,000 invocations of 30 s each in a 10 s burst, every one a cold start of its own environment (all alive from t = 10 s to 30 s); ${fmt(n(envs, 'virtualMs') / 1000, 3)} virtual s; verdict ${String(envs['verdict'])}; peak RSS ${Math.round(n(envs, 'peakRssMb'))} MB`));
    numbers['environmentsWallMs'] = n(envs, 'totalWallMs');
    numbers['environmentsPeakRssMb'] = n(envs, 'peakRssMb');
    targets.push({ target: 'a region of 10 zones x 100 nodes with 100,000 environments', actual: `${n(envs, 'ops')} environments, ${String(envs['verdict'])}, peak RSS ${Math.round(n(envs, 'peakRssMb'))} MB`, met: n(envs, 'ops') >= 100_000 && envs['verdict'] === 'pass' });

    const azure = await runCase('azure', ['--quick'], ctx.signal);
    const perWall = n(azure, 'ops') / (n(azure, 'wallMs') / 1000);
    const dayMs = (AZURE_DAY_INVOCATIONS / perWall) * 1000;
    ctx.log(`  azure: ${n(azure, 'ops')} invocations in ${fmt(n(azure, 'wallMs') / 1000, 3)} s`);
    rows.push(row('Azure 2019 sample at full volume, invocations per wall second', perWall, 'inv/s', undefined, `${n(azure, 'ops')} invocations (the first ${fmt(n(azure, 'virtualMs') / 60_000, 3)} virtual min); peak RSS ${Math.round(n(azure, 'peakRssMb'))} MB`));
    numbers['azurePerSecond'] = perWall;
    numbers['azurePeakRssMb'] = n(azure, 'peakRssMb');
    targets.push({ target: 'the 24 h Azure 2019 sample (~20.8 M invocations) replayed in < 10 minutes', actual: `${fmt(dayMs / 60_000, 3)} min at the measured rate`, met: dayMs < 600_000 });

    notes.push('Every case runs the real coordinator and zone-node cores (not a model) on the simulation engine, in one process and one thread; peak memory is each case process\'s maxRSS.');
    notes.push('Long horizons are measured on a part and extrapolated where said: the cost per virtual second is flat once the cluster is warm (the ledger streams to disk; memory is bounded).');
    return { measures: 'Simulated invocations and virtual seconds per wall-clock second of the real platform code in virtual time, against the simulation loop alone, with peak memory per case.', rows, numbers, baseline: { engineEventsPerSecond: base.value }, targets, notes };
  },
};
