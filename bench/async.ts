/**
 * Benchmark 6 of issue 10 (the fifth here), the async path: accepted `Event` invokes per second at
 * 64 concurrent requests, each 202 sent only after the event's SQLite commit (group commit), against
 * the bare node:http server at the same concurrency.
 */
import { startBaselineChild } from './lib/child.js';
import { createFunction, invokePath, lambdaApi, startBenchCluster, syntheticFiles } from './lib/cluster.js';
import { CpuWatch, cpuLine } from './lib/cpu-watch.js';
import { HttpClient, closedLoop, type LoadResult } from './lib/http-load.js';
import { fmt, median } from './lib/stats.js';
import { row, type Benchmark } from './lib/types.js';

const CONCURRENCY = 64;

interface QueueStats {
  queued: number;
  inFlight: number;
  enqueued: number;
  completed: number;
  commits: { batches: number; items: number; largestBatch: number };
}

export const benchmark: Benchmark = {
  name: 'async',
  title: 'Durable async accepts',
  async run(ctx) {
    const phaseMs = ctx.quick ? 3_000 : 8_000;
    const rounds = ctx.quick ? 1 : 3;
    const bareServer = await startBaselineChild('baseline-http-server.ts');
    const cluster = await startBenchCluster({ zoneCount: 3, zoneArgs: ['--max-environments', '2000', '--memory-mb', '1000000'] });
    const api = new HttpClient(cluster.apiUrl, CONCURRENCY);
    const bare = new HttpClient(`http://127.0.0.1:${bareServer.port}`, CONCURRENCY);
    try {
      await createFunction(cluster.apiUrl, 'synth', syntheticFiles(0), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
      const eventReq = { method: 'POST', path: invokePath('synth'), body: Buffer.from('{"order":42,"items":["a","b"]}'), headers: { 'x-amz-invocation-type': 'Event' }, okStatus: 202 };
      const bareReq = { method: 'POST', path: '/2015-03-31/functions/synth/invocations', body: eventReq.body, headers: eventReq.headers };
      const queue = async (): Promise<QueueStats> => (await lambdaApi(cluster.apiUrl, 'GET', '/zonesim/v1/stats', undefined, 200)).async as QueueStats;
      await closedLoop(api, eventReq, CONCURRENCY, 1000, ctx.signal);
      await closedLoop(bare, bareReq, CONCURRENCY, 1000, ctx.signal);
      const cpu = new CpuWatch({ coordinator: cluster.coordinator.pid, ...Object.fromEntries(cluster.zoneNodes.map((z) => [`zone:${z.nodeId}`, z.handle.pid])) });
      const accepted: LoadResult[] = [];
      const bareRes: LoadResult[] = [];
      const cpuNotes: string[] = [];
      const before = await queue();
      for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
        bareRes.push(await closedLoop(bare, bareReq, CONCURRENCY, phaseMs, ctx.signal));
        cpu.begin();
        accepted.push(await closedLoop(api, eventReq, CONCURRENCY, phaseMs, ctx.signal));
        cpuNotes.push(cpuLine(cpu.end()));
        ctx.log(`  round ${r + 1}: bare ${Math.round(bareRes.at(-1)!.perSecond)}/s, accepted ${Math.round(accepted.at(-1)!.perSecond)}/s (${accepted.at(-1)!.failed} failed)`);
      }
      // One more phase at 4x the concurrency: larger group commits and dispatcher batches.
      const wide = new HttpClient(cluster.apiUrl, CONCURRENCY * 4);
      const wideBare = new HttpClient(`http://127.0.0.1:${bareServer.port}`, CONCURRENCY * 4);
      const wideBareRes = await closedLoop(wideBare, bareReq, CONCURRENCY * 4, phaseMs / 2, ctx.signal);
      const wideRes = await closedLoop(wide, eventReq, CONCURRENCY * 4, phaseMs / 2, ctx.signal);
      wide.close();
      wideBare.close();
      ctx.log(`  at ${CONCURRENCY * 4}: bare ${Math.round(wideBareRes.perSecond)}/s, accepted ${Math.round(wideRes.perSecond)}/s`);
      const after = await queue();
      // How long the dispatcher then takes to run what was accepted (not a target; shown for context).
      const drainStart = performance.now();
      let drained = await queue();
      while (drained.queued + drained.inFlight > 0 && performance.now() - drainStart < (ctx.quick ? 10_000 : 60_000)) {
        await new Promise((r) => setTimeout(r, 250));
        drained = await queue();
      }
      const drainSeconds = (performance.now() - drainStart) / 1000;
      const rate = median(accepted.map((x) => x.perSecond));
      const bareRate = median(bareRes.map((x) => x.perSecond));
      const base = { value: bareRate, name: 'bare node:http' };
      const batches = after.commits.batches - before.commits.batches;
      const items = after.commits.items - before.commits.items;
      const failed = accepted.reduce((n, x) => n + x.failed, 0);
      const firstFailure = accepted.find((x) => x.firstFailure)?.firstFailure;
      const backlog = after.queued + after.inFlight;
      return {
        measures:
          `\`Event\` invokes (\`X-Amz-Invocation-Type: Event\`, a 30-byte JSON event) of a synthetic function (0 ms) sent by ${CONCURRENCY} ` +
          `closed loops over ${CONCURRENCY} keep-alive connections for ${phaseMs / 1000} s, ${rounds} round${rounds > 1 ? 's' : ''} ` +
          `interleaved with the bare \`node:http\` server at the same concurrency (median shown). A 202 is counted only when it came, ` +
          `and the coordinator sends it only after the event's SQLite transaction committed (WAL, \`synchronous=NORMAL\`: the event is in the WAL file, so it survives \`kill -9\` of the coordinator; group commit). ` +
          `The dispatcher runs the accepted events meanwhile (at most 64 attempts at once), on 3 zone nodes.`,
        rows: [
          row('accepted Event invokes (202 after commit)', rate, 'events/s', base),
          row('p50 latency of a 202', median(accepted.map((x) => x.latency.percentile(50))), 'ms', { value: median(bareRes.map((x) => x.latency.percentile(50))), name: 'bare node:http' }),
          row('p99 latency of a 202', median(accepted.map((x) => x.latency.percentile(99))), 'ms', { value: median(bareRes.map((x) => x.latency.percentile(99))), name: 'bare node:http' }),
          row(`accepted Event invokes at ${CONCURRENCY * 4} concurrent requests (one phase, not the target's setting)`, wideRes.perSecond, 'events/s', { value: wideBareRes.perSecond, name: `bare node:http at ${CONCURRENCY * 4}` }),
          row('events per commit (group commit)', batches > 0 ? items / batches : NaN, 'events', undefined, `largest batch ${after.commits.largestBatch}`),
        ],
        numbers: { acceptedPerSecond: rate, acceptedPerSecondAt256: wideRes.perSecond, failed, eventsPerCommit: batches > 0 ? items / batches : NaN, backlogAfterLoad: backlog, drainSeconds },
        baseline: { barePerSecond: bareRate, barePerSecondAt256: wideBareRes.perSecond },
        targets: [{ target: 'durable async accepts at least 5,000 events/s', actual: `${fmt(rate)}/s (${fmt((rate / bareRate) * 100)}% of bare)`, met: rate >= 5000 }],
        notes: [
          `CPU during the accept phase (% of one core): ${cpuNotes.join('; ')}.`,
          `Backlog when the load stopped: ${backlog} events queued or in flight; ` +
            (drained.queued + drained.inFlight === 0 ? `the dispatcher ran them all ${fmt(drainSeconds)} s later.` : `${drained.queued + drained.inFlight} still left after ${fmt(drainSeconds)} s.`),
          ...(failed > 0 ? [`${failed} Event invokes were not accepted (first: ${firstFailure}).`] : []),
        ],
      };
    } finally {
      api.close();
      bare.close();
      await cluster.stop();
      await bareServer.stop();
    }
  },
};
