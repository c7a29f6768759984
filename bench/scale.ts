/**
 * Benchmark 5 of issue 10 (the fourth here), scale: (a) 10,000 synthetic invocations in flight
 * across 3 zones, the coordinator's CPU and memory per in-flight invocation, against a bare
 * node:http server holding as many requests open; (b) 1,000,000 invocations recorded by the
 * coordinator's own ledger code, memory sampled every 100,000 (issue 5: memory stays flat).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { startBaselineChild } from './lib/child.js';
import { createFunction, invokePath, lambdaApi, startBenchCluster, syntheticFiles } from './lib/cluster.js';
import { HttpClient, type HttpAnswer } from './lib/http-load.js';
import { cpuPercent, sampleProc, type ProcSample } from './lib/proc.js';
import { fmt, slope } from './lib/stats.js';
import { row, type BenchContext, type Benchmark, type ResultRow, type TargetCheck } from './lib/types.js';

const KB = 1024;
const MB = 1024 * 1024;

// ---------------------------------------------------------------- (a) in flight

interface HoldResult {
  inFlightAtPeak: number;
  before: ProcSample;
  peak: ProcSample;
  after: ProcSample | undefined;
  rampCpuPercent: number;
  holdCpuPercent: number;
  rampSeconds: number;
  ok: number;
  failed: number;
  firstFailure: string | undefined;
}

/**
 * Sends `count` requests in batches (so the listen backlog is not overrun), waits until `inFlight()`
 * reports them all (or the first ones are about to finish), samples the server process at the
 * plateau, then waits for every answer.
 */
async function holdOpen(
  ctx: BenchContext,
  pid: number,
  client: HttpClient,
  count: number,
  send: () => Promise<HttpAnswer>,
  inFlight: () => Promise<number>,
  holdMs: number,
  okStatus = 200,
): Promise<HoldResult> {
  const before = sampleProc(pid);
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const answers: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    answers.push(
      send().then(
        (a) => {
          if (a.status === okStatus) ok++;
          else {
            failed++;
            firstFailure ??= `status ${a.status}: ${a.body.toString().slice(0, 200)}`;
          }
        },
        (err: Error) => {
          failed++;
          firstFailure ??= err.message;
        },
      ),
    );
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
  }
  // Wait for the plateau: all in flight, or stop waiting well before the first would finish.
  const latest = t0 + holdMs * 0.7;
  let seen = 0;
  while (performance.now() < latest && !ctx.signal.aborted) {
    seen = await inFlight();
    if (seen >= count) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rampEnd = sampleProc(pid);
  const rampSeconds = (performance.now() - t0) / 1000;
  // Memory at the plateau: the highest of a few samples over a short window.
  let peak = rampEnd;
  const window = Math.min(1000, Math.max(0, t0 + holdMs * 0.85 - performance.now()));
  const until = performance.now() + window;
  while (performance.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    const s = sampleProc(pid);
    if (s.rssBytes > peak.rssBytes) peak = { ...s, cpuMs: s.cpuMs };
  }
  const holdEnd = sampleProc(pid);
  const inFlightAtPeak = await inFlight();
  await Promise.all(answers);
  await new Promise((r) => setTimeout(r, 500));
  let after: ProcSample | undefined;
  try {
    after = sampleProc(pid);
  } catch {
    after = undefined;
  }
  return {
    inFlightAtPeak: Math.max(seen, inFlightAtPeak),
    before,
    peak,
    after,
    rampCpuPercent: cpuPercent(before, rampEnd),
    holdCpuPercent: holdEnd.at > rampEnd.at ? cpuPercent(rampEnd, holdEnd) : NaN,
    rampSeconds,
    ok,
    failed,
    firstFailure,
  };
}

/** How long each held invocation lasts: long enough for the ramp and the samples. */
function holdMsFor(ctx: BenchContext): number {
  return ctx.quick ? 3_000 : 25_000;
}

async function inFlightScale(ctx: BenchContext, target: number): Promise<{ rows: ResultRow[]; targets: TargetCheck[]; notes: string[]; numbers: Record<string, number>; baseline: Record<string, number> }> {
  const holdMs = holdMsFor(ctx);
  const perNode = Math.ceil((target / 3) * 1.5) + 100;
  const bareServer = await startBaselineChild('baseline-http-server.ts');
  const bare = new HttpClient(`http://127.0.0.1:${bareServer.port}`, target + 100);
  let bareHold: HoldResult;
  try {
    // Warm the server's code paths first, then hold `target` requests open.
    await Promise.all(Array.from({ length: 200 }, () => bare.send('POST', '/x?hold=1', Buffer.from('{}'))));
    const counter = new HttpClient(`http://127.0.0.1:${bareServer.port}`, 1);
    bareHold = await holdOpen(ctx, bareServer.pid, bare, target, () => bare.send('POST', `/x?hold=${holdMs}`, Buffer.from('{}')),
      async () => Number((await counter.send('GET', '/held')).body.toString()), holdMs);
    counter.close();
  } finally {
    bare.close();
    await bareServer.stop();
  }
  ctx.log(`  bare server: ${bareHold.inFlightAtPeak} held, ${fmt((bareHold.peak.rssBytes - bareHold.before.rssBytes) / bareHold.inFlightAtPeak / KB)} KB each`);

  const cluster = await startBenchCluster({
    zoneCount: 3,
    zoneArgs: ['--max-environments', String(perNode), '--memory-mb', String(perNode * 128 * 2)],
    coordinatorArgs: ['--account-concurrency', String(Math.max(20_000, target * 2)), '--scaling-rate', String(target * 100), '--placement-timeout-ms', '60000'],
  });
  const api = new HttpClient(cluster.apiUrl, target + 100);
  const control = new HttpClient(cluster.apiUrl, 1);
  try {
    await createFunction(cluster.apiUrl, 'hold', syntheticFiles(holdMs), { Runtime: 'zonesim.synthetic', Handler: 'ignored', Timeout: 120 });
    await createFunction(cluster.apiUrl, 'warm', syntheticFiles(1), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
    // Warm the coordinator's code paths (JIT, first ledger records) with another function.
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 100 }, () => api.send('POST', invokePath('warm'), Buffer.from('{}'))));
    const inFlight = async (): Promise<number> => {
      const zones = JSON.parse((await control.send('GET', '/zonesim/v1/zones')).body.toString()) as { zones: Array<{ nodes: Array<{ inFlight: number }> }> };
      return zones.zones.reduce((n, z) => n + z.nodes.reduce((m, x) => m + x.inFlight, 0), 0);
    };
    const body = Buffer.from('{"n":1}');
    const hold = await holdOpen(ctx, cluster.coordinator.pid, api, target, () => api.send('POST', invokePath('hold'), body), inFlight, holdMs);
    ctx.log(`  coordinator: ${hold.inFlightAtPeak} in flight, ${fmt((hold.peak.rssBytes - hold.before.rssBytes) / hold.inFlightAtPeak / KB)} KB each; ${hold.ok} ok, ${hold.failed} failed`);
    const perInv = (hold.peak.rssBytes - hold.before.rssBytes) / hold.inFlightAtPeak;
    const barePer = (bareHold.peak.rssBytes - bareHold.before.rssBytes) / bareHold.inFlightAtPeak;
    const base = { value: barePer / KB, name: 'bare node:http holding a request' };
    const rows = [
      row('invocations in flight at the plateau', hold.inFlightAtPeak, '', { value: bareHold.inFlightAtPeak, name: 'requests held by the bare server' }),
      row('coordinator RSS before', hold.before.rssBytes / MB, 'MiB', { value: bareHold.before.rssBytes / MB, name: 'bare server' }),
      row('coordinator RSS at the plateau', hold.peak.rssBytes / MB, 'MiB', { value: bareHold.peak.rssBytes / MB, name: 'bare server' }),
      row('RSS per in-flight invocation (HTTP connection included)', perInv / KB, 'KB', base),
      row('RSS per in-flight invocation, net of the bare HTTP request', (perInv - barePer) / KB, 'KB'),
      row('coordinator CPU while the requests arrived', hold.rampCpuPercent, '% of a core', { value: bareHold.rampCpuPercent, name: 'bare server' }, `${fmt(hold.rampSeconds)} s to reach the plateau`),
      row('coordinator CPU while they are held', hold.holdCpuPercent, '% of a core', { value: bareHold.holdCpuPercent, name: 'bare server' }),
      ...(hold.after ? [row('coordinator RSS after all answered', hold.after.rssBytes / MB, 'MiB')] : []),
    ];
    const notes = [
      `Each of the ${target.toLocaleString('en-US')} is a synchronous invoke on its own connection (node:http Agent, maxSockets ${target + 100}), ` +
        `sent in batches of 200 every 5 ms; ${hold.ok.toLocaleString('en-US')} answered 200, ${hold.failed} failed` +
        (hold.firstFailure ? ` (first: ${hold.firstFailure})` : '') + '.',
      'RSS is read from /proc/<pid>/status; it includes garbage not yet collected, so the per-invocation figure is an upper bound.',
    ];
    return {
      rows,
      notes,
      targets: [
        {
          target: 'coordinator memory per in-flight invocation at most 4 KB',
          actual: `${fmt(perInv / KB)} KB with its HTTP connection, ${fmt((perInv - barePer) / KB)} KB net of a bare node:http request (${fmt(barePer / KB)} KB)`,
          met: perInv <= 4 * KB,
          note: perInv > 4 * KB && perInv - barePer <= 4 * KB ? 'met only net of the HTTP connection, which a bare server pays too; see the last section' : undefined,
        } as TargetCheck,
      ],
      numbers: {
        inFlight: hold.inFlightAtPeak,
        rssBeforeBytes: hold.before.rssBytes,
        rssPeakBytes: hold.peak.rssBytes,
        bytesPerInFlight: perInv,
        rampCpuPercent: hold.rampCpuPercent,
        holdCpuPercent: hold.holdCpuPercent,
        ok: hold.ok,
        failed: hold.failed,
      },
      baseline: {
        bareHeld: bareHold.inFlightAtPeak,
        bareBytesPerHeldRequest: barePer,
        bareRampCpuPercent: bareHold.rampCpuPercent,
        bareHoldCpuPercent: bareHold.holdCpuPercent,
      },
    };
  } finally {
    api.close();
    control.close();
    await cluster.stop();
  }
}

// ---------------------------------------------------------------- (b) 1M records

interface LedgerPoint {
  records: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

interface LedgerRun {
  points: LedgerPoint[];
  seconds: number;
  written: number;
  dropped: number;
  files: number;
}

/**
 * Runs in a child process (`--expose-gc`): the coordinator's own InvocationLedger (NDJSON writer,
 * HDR latency, time series, billing) plus its Prometheus metrics listener, fed records built by the
 * coordinator's own `attemptRecord` from realistic attempts; memory after a full GC every 10%.
 */
async function ledgerChild(total: number, dir: string): Promise<LedgerRun> {
  // The coordinator's classes are not part of its public entry: the benchmark loads them from its
  // build output, so it measures exactly the code the coordinator runs.
  const { InvocationLedger } = await import('../packages/coordinator/dist/ledger/invocation-ledger.js');
  const { CoordinatorMetrics } = await import('../packages/coordinator/dist/ledger/metrics.js');
  const { attemptRecord } = await import('../packages/coordinator/dist/ledger/attempt-record.js');
  const { LambdaApiError } = await import('../packages/coordinator/dist/errors.js');
  const { systemClock, silentLogger } = await import('@zonesim/common');
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const ledger = new InvocationLedger({ settings: { dir, freeTier: false }, clock: systemClock, log: silentLogger() });
  // Gauges are read only when scraped; the counters and histogram follow every record.
  new CoordinatorMetrics({ ledger, membership: {} as never, router: {} as never, asyncInvocations: {} as never, provisioned: {} as never });
  await ledger.start();
  const functions = Array.from({ length: 50 }, (_, i) => ({
    name: `fn-${i}`,
    version: i % 5 === 0 ? '3' : '$LATEST',
    runtime: i % 7 === 0 ? 'zonesim.synthetic' : 'nodejs20.x',
    memorySize: [128, 256, 512, 1024, 2048][i % 5]!,
    architecture: i % 3 === 0 ? 'arm64' : 'x86_64',
    ephemeralStorageMb: 512,
  }));
  const zones = ['az-a', 'az-b', 'az-c'];
  const step = Math.max(1, Math.floor(total / 10));
  const points: LedgerPoint[] = [];
  const t0 = performance.now();
  let seq = 0;
  for (let i = 1; i <= total; i++) {
    const f = functions[i % functions.length]!;
    const zone = zones[i % 3]!;
    const now = Date.now();
    const cold = i % 100 === 0;
    const roll = (i * 2654435761) % 1000;
    const base = { requestId: randomUUID(), attempt: 1, invocationType: (i % 10 === 0 ? 'Event' : 'RequestResponse') as 'Event' | 'RequestResponse', view: f as never, qualifier: i % 20 === 0 ? 'live' : undefined, receivedAt: now - 25, trace: { dispatchedAt: now - 24 } };
    let rec;
    if (roll < 10) {
      const err = new LambdaApiError('TooManyRequestsException', 429, 'Rate Exceeded.', { extra: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' } });
      rec = attemptRecord({ ...base, respondedAt: now, error: err });
    } else {
      const durationMs = 5 + (roll % 40);
      rec = attemptRecord({
        ...base,
        respondedAt: now,
        result: {
          type: 'invoke-result',
          invocationId: `inv-${++seq}`,
          outcome: roll < 30 ? 'function-error' : 'success',
          ...(roll < 30 ? { functionError: { errorType: 'Error', errorMessage: 'boom' } } : { payload: new Uint8Array(0) }),
          placement: { zone, nodeId: `${zone}-node-1`, environmentId: `env-${zone}-${i % 400}`, cold },
          timings: {
            receivedAt: now - 24,
            startedAt: now - 2 - durationMs,
            endedAt: now - 2,
            ...(cold ? { initMs: 180 } : {}),
            durationMs,
            billedMs: Math.ceil(durationMs + (cold ? 180 : 0)),
            memorySizeMb: f.memorySize,
            maxMemoryUsedMb: 60 + (roll % 30),
          },
          environmentKept: true,
        },
      });
    }
    ledger.record(rec);
    if (i % 1000 === 0) {
      // Let the writer write, as the coordinator's event loop would between requests.
      await nextTurn();
      while (ledger.writer.stats.bufferedBytes > 4 * MB) await new Promise((r) => setTimeout(r, 5));
    }
    if (i % step === 0) {
      await ledger.writer.flush();
      gc();
      const m = process.memoryUsage();
      points.push({ records: i, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external + m.arrayBuffers });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const w = ledger.writer.stats;
  await ledger.stop();
  return { points, seconds, written: w.written, dropped: w.dropped, files: w.files };
}

async function ledgerScale(ctx: BenchContext, total: number): Promise<LedgerRun> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-bench-ledger-'));
  try {
    const child = spawn(process.execPath, ['--expose-gc', '--import=tsx', fileURLToPath(import.meta.url), '--ledger-child', String(total), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const abort = (): void => void child.kill('SIGKILL');
    ctx.signal.addEventListener('abort', abort);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    ctx.signal.removeEventListener('abort', abort);
    if (code !== 0) throw new Error(`ledger child exited with ${code}`);
    return JSON.parse(out) as LedgerRun;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'scale',
  title: 'Scale: in-flight invocations and a million records',
  async run(ctx) {
    const target = ctx.quick ? 1_000 : 10_000;
    const records = ctx.quick ? 100_000 : 1_000_000;
    const a = await inFlightScale(ctx, target);
    ctx.log(`  feeding ${records.toLocaleString('en-US')} records to the ledger`);
    const b = await ledgerScale(ctx, records);
    const at = (n: number) => b.points.find((p) => p.records === n) ?? b.points.at(-1)!;
    const first = b.points[0]!;
    const last = b.points.at(-1)!;
    // Slope over the second half (after the histograms, maps and caches have their size), per 100k records.
    const half = b.points.slice(Math.floor(b.points.length / 2));
    const heapSlope = slope(half.map((p) => p.records), half.map((p) => p.heapUsedBytes)) * 100_000;
    const rssSlope = slope(half.map((p) => p.records), half.map((p) => p.rssBytes)) * 100_000;
    const checkpoints = ctx.quick ? [10_000, 50_000, 100_000] : [100_000, 500_000, 1_000_000];
    const rows: ResultRow[] = [...a.rows];
    for (const n of checkpoints) {
      const p = at(n);
      rows.push(row(`ledger process after ${n.toLocaleString('en-US')} records: RSS / heap used`, p.rssBytes / MB, 'MiB', undefined, `heap used ${fmt(p.heapUsedBytes / MB)} MiB`));
    }
    rows.push(row('heap growth per 100,000 records (second half of the run)', heapSlope / KB, 'KB', undefined, `RSS: ${fmt(rssSlope / KB)} KB per 100,000`));
    rows.push(row('records recorded per second', records / b.seconds, 'records/s', undefined, `${b.written.toLocaleString('en-US')} written to ${b.files} NDJSON files, ${b.dropped} dropped`));
    // Flat: the heap grows by less than 1 MiB per 100k records once warm (a leak of even 10 bytes
    // per record would show as ~1 MiB per 100k), and the end is within 10% + 4 MiB of the first point.
    const flat = heapSlope < MB && last.heapUsedBytes <= first.heapUsedBytes * 1.1 + 4 * MB;
    return {
      measures:
        `(a) ${target.toLocaleString('en-US')} synchronous invokes of a synthetic function (constant ${holdMsFor(ctx) / 1000} s) held in flight at once across ` +
        `3 zone nodes (coordinator \`--account-concurrency ${Math.max(20_000, target * 2)} --scaling-rate ${target * 100}\`); the coordinator's RSS and CPU ` +
        `are read from /proc before, while the requests arrive and at the plateau (in-flight count from \`GET /zonesim/v1/zones\`). ` +
        `Baseline: the bare \`node:http\` server holding as many POSTs open (\`?hold=MS\`), same client, same run. ` +
        `(b) ${records.toLocaleString('en-US')} attempts fed, in a child process run with \`--expose-gc\`, to the coordinator's own ` +
        `\`InvocationLedger\` (NDJSON writer, HDR latency per function x zone x phase, per-second time series, billing) and its ` +
        `Prometheus listener, each record built by the coordinator's \`attemptRecord\` (50 functions, 3 zones, 400 environments, ` +
        `1% cold, 2% function errors, 1% throttles); \`process.memoryUsage()\` after a full GC every ${(records / 10).toLocaleString('en-US')}.`,
      rows,
      numbers: {
        ...a.numbers,
        ledgerRecords: records,
        ...Object.fromEntries(checkpoints.flatMap((n) => [[`ledgerRssAt${n}`, at(n).rssBytes], [`ledgerHeapAt${n}`, at(n).heapUsedBytes]])),
        ledgerHeapSlopePer100k: heapSlope,
        ledgerRssSlopePer100k: rssSlope,
        ledgerRecordsPerSecond: records / b.seconds,
        ledgerDropped: b.dropped,
      },
      baseline: a.baseline,
      targets: [
        ...a.targets,
        {
          target: `coordinator memory flat over ${records.toLocaleString('en-US')} recorded invocations (issue 5)`,
          actual: `heap ${fmt(first.heapUsedBytes / MB)} MiB at ${first.records.toLocaleString('en-US')}, ${fmt(last.heapUsedBytes / MB)} MiB at ${last.records.toLocaleString('en-US')}; ${fmt(heapSlope / KB)} KB per 100k`,
          met: flat,
        },
      ],
      notes: [
        ...a.notes,
        'The ledger part runs the coordinator\'s ledger classes in their own process rather than 1,000,000 invocations through a live cluster (which would take about ten minutes here); the log store (SQLite, `logRetentionEvents` per function) and the async store keep their data on disk and are not in it.',
      ],
    };
  },
};

// The ledger child: `node --expose-gc --import=tsx bench/scale.ts --ledger-child N DIR`.
if (process.argv[2] === '--ledger-child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  ledgerChild(Number(process.argv[3]), process.argv[4]!).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
