/**
 * The full sync path of the real cores in virtual time: a closed loop of `concurrency` callers,
 * each invoking a synthetic function through the coordinator core's InvokeFront (the Invoke API's
 * checks, the pipeline, the router, the zone link's codec over a simulated link, the zone node's
 * core and pool, the ledger) for `virtualMs` of virtual time. Returns invocations per wall second.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip } from '@zonesim/code';
import { seededEntropy } from '@zonesim/common';
import { ApiClient } from '@zonesim/runner';
import { FrontClusterClient, InProcessApiTransport, VirtualCluster } from '@zonesim/runner/virtual';

export interface SyncPathResult {
  invocations: number;
  failed: number;
  wallMs: number;
  virtualMs: number;
  events: number;
  perWallSecond: number;
  peakRssMb: number;
}

export async function syncPath(options: { zones: number; nodesPerZone: number; concurrency: number; virtualMs: number; durationMs?: number; ledgerDetail?: 'full' | 'aggregate' }): Promise<SyncPathResult> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-bench-virtual-'));
  try {
    const nodes: Array<{ zone: string; nodeId: string }> = [];
    for (let z = 0; z < options.zones; z++) for (let n = 1; n <= options.nodesPerZone; n++) nodes.push({ zone: `az-${z}`, nodeId: `az-${z}-node-${n}` });
    const cluster = new VirtualCluster({
      seed: 1,
      dataDir: join(dir, 'coordinator'),
      nodes,
      coordinator: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4, accountConcurrency: 100_000, scalingRatePer10s: 1_000_000, ledgerDetail: { level: options.ledgerDetail ?? 'full' } },
      node: { maxEnvironments: 4096, memoryMb: 10_000_000 },
    });
    const clock = cluster.harnessClock;
    const transport = new InProcessApiTransport(() => cluster.api, { clock });
    const api = new ApiClient(transport);
    const client = new FrontClusterClient({ core: () => cluster.coordinator, clock, entropy: seededEntropy('bench'), fallback: undefined as never });
    const run = <T>(p: Promise<T>): Promise<T> => cluster.sim.runUntil(p);
    await run(cluster.start());
    const definition = JSON.stringify({ v: 1, init: { kind: 'constant', value: 100 }, duration: { kind: 'constant', value: options.durationMs ?? 10 }, memory: { kind: 'constant', value: 64 }, errorRate: 0 });
    const zip = Buffer.from(await buildZip({ 'synthetic.json': definition }));
    const created = await run(api.json('POST', '/2015-03-31/functions', { FunctionName: 'fn', Runtime: 'zonesim.synthetic', Handler: 'x', Role: 'arn:aws:iam::000000000000:role/x', MemorySize: 128, Timeout: 30, Code: { ZipFile: zip.toString('base64') } }));
    if (created.status !== 201) throw new Error(`CreateFunction: ${JSON.stringify(created.body)}`);
    await run(cluster.waitFor(() => cluster.coordinator!.registry.get('fn')?.state === 'Active', 10_000, 'active'));
    let invocations = 0;
    let failed = 0;
    let peakRss = 0;
    const endAt = clock.monotonic() + options.virtualMs;
    const caller = async (): Promise<void> => {
      while (clock.monotonic() < endAt) {
        const a = await client.invoke('fn', { n: invocations }, 'sync', 30_000);
        if (a.status === 200) invocations++;
        else failed++;
        if ((invocations & 4095) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    };
    const events0 = cluster.sim.stats.events;
    const v0 = cluster.sim.time;
    const w0 = performance.now();
    await run(Promise.all(Array.from({ length: options.concurrency }, () => caller())));
    const wallMs = performance.now() - w0;
    const result = {
      invocations,
      failed,
      wallMs,
      virtualMs: cluster.sim.time - v0,
      events: cluster.sim.stats.events - events0,
      perWallSecond: invocations / (wallMs / 1000),
      peakRssMb: Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024,
    };
    await run(cluster.stop());
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await syncPath({ zones: 3, nodesPerZone: 1, concurrency: Number(process.argv[2] ?? 200), virtualMs: Number(process.argv[3] ?? 10_000) });
  console.log(JSON.stringify(r));
}
