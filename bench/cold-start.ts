/**
 * Benchmark 3, cold start (issue 10): time to the first result of a fresh environment, with its
 * breakdown (INIT, handler, platform), for process and worker isolation; baselines: spawning
 * `node -e 0` and starting an empty worker thread, measured in the same run between samples.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createFunction, deleteFunction, invokePath, NOOP_FILES, startBenchCluster } from './lib/cluster.js';
import { HttpClient } from './lib/http-load.js';
import { fmt, median } from './lib/stats.js';
import { row, type BenchContext, type Benchmark, type ResultRow } from './lib/types.js';

interface Sample {
  totalMs: number;
  initMs: number;
  durationMs: number;
  baselineMs: number;
}

/** `node -e 0`: the cost of a bare Node.js process start, to its exit. */
function spawnNode(): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`node -e 0 exited with ${r.status}`);
  return performance.now() - t0;
}

/** An empty worker thread: from `new Worker` to its first message. */
async function startWorker(): Promise<number> {
  const t0 = performance.now();
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true });
  await new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  });
  const ms = performance.now() - t0;
  await w.terminate();
  return ms;
}

async function measureMode(ctx: BenchContext, isolation: 'process' | 'worker', samples: number): Promise<Sample[]> {
  const cluster = await startBenchCluster({ zoneCount: 1, zoneArgs: ['--isolation', isolation] });
  const client = new HttpClient(cluster.apiUrl, 1);
  try {
    const body = Buffer.from('{}');
    const once = async (name: string): Promise<{ totalMs: number; initMs: number; durationMs: number }> => {
      await createFunction(cluster.apiUrl, name, NOOP_FILES, { Environment: { Variables: { SAMPLE: name } } });
      const t0 = performance.now();
      const a = await client.send('POST', invokePath(name), body);
      const totalMs = performance.now() - t0;
      if (a.status !== 200) throw new Error(`invoke ${name}: ${a.status} ${a.body.toString().slice(0, 300)}`);
      if (a.headers['x-zonesim-cold'] !== 'true') throw new Error(`invoke ${name} was not a cold start`);
      await deleteFunction(cluster.apiUrl, name);
      return { totalMs, initMs: Number(a.headers['x-zonesim-init-ms']), durationMs: Number(a.headers['x-zonesim-duration-ms']) };
    };
    // The first one also downloads and unpacks the code (content-addressed: the later ones find it
    // in the zone node's cache, as a new environment of an existing function would).
    await once('cold-warmup-1');
    await once('cold-warmup-2');
    const out: Sample[] = [];
    for (let i = 0; i < samples && !ctx.signal.aborted; i++) {
      const baselineMs = isolation === 'process' ? spawnNode() : await startWorker();
      out.push({ ...(await once(`cold-${i}`)), baselineMs });
    }
    ctx.log(`  ${isolation}: first result ${fmt(median(out.map((s) => s.totalMs)))} ms (median of ${out.length})`);
    return out;
  } finally {
    client.close();
    await cluster.stop();
  }
}

export const benchmark: Benchmark = {
  name: 'cold-start',
  title: 'Cold start',
  async run(ctx) {
    const samples = ctx.quick ? 5 : 25;
    const rows: ResultRow[] = [];
    const numbers: Record<string, number> = {};
    const baseline: Record<string, number> = {};
    for (const isolation of ['process', 'worker'] as const) {
      const s = await measureMode(ctx, isolation, samples);
      const m = (f: (x: Sample) => number) => median(s.map(f));
      const baseName = isolation === 'process' ? '`node -e 0` spawn' : 'empty worker thread start';
      const base = { value: m((x) => x.baselineMs), name: baseName };
      rows.push(row(`${isolation} isolation: time to first result`, m((x) => x.totalMs), 'ms', base));
      rows.push(row(`${isolation} isolation: INIT (x-zonesim-init-ms)`, m((x) => x.initMs), 'ms', base));
      rows.push(row(`${isolation} isolation: handler (REPORT Duration)`, m((x) => x.durationMs), 'ms'));
      rows.push(row(`${isolation} isolation: platform (total - INIT - handler)`, m((x) => x.totalMs - x.initMs - x.durationMs), 'ms', base));
      numbers[`${isolation}.totalMs`] = m((x) => x.totalMs);
      numbers[`${isolation}.totalMaxMs`] = Math.max(...s.map((x) => x.totalMs));
      numbers[`${isolation}.initMs`] = m((x) => x.initMs);
      numbers[`${isolation}.durationMs`] = m((x) => x.durationMs);
      numbers[`${isolation}.platformMs`] = m((x) => x.totalMs - x.initMs - x.durationMs);
      baseline[isolation === 'process' ? 'nodeSpawnMs' : 'workerStartMs'] = base.value;
    }
    const proc = numbers['process.totalMs']!;
    return {
      measures:
        `For each sample a new function is created (CreateFunction with the same no-op package and a distinct environment ` +
        `variable, so no warm environment can serve it), invoked once through the Lambda API and deleted; ` +
        `${samples} samples per isolation mode after two warm-up samples (the first downloads the package; the zone node's ` +
        `content-addressed cache serves the rest). Time to first result is measured by the client; INIT comes from ` +
        `\`x-zonesim-init-ms\`, the handler's duration from \`x-zonesim-duration-ms\`, and the platform's share is what is left. ` +
        `Medians shown. Baselines, measured right before each sample: spawning \`node -e 0\` to its exit (process isolation) ` +
        `and starting an empty worker thread to its first message (worker isolation). One zone.`,
      rows,
      numbers,
      baseline,
      targets: [
        {
          target: 'cold start of a real Node environment in tens of ms (PRODUCT.md; no modelled delay here)',
          actual: `${fmt(proc)} ms process, ${fmt(numbers['worker.totalMs']!)} ms worker`,
          met: proc < 100,
          note: `a bare \`node -e 0\` takes ${fmt(baseline['nodeSpawnMs']!)} ms on this machine, so a process environment cannot start in tens of ms here; the platform's own share is ${fmt(numbers['process.platformMs']!)} ms`,
        },
      ],
      notes: ['Custom runtimes (`provided.al2023`) do not exist yet: their cold start will be measured when they land.'],
    };
  },
};
