/**
 * Benchmark 1, warm invoke overhead (issue 10): a no-op Node function invoked one request at a time
 * through the Lambda API over one keep-alive connection, against a bare node:http server answering
 * the same POST with the same client in the same run; and the zone-link leg's floor, a bare ws +
 * msgpackr echo of an invoke-shaped frame. Process isolation is measured sandboxed (bubblewrap +
 * cgroups, the default where the machine allows, issue 15) and with `--sandbox off`.
 */
import { startBaselineChild } from './lib/child.js';
import { createFunction, invokePath, lambdaApi, NOOP_FILES, startBenchCluster, type BenchCluster } from './lib/cluster.js';
import { HttpClient, sequential } from './lib/http-load.js';
import { Samples, fmt } from './lib/stats.js';
import { row, type BenchContext, type Benchmark, type ResultRow, type TargetCheck } from './lib/types.js';
import { wsRoundTrips } from './lib/ws-load.js';

const BODY = Buffer.from('{}');

interface ModeResult {
  api: Samples;
  bare: Samples;
  ws: Samples;
  handler: Samples;
  /** The sandbox the zone node reported, e.g. `bwrap+cgroup` or `none (--sandbox off)`. */
  sandbox: string;
}

/** One way of running zone nodes to compare. */
interface Mode {
  label: string;
  zoneArgs: string[];
}

/**
 * Measures every mode on its own cluster, all started at once, in interleaved rounds (for each
 * mode in turn: the bare server, then the platform, then the ws echo), so that the modes and their
 * baselines see the same noise from the other work on this (shared) machine.
 */
async function measureModes(ctx: BenchContext, modes: readonly Mode[], count: number, rounds: number, barePort: number, wsPort: number): Promise<ModeResult[]> {
  const started: Array<{ cluster: BenchCluster; api: HttpClient }> = [];
  const bare = new HttpClient(`http://127.0.0.1:${barePort}`, 1);
  try {
    for (const mode of modes) {
      const cluster = await startBenchCluster({ zoneArgs: mode.zoneArgs });
      started.push({ cluster, api: new HttpClient(cluster.apiUrl, 1) });
    }
    const invoke = { method: 'POST', path: invokePath('noop'), body: BODY };
    const bareReq = { method: 'POST', path: '/2015-03-31/functions/noop/invocations', body: BODY };
    // Warm-up: the environments' cold starts, JIT of the servers and of this client.
    const warm = Math.max(300, Math.round(count / 20));
    const out: ModeResult[] = [];
    for (const { cluster, api } of started) {
      await createFunction(cluster.apiUrl, 'noop', NOOP_FILES);
      await sequential(api, invoke, warm);
      const zones = await lambdaApi(cluster.apiUrl, 'GET', '/zonesim/v1/zones');
      const s = zones.zones[0]?.nodes[0]?.sandbox as { kind: string; reason?: string } | undefined;
      const sandbox = s ? `${s.kind}${s.reason ? ` (${s.reason})` : ''}` : 'unknown';
      out.push({ api: new Samples(count), bare: new Samples(count), ws: new Samples(count), handler: new Samples(count), sandbox });
    }
    await sequential(bare, bareReq, warm);
    await wsRoundTrips(wsPort, warm);
    const per = Math.ceil(count / rounds);
    for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
      for (const [i, { api }] of started.entries()) {
        const m = out[i]!;
        m.bare.addAll(await sequential(bare, bareReq, per));
        m.api.addAll(await sequential(api, invoke, per, (a) => m.handler.add(Number(a.headers['x-zonesim-duration-ms']))));
        m.ws.addAll(await wsRoundTrips(wsPort, per));
      }
    }
    for (const [i, mode] of modes.entries()) {
      const m = out[i]!;
      ctx.log(`  ${mode.label}: API p50 ${fmt(m.api.percentile(50))} ms, bare ${fmt(m.bare.percentile(50))} ms, ws echo ${fmt(m.ws.percentile(50))} ms`);
    }
    return out;
  } finally {
    bare.close();
    for (const { cluster, api } of started) {
      api.close();
      await cluster.stop();
    }
  }
}

export const benchmark: Benchmark = {
  name: 'warm-invoke',
  title: 'Warm invoke overhead',
  async run(ctx) {
    const count = ctx.quick ? 1_000 : 20_000;
    const rounds = ctx.quick ? 4 : 10;
    const bareServer = await startBaselineChild('baseline-http-server.ts');
    const wsServer = await startBaselineChild('baseline-ws-echo.ts');
    try {
      // Sandboxed where the machine can (`auto`, the default); the sandbox each node reported is noted.
      const [proc, off, worker] = (await measureModes(
        ctx,
        [
          { label: 'process, sandboxed', zoneArgs: ['--isolation', 'process', '--sandbox', 'auto'] },
          { label: 'process, --sandbox off', zoneArgs: ['--isolation', 'process', '--sandbox', 'off'] },
          { label: 'worker', zoneArgs: ['--isolation', 'worker'] },
        ],
        count,
        rounds,
        bareServer.port,
        wsServer.port,
      )) as [ModeResult, ModeResult, ModeResult];
      const p = (s: Samples, q: number) => s.percentile(q);
      const bareName = 'bare node:http';
      const rows: ResultRow[] = [];
      for (const [label, m] of [[`process isolation, sandboxed (default; ${proc.sandbox})`, proc], ['process isolation, `--sandbox off`', off], ['worker isolation', worker]] as const) {
        rows.push(row(`API p50, ${label}`, p(m.api, 50), 'ms', { value: p(m.bare, 50), name: bareName }));
        rows.push(row(`API p99, ${label}`, p(m.api, 99), 'ms', { value: p(m.bare, 99), name: bareName }));
        rows.push(row(`API p99.9, ${label}`, p(m.api, 99.9), 'ms', { value: p(m.bare, 99.9), name: bareName }));
        rows.push(row(`platform overhead at p50 (API p50 - bare p50), ${label}`, p(m.api, 50) - p(m.bare, 50), 'ms', undefined,
          `of which ${fmt(p(m.handler, 50))} ms at p50 is REPORT Duration, timed on the zone node around the round trip to the environment (so it includes that hop)`));
      }
      rows.push(row('sandbox cost at p50 (sandboxed p50 - `--sandbox off` p50)', p(proc.api, 50) - p(off.api, 50), 'ms', undefined, 'the same IPC channel inside and outside the sandbox: nothing on the warm path crosses bubblewrap or a cgroup'));
      rows.push(row('sandbox cost at p99 (sandboxed p99 - `--sandbox off` p99)', p(proc.api, 99) - p(off.api, 99), 'ms'));
      rows.push(row('bare ws + msgpackr echo p50 (zone-link leg floor)', p(proc.ws, 50), 'ms', { value: p(proc.bare, 50), name: bareName }));
      rows.push(row('bare ws + msgpackr echo p99', p(proc.ws, 99), 'ms', { value: p(proc.bare, 99), name: bareName }));
      const p50Ratio = p(proc.api, 50) / p(proc.bare, 50);
      const targets: TargetCheck[] = [
        { target: 'API p50 at most 4x the bare HTTP round trip (process isolation, the default)', actual: `${fmt(p50Ratio)}x`, met: p50Ratio <= 4 },
        { target: 'API p99 at most 5 ms (process isolation)', actual: `${fmt(p(proc.api, 99))} ms`, met: p(proc.api, 99) <= 5 },
        {
          target: 'the same with worker isolation',
          actual: `${fmt(p(worker.api, 50) / p(worker.bare, 50))}x, p99 ${fmt(p(worker.api, 99))} ms`,
          met: p(worker.api, 50) / p(worker.bare, 50) <= 4 && p(worker.api, 99) <= 5,
        },
      ];
      const numbers: Record<string, number> = {};
      const baseline: Record<string, number> = {};
      for (const [k, m] of [['process', proc], ['processOff', off], ['worker', worker]] as const) {
        for (const q of [50, 99, 99.9]) {
          numbers[`${k}.apiP${q}Ms`] = p(m.api, q);
          baseline[`${k}.bareHttpP${q}Ms`] = p(m.bare, q);
        }
        numbers[`${k}.handlerP50Ms`] = p(m.handler, 50);
        numbers[`${k}.samples`] = m.api.count;
      }
      baseline['wsEchoP50Ms'] = p(proc.ws, 50);
      baseline['wsEchoP99Ms'] = p(proc.ws, 99);
      return {
        measures:
          `A no-op Node function (\`export const handler = async () => null\`) invoked with \`POST /2015-03-31/functions/noop/invocations\` ` +
          `one request at a time over one keep-alive connection (node:http Agent, maxSockets 1), ${count.toLocaleString('en-US')} ` +
          `invocations after a warm-up, on three 3-zone clusters running side by side: process isolation in the sandbox (the default where the ` +
          `machine allows it: bubblewrap and cgroups, issue 15), process isolation with \`--sandbox off\`, and worker isolation. ` +
          `Baseline: a bare \`node:http\` server in its own process answering the same POST with \`{"ok":true}\`, same client; and, as the ` +
          `floor of the coordinator <-> zone-node leg, a bare \`ws\` server decoding an \`invoke\`-shaped msgpackr frame and answering with ` +
          `an \`invoke-result\`-shaped one (the real leg also carries \`invoke-accepted\` and checks every frame). ` +
          `The three clusters and the baselines run in ${rounds} interleaved rounds so that they share the machine's noise.`,
        rows,
        numbers,
        baseline,
        targets,
        notes: [`Zone nodes reported their sandbox as: ${proc.sandbox} (default), ${off.sandbox} (\`--sandbox off\`), ${worker.sandbox} (worker).`],
      };
    } finally {
      await wsServer.stop();
      await bareServer.stop();
    }
  },
};
