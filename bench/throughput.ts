/**
 * Benchmark 2, throughput (issue 10): sustained invocations per second of a no-op function over 3
 * zones at a fixed concurrency of 64 keep-alive connections, with real Node environments and with a
 * synthetic function, against a bare node:http server at the same concurrency.
 */
import { startBaselineChild } from './lib/child.js';
import { createFunction, invokePath, lambdaApi, NOOP_FILES, startBenchCluster, syntheticFiles } from './lib/cluster.js';
import { CpuWatch, cpuLine } from './lib/cpu-watch.js';
import { HttpClient, closedLoop, type LoadRequest, type LoadResult } from './lib/http-load.js';
import { median, fmt } from './lib/stats.js';
import { row, type Benchmark, type BenchContext } from './lib/types.js';

const CONCURRENCY = 64;
const BODY = Buffer.from('{}');

/**
 * Starts the environments: batches of concurrent invokes, ramping up to `concurrency`, until one
 * full batch has no cold start. A failed invoke does not stop the warm-up (a cold-start storm can
 * cost a loaded zone node its link); failures are counted and reported.
 */
async function warmUp(ctx: BenchContext, client: HttpClient, path: string, concurrency: number, maxMs: number): Promise<{ failed: number; firstFailure?: string }> {
  const deadline = performance.now() + maxMs;
  let failed = 0;
  let firstFailure: string | undefined;
  for (let width = Math.min(8, concurrency); ; width = Math.min(concurrency, width * 2)) {
    const answers = await Promise.all(Array.from({ length: width }, () => client.send('POST', path, BODY).catch((err: Error) => err)));
    const bad = answers.filter((a) => a instanceof Error || a.status !== 200);
    failed += bad.length;
    if (bad.length > 0) {
      const b = bad[0]!;
      firstFailure ??= b instanceof Error ? b.message : `${b.status} ${b.body.toString().slice(0, 300)}`;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const cold = answers.filter((a) => !(a instanceof Error) && a.headers['x-zonesim-cold'] === 'true').length;
    if (width === concurrency && cold === 0 && bad.length === 0) return { failed, ...(firstFailure ? { firstFailure } : {}) };
    if (performance.now() > deadline) {
      ctx.log(`  warm-up of ${path} still saw ${cold} cold starts and ${bad.length} failures after ${maxMs} ms; measuring anyway`);
      return { failed, ...(firstFailure ? { firstFailure } : {}) };
    }
  }
}

/** Waits until every zone node is registered and healthy (after a warm-up that cost one its link). */
async function allNodesHealthy(apiUrl: string, nodes: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const h = (await lambdaApi(apiUrl, 'GET', '/zonesim/v1/health', undefined, 200)) as { nodes: number; healthyZones: number; zones: number };
    if (h.nodes === nodes && h.healthyZones === h.zones) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`zone nodes not all healthy after ${timeoutMs} ms`);
}

export const benchmark: Benchmark = {
  name: 'throughput',
  title: 'Throughput at 64 concurrent requests',
  async run(ctx) {
    const phaseMs = ctx.quick ? 2_000 : 8_000;
    const rounds = ctx.quick ? 1 : 3;
    const bareServer = await startBaselineChild('baseline-http-server.ts');
    const cluster = await startBenchCluster({
      zoneCount: 3,
      zoneArgs: ['--max-environments', '2000', '--memory-mb', '1000000'],
    });
    const api = new HttpClient(cluster.apiUrl, CONCURRENCY);
    const bare = new HttpClient(`http://127.0.0.1:${bareServer.port}`, CONCURRENCY);
    try {
      await createFunction(cluster.apiUrl, 'noop', NOOP_FILES);
      await createFunction(cluster.apiUrl, 'synth', syntheticFiles(0), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
      const pids: Record<string, number> = { coordinator: cluster.coordinator.pid, server: bareServer.pid };
      for (const z of cluster.zoneNodes) pids[`zone:${z.nodeId}`] = z.handle.pid;
      const cpu = new CpuWatch(pids);
      const phases: Array<{ key: 'bare' | 'real' | 'synthetic'; client: HttpClient; req: LoadRequest }> = [
        { key: 'bare', client: bare, req: { method: 'POST', path: '/2015-03-31/functions/noop/invocations', body: BODY } },
        { key: 'real', client: api, req: { method: 'POST', path: invokePath('noop'), body: BODY } },
        { key: 'synthetic', client: api, req: { method: 'POST', path: invokePath('synth'), body: BODY } },
      ];
      ctx.log('  warming up (64 real Node environments start)');
      const warmReal = await warmUp(ctx, api, invokePath('noop'), CONCURRENCY, 90_000);
      const warmSynth = await warmUp(ctx, api, invokePath('synth'), CONCURRENCY, 20_000);
      await allNodesHealthy(cluster.apiUrl, cluster.zoneNodes.length, 30_000);
      for (const p of phases) await closedLoop(p.client, p.req, CONCURRENCY, 1000, ctx.signal);
      const results: Record<string, LoadResult[]> = { bare: [], real: [], synthetic: [] };
      const cpuOf: Record<string, Array<Record<string, number>>> = { bare: [], real: [], synthetic: [] };
      // Interleaved rounds: each round measures the baseline and both platform cases back to back.
      for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
        for (const p of phases) {
          cpu.begin();
          const res = await closedLoop(p.client, p.req, CONCURRENCY, phaseMs, ctx.signal);
          cpuOf[p.key]!.push(cpu.end());
          results[p.key]!.push(res);
          ctx.log(`  round ${r + 1} ${p.key}: ${Math.round(res.perSecond)}/s (${res.failed} failed)`);
        }
      }
      const rate = (k: string) => median(results[k]!.map((x) => x.perSecond));
      const pct = (k: string, q: number) => median(results[k]!.map((x) => x.latency.percentile(q)));
      const failed = (k: string) => results[k]!.reduce((n, x) => n + x.failed, 0);
      const firstFailure = (k: string) => results[k]!.find((x) => x.firstFailure)?.firstFailure;
      const bareRate = rate('bare');
      // CPU time (us) a process spent per answered request, per round (CPU % of one core / rate), median.
      const cpuPerRequest = (k: string, proc: string) =>
        median(results[k]!.map((x, i) => ((cpuOf[k]![i]?.[proc] ?? NaN) / 100) * 1e6 / x.perSecond));
      const bareCpu = { value: cpuPerRequest('bare', 'server'), name: 'bare node:http server process' };
      const base = { value: bareRate, name: 'bare node:http' };
      const rows = [
        row('bare node:http server (the baseline)', bareRate, 'req/s'),
        row('real Node environments (process isolation)', rate('real'), 'req/s', base),
        row('synthetic function (duration 0 ms)', rate('synthetic'), 'req/s', base),
        row('p50 latency under load, real', pct('real', 50), 'ms', { value: pct('bare', 50), name: 'bare node:http' }),
        row('p99 latency under load, real', pct('real', 99), 'ms', { value: pct('bare', 99), name: 'bare node:http' }),
        row('p50 latency under load, synthetic', pct('synthetic', 50), 'ms', { value: pct('bare', 50), name: 'bare node:http' }),
        row('p99 latency under load, synthetic', pct('synthetic', 99), 'ms', { value: pct('bare', 99), name: 'bare node:http' }),
        row('coordinator CPU per invocation, real', cpuPerRequest('real', 'coordinator'), 'us', bareCpu,
          'CPU time per answer: moves much less with the machine\'s load than requests per second do'),
        row('coordinator CPU per invocation, synthetic', cpuPerRequest('synthetic', 'coordinator'), 'us', bareCpu),
      ];
      const notes = (['bare', 'real', 'synthetic'] as const).map((k) => {
        const c = cpuOf[k]!;
        const avg: Record<string, number> = {};
        for (const key of Object.keys(c[0] ?? {})) avg[key] = c.reduce((n, x) => n + (x[key] ?? 0), 0) / c.length;
        const cpuText = k === 'bare' ? `server ${Math.round(avg['server'] ?? 0)}%, client ${Math.round(avg['client'] ?? 0)}%` : cpuLine(Object.fromEntries(Object.entries(avg).filter(([key]) => key !== 'server')));
        const f = failed(k);
        return `CPU during the ${k} phase (% of one core; the machine has ${2} cores and the client shares them): ${cpuText}` +
          (f > 0 ? `; ${f} requests failed (first: ${firstFailure(k)})` : '');
      });
      const warmFailed = warmReal.failed + warmSynth.failed;
      if (warmFailed > 0) {
        notes.push(
          `During the warm-up (64 real Node environments starting at once, ramped 8, 16, 32, 64), ${warmFailed} invokes failed ` +
            `(first: ${warmReal.firstFailure ?? warmSynth.firstFailure}): the cold-start burst kept a zone node from answering the ` +
            `coordinator's pings for the heartbeat window (4 x 200 ms) on this loaded machine, and its link was dropped. ` +
            `The measurement started once every zone node was back and healthy.`,
        );
      }
      const synthRatio = rate('synthetic') / bareRate;
      const realRatio = rate('real') / bareRate;
      return {
        measures:
          `${CONCURRENCY} requests kept in flight (closed loop: each of ${CONCURRENCY} loops sends its next request when the last is answered) ` +
          `over ${CONCURRENCY} keep-alive connections (node:http Agent, maxSockets ${CONCURRENCY}) for ${phaseMs / 1000} s per phase, ` +
          `${rounds} interleaved round${rounds > 1 ? 's' : ''} (median shown) of: the bare \`node:http\` server (own process), the no-op Node ` +
          `function on real environments (3 zone nodes, one per zone, \`--max-environments 2000\`, process isolation), and a synthetic ` +
          `function of constant 0 ms duration (timers in the zone node, no process). Environments are warmed first (no cold start is measured). ` +
          `The client runs in the benchmark process on the same 2 cores.`,
        rows,
        numbers: {
          realPerSecond: rate('real'),
          syntheticPerSecond: rate('synthetic'),
          realP50Ms: pct('real', 50),
          realP99Ms: pct('real', 99),
          syntheticP50Ms: pct('synthetic', 50),
          syntheticP99Ms: pct('synthetic', 99),
          realFailed: failed('real'),
          warmUpFailed: warmFailed,
          syntheticFailed: failed('synthetic'),
          realCoordinatorCpuUsPerInvocation: cpuPerRequest('real', 'coordinator'),
          syntheticCoordinatorCpuUsPerInvocation: cpuPerRequest('synthetic', 'coordinator'),
        },
        baseline: { barePerSecond: bareRate, bareP50Ms: pct('bare', 50), bareP99Ms: pct('bare', 99), bareServerCpuUsPerRequest: bareCpu.value },
        targets: [
          { target: 'synthetic functions: at least 25% of the bare server\'s throughput', actual: `${fmt(synthRatio * 100)}%`, met: synthRatio >= 0.25 },
          { target: 'real Node environments: at least 15% of the bare server\'s throughput', actual: `${fmt(realRatio * 100)}%`, met: realRatio >= 0.15 },
        ],
        notes,
      };
    } finally {
      api.close();
      bare.close();
      await cluster.stop();
      await bareServer.stop();
    }
  },
};
