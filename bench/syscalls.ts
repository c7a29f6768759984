/**
 * Write syscalls per invocation, per process role: a figure of the hot path that does not move with
 * the machine's load (unlike requests per second on a shared 2-core machine), used to record the
 * before and after of the write-coalescing changes (bench/profiling-notes.md). Starts a 3-zone
 * cluster, drives one workload, and reads `syscw` from `/proc/<pid>/io` of the coordinator and the
 * zone nodes around a measured window, with their CPU time (`/proc/<pid>/stat`; this one does move
 * with the load, a starved process running with cold caches). Not part of `npm run bench`:
 *
 *   node --import=tsx bench/syscalls.ts [--seconds N]
 *
 * Workloads: the no-op Node function invoked one at a time (nothing to coalesce), the synthetic
 * function at 64 concurrent requests, and `Event` invokes of it at 64 concurrent requests counted
 * until the dispatcher has run every one (SQLite commits are write syscalls too). Linux only.
 */
import { readFileSync } from 'node:fs';
import { runMain } from './lib/cleanup.js';
import { createFunction, invokePath, lambdaApi, NOOP_FILES, startBenchCluster, syntheticFiles, type BenchCluster } from './lib/cluster.js';
import { HttpClient, closedLoop, sequential } from './lib/http-load.js';
import { sampleProc } from './lib/proc.js';

function writeSyscalls(pid: number): number {
  const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((l) => l.startsWith('syscw:'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

interface Snapshot {
  coordinator: number;
  zones: number;
  coordinatorCpuMs: number;
  zonesCpuMs: number;
}

function snapshot(cluster: BenchCluster): Snapshot {
  return {
    coordinator: writeSyscalls(cluster.coordinator.pid),
    zones: cluster.zoneNodes.reduce((sum, z) => sum + writeSyscalls(z.handle.pid), 0),
    coordinatorCpuMs: sampleProc(cluster.coordinator.pid).cpuMs,
    zonesCpuMs: cluster.zoneNodes.reduce((sum, z) => sum + sampleProc(z.handle.pid).cpuMs, 0),
  };
}

async function measure(cluster: BenchCluster, name: string, run: () => Promise<number>): Promise<void> {
  const before = snapshot(cluster);
  const count = await run();
  const after = snapshot(cluster);
  const per = (a: number, b: number) => ((b - a) / count).toFixed(2);
  const us = (a: number, b: number) => Math.round(((b - a) * 1000) / count);
  process.stdout.write(
    `${name}: ${count} invocations; write syscalls per invocation: coordinator ${per(before.coordinator, after.coordinator)}, ` +
      `zone nodes ${per(before.zones, after.zones)}; CPU per invocation: coordinator ${us(before.coordinatorCpuMs, after.coordinatorCpuMs)} us, ` +
      `zone nodes ${us(before.zonesCpuMs, after.zonesCpuMs)} us (environment processes not included)\n`,
  );
}

/** Waits until the async queue holds nothing queued or in flight. */
async function drained(cluster: BenchCluster): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    const stats = (await lambdaApi(cluster.apiUrl, 'GET', '/zonesim/v1/stats', undefined, 200)).async as { queued: number; inFlight: number };
    if (stats.queued === 0 && stats.inFlight === 0) return;
    if (Date.now() > until) throw new Error(`the async queue did not drain: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? 0) || 8;
  const cluster = await startBenchCluster({ zoneCount: 3, zoneArgs: ['--max-environments', '2000', '--memory-mb', '1000000'] });
  try {
    await createFunction(cluster.apiUrl, 'noop', NOOP_FILES);
    await createFunction(cluster.apiUrl, 'synth', syntheticFiles(0), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
    const body = Buffer.from('{}');
    const one = new HttpClient(cluster.apiUrl, 1);
    await sequential(one, { method: 'POST', path: invokePath('noop'), body }, 300);
    await measure(cluster, 'no-op Node function, one at a time', async () => {
      let n = 0;
      const until = performance.now() + seconds * 1000;
      while (performance.now() < until) n += (await sequential(one, { method: 'POST', path: invokePath('noop'), body }, 200)).count;
      return n;
    });
    one.close();
    const many = new HttpClient(cluster.apiUrl, 64);
    const req = { method: 'POST', path: invokePath('synth'), body };
    await closedLoop(many, req, 64, 2000);
    await measure(cluster, 'synthetic function, 64 concurrent', async () => {
      const r = await closedLoop(many, req, 64, seconds * 1000);
      return r.ok + r.failed;
    });
    // Async: Event invokes at 64 concurrent requests, counted until the dispatcher has run them all
    // (accept, commit, claim, attempt, completion: the whole life of an event).
    const event = { method: 'POST', path: invokePath('synth'), body, headers: { 'x-amz-invocation-type': 'Event' }, okStatus: 202 };
    await closedLoop(many, event, 64, 1000);
    await drained(cluster);
    await measure(cluster, 'async Event invokes, 64 concurrent, until run', async () => {
      const r = await closedLoop(many, event, 64, seconds * 1000);
      await drained(cluster);
      return r.ok;
    });
    many.close();
  } finally {
    await cluster.stop();
  }
}

runMain(main);
