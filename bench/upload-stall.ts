/**
 * Benchmark 8, upload stall (issue 15, finding 4): does a big deploy stall the coordinator's event
 * loop? A 3-zone cluster with its default heartbeat settings serves a loop of small invocations and
 * a probe (`GET /zonesim/v1/health` one at a time on a keep-alive connection) while these uploads go
 * in one after the other:
 *
 * - CreateFunction with a ~50 MB zip of random (incompressible) bytes: a ~67 MB JSON body, since
 *   the zip travels base64 inside it;
 * - CreateFunction with a zip of 100,000 entries (the entry limit);
 * - UpdateFunctionCode with the ~50 MB zip again (on the 100,000-entry function).
 *
 * Measured from outside (so the same script measures old code too): the longest probe round trip
 * (a blocked loop answers nothing), failed invocations, and nodes that lost their session (a new
 * `sessionId` in `/zonesim/v1/zones`, or a zone seen down). From inside, where the coordinator
 * reports it: the largest event-loop delay it measured (`eventLoop` of `/zonesim/v1/stats`).
 *
 *   npm run bench -- upload-stall             (part of the suite)
 *   node --import=tsx bench/upload-stall.ts    (alone; prints the numbers as JSON)
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { rawZip, type RawEntry } from '../packages/code/src/test-util/raw-zip.js';
import { runMain } from './lib/cleanup.js';
import { createFunction, invokePath, NOOP_FILES, startBenchCluster, type BenchCluster } from './lib/cluster.js';
import { HttpClient } from './lib/http-load.js';
import { fmt, median } from './lib/stats.js';
import { row, type BenchContext, type Benchmark } from './lib/types.js';

const ROLE = 'arn:aws:iam::000000000000:role/bench';
/** Under Lambda's 52,428,800-byte direct-upload limit with room for the zip's own records. */
const BIG_FILE_BYTES = 49 * 1024 * 1024;
const MANY_ENTRIES = 100_000;

interface ZoneNodeView {
  nodeId: string;
  sessionId: string;
  health: string;
}

/** The uploads, encoded before any measurement starts (encoding 67 MB would stall this process too). */
interface Uploads {
  bigCreate: Buffer;
  manyCreate: Buffer;
  bigUpdate: Buffer;
  bigZipBytes: number;
  manyZipBytes: number;
}

async function buildUploads(log: (m: string) => void): Promise<Uploads> {
  log('building the ~50 MB zip and the 100,000-entry zip');
  // Stored, not deflated, and written by the test writer (zip64 past 65,535 entries): random bytes do
  // not compress, and yazl takes minutes for 100,000 entries on a loaded machine.
  const big = rawZip([{ name: 'index.mjs', content: NOOP_FILES['index.mjs'], method: 0 }, { name: 'blob.bin', content: randomBytes(BIG_FILE_BYTES), method: 0 }]);
  const entries: RawEntry[] = [{ name: 'index.mjs', content: NOOP_FILES['index.mjs'], method: 0 }];
  for (let i = 1; i < MANY_ENTRIES; i++) entries.push({ name: `m/${String(i % 100).padStart(2, '0')}/f${i}.js`, content: `export default ${i};\n`, method: 0 });
  const many = rawZip(entries);
  const create = (name: string, zip: Buffer): Buffer => Buffer.from(JSON.stringify({
    FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip.toString('base64') },
  }));
  return {
    bigCreate: create('big', big),
    manyCreate: create('many', many),
    bigUpdate: Buffer.from(JSON.stringify({ ZipFile: big.toString('base64') })),
    bigZipBytes: big.length,
    manyZipBytes: many.length,
  };
}

/** What one run measured. */
export interface StallNumbers {
  /** Longest probe round trip while the uploads ran (ms). */
  probeMaxMs: number;
  /** Longest probe round trip answered during each upload (ms). */
  probeMaxBigCreateMs: number;
  probeMaxManyCreateMs: number;
  probeMaxBigUpdateMs: number;
  /** Median probe round trip while the uploads ran (ms). */
  probeMedianMs: number;
  /** Longest probe round trip before the uploads (ms): the machine's own noise. */
  idleProbeMaxMs: number;
  probes: number;
  invocationsOk: number;
  invocationsFailed: number;
  /** Nodes whose session changed or that were seen down during the uploads. */
  nodesLost: number;
  /** The coordinator's own largest event-loop delay over the uploads (ms); NaN when it does not report it. */
  loopDelayMaxMs: number;
  /** Seconds for each upload's answer. */
  bigCreateSeconds: number;
  manyCreateSeconds: number;
  bigUpdateSeconds: number;
  bigBodyBytes: number;
  manyZipBytes: number;
  /** The detector's bound: heartbeat interval x miss limit (ms). */
  detectorTimeoutMs: number;
}

async function zones(client: HttpClient): Promise<ZoneNodeView[]> {
  const a = await client.send('GET', '/zonesim/v1/zones');
  const view = JSON.parse(a.body.toString()) as { zones: Array<{ health: string; nodes: ZoneNodeView[] }> };
  return view.zones.flatMap((z) => (z.health === 'down' ? [{ nodeId: `(zone down)`, sessionId: '', health: 'down' }] : z.nodes));
}

/** The coordinator's own event-loop delay figure, when it has one (`eventLoop.recent` of /zonesim/v1/stats). */
async function loopDelayMax(client: HttpClient, sinceEpochMs: number): Promise<number> {
  const a = await client.send('GET', '/zonesim/v1/stats');
  const stats = JSON.parse(a.body.toString()) as { eventLoop?: { recent: Array<{ at: number; maxMs: number }> } };
  const recent = stats.eventLoop?.recent.filter((s) => s.at >= sinceEpochMs);
  return recent === undefined ? NaN : Math.max(0, ...recent.map((s) => s.maxMs));
}

/** Runs the uploads on `cluster` with the probe and the invocation loop going; one measurement. */
export async function measureUploadStall(cluster: BenchCluster, uploads: Uploads, log: (m: string) => void): Promise<StallNumbers> {
  const control = new HttpClient(cluster.apiUrl, 2);
  const probeClient = new HttpClient(cluster.apiUrl, 1);
  const invokeClient = new HttpClient(cluster.apiUrl, 1);
  const uploadClient = new HttpClient(cluster.apiUrl, 1);
  try {
    await createFunction(cluster.apiUrl, 'noop', NOOP_FILES);
    for (let i = 0; i < 20; i++) await invokeClient.send('POST', invokePath('noop'), Buffer.from('{}'));
    const before = await zones(control);
    let stopped = false;
    let measuring = false;
    const probe = { idleMax: 0, max: 0, all: [] as number[], answeredAt: [] as number[] };
    const invocations = { ok: 0, failed: 0 };
    const probing = (async () => {
      while (!stopped) {
        const t0 = performance.now();
        await probeClient.send('GET', '/zonesim/v1/health');
        const ms = performance.now() - t0;
        if (measuring) {
          probe.max = Math.max(probe.max, ms);
          probe.all.push(ms);
          probe.answeredAt.push(performance.now());
        } else probe.idleMax = Math.max(probe.idleMax, ms);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const invoking = (async () => {
      while (!stopped) {
        try {
          const a = await invokeClient.send('POST', invokePath('noop'), Buffer.from('{}'));
          if (a.status === 200) invocations.ok++;
          else invocations.failed++;
        } catch {
          invocations.failed++;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    measuring = true;
    const startedAt = Date.now();
    const phases: Array<[number, number]> = [];
    const timed = async (what: string, method: string, path: string, body: Buffer, expect: number): Promise<number> => {
      const t0 = performance.now();
      const a = await uploadClient.send(method, path, body);
      const t1 = performance.now();
      phases.push([t0, t1]);
      const seconds = (t1 - t0) / 1000;
      if (a.status !== expect) throw new Error(`${what}: expected ${expect}, got ${a.status}: ${a.body.toString().slice(0, 300)}`);
      log(`${what}: ${fmt(seconds)} s`);
      return seconds;
    };
    // A probe answered in an upload's window (or within a second after it: a stall at its very end
    // is answered late) counts for that upload.
    const phaseMax = (i: number): number => {
      const [from, to] = phases[i]!;
      return Math.max(0, ...probe.all.filter((_, k) => probe.answeredAt[k]! >= from && probe.answeredAt[k]! <= to + 1000));
    };
    const bigCreateSeconds = await timed('CreateFunction, ~50 MB zip', 'POST', '/2015-03-31/functions', uploads.bigCreate, 201);
    const manyCreateSeconds = await timed('CreateFunction, 100,000 entries', 'POST', '/2015-03-31/functions', uploads.manyCreate, 201);
    const bigUpdateSeconds = await timed('UpdateFunctionCode, ~50 MB zip', 'PUT', '/2015-03-31/functions/many/code', uploads.bigUpdate, 200);
    // Past the detector's bound, so that a node lost to a stall has been declared lost.
    await new Promise((r) => setTimeout(r, 1500));
    measuring = false;
    stopped = true;
    await Promise.all([probing, invoking]);
    const after = await zones(control);
    const lost = before.filter((b) => !after.some((a) => a.nodeId === b.nodeId && a.sessionId === b.sessionId && a.health !== 'down')).length;
    const sorted = [...probe.all].sort((a, b) => a - b);
    return {
      probeMaxMs: probe.max,
      probeMaxBigCreateMs: phaseMax(0),
      probeMaxManyCreateMs: phaseMax(1),
      probeMaxBigUpdateMs: phaseMax(2),
      probeMedianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      idleProbeMaxMs: probe.idleMax,
      probes: probe.all.length,
      invocationsOk: invocations.ok,
      invocationsFailed: invocations.failed,
      nodesLost: lost,
      loopDelayMaxMs: await loopDelayMax(control, startedAt),
      bigCreateSeconds,
      manyCreateSeconds,
      bigUpdateSeconds,
      bigBodyBytes: uploads.bigCreate.length,
      manyZipBytes: uploads.manyZipBytes,
      // The defaults of the cluster started here (coordinator options heartbeatIntervalMs x heartbeatMissLimit).
      detectorTimeoutMs: 200 * 4,
    };
  } finally {
    for (const c of [control, probeClient, invokeClient, uploadClient]) c.close();
  }
}

export const benchmark: Benchmark = {
  name: 'upload-stall',
  title: 'Upload stall: big deploys against the event loop',
  async run(ctx: BenchContext) {
    const uploads = await buildUploads(ctx.log);
    const rounds = ctx.quick ? 1 : 3;
    const all: StallNumbers[] = [];
    for (let i = 0; i < rounds && !ctx.signal.aborted; i++) {
      const cluster = await startBenchCluster({ zoneCount: 3 });
      try {
        all.push(await measureUploadStall(cluster, uploads, ctx.log));
      } finally {
        await cluster.stop();
      }
    }
    const worst = (f: (n: StallNumbers) => number): number => Math.max(...all.map(f));
    const sum = (f: (n: StallNumbers) => number): number => all.reduce((s, n) => s + f(n), 0);
    const probeMax = worst((n) => n.probeMaxMs);
    const loopMax = worst((n) => n.loopDelayMaxMs);
    const lost = sum((n) => n.nodesLost);
    const detector = all[0]!.detectorTimeoutMs;
    return {
      measures:
        `A 3-zone cluster with the default failure detector (200 ms heartbeats, down after 4 missed: ${detector} ms) serves a loop of no-op invocations (one at a time) and a probe (\`GET /zonesim/v1/health\` one at a time, 2 ms apart) while three uploads go in one after the other: CreateFunction with a ${fmt(all[0]!.bigBodyBytes / 1e6)} MB JSON body (a ~50 MB zip of random bytes, base64), CreateFunction with a zip of 100,000 entries (${fmt(all[0]!.manyZipBytes / 1e6)} MB), and UpdateFunctionCode with the ~50 MB zip. ` +
        `The longest probe round trip is the stall as a client sees it; the coordinator's own figure is the largest event-loop delay it measured (\`perf_hooks.monitorEventLoopDelay\`, \`eventLoop\` in \`/zonesim/v1/stats\`). A node counts as lost when its session changed or its zone was seen down. ${rounds} round(s), a fresh cluster each; worst shown.`,
      rows: [
        row('longest probe round trip during the uploads', probeMax, 'ms', { value: worst((n) => n.idleProbeMaxMs), name: 'same probe before the uploads' }),
        row('... during CreateFunction, ~50 MB zip', worst((n) => n.probeMaxBigCreateMs), 'ms'),
        row('... during CreateFunction, 100,000 entries', worst((n) => n.probeMaxManyCreateMs), 'ms'),
        row('... during UpdateFunctionCode, ~50 MB zip', worst((n) => n.probeMaxBigUpdateMs), 'ms'),
        row("coordinator's largest event-loop delay during the uploads", loopMax, 'ms', { value: detector, name: 'failure detector timeout' }),
        row('zone nodes lost (all rounds)', lost, 'nodes'),
        row('invocations failed during the uploads (all rounds)', sum((n) => n.invocationsFailed), 'invocations', undefined, `${sum((n) => n.invocationsOk)} succeeded`),
        row('CreateFunction, ~50 MB zip (median round)', median(all.map((n) => n.bigCreateSeconds)) * 1000, 'ms'),
        row('CreateFunction, 100,000 entries (median round)', median(all.map((n) => n.manyCreateSeconds)) * 1000, 'ms'),
        row('UpdateFunctionCode, ~50 MB zip (median round)', median(all.map((n) => n.bigUpdateSeconds)) * 1000, 'ms'),
      ],
      numbers: { probeMaxMs: probeMax, loopDelayMaxMs: loopMax, nodesLost: lost, invocationsFailed: sum((n) => n.invocationsFailed) },
      baseline: { idleProbeMaxMs: worst((n) => n.idleProbeMaxMs), detectorTimeoutMs: detector },
      targets: [{
        target: 'a deploy never causes a failover (issue 15): no zone node lost, the loop never blocked for half the detector timeout',
        actual: `${lost} nodes lost, largest loop delay ${fmt(loopMax)} ms, longest probe ${fmt(probeMax)} ms`,
        met: lost === 0 && probeMax < detector / 2,
      }],
      notes: all.map((n, i) => `Round ${i + 1}: probe max ${fmt(n.probeMaxMs)} ms (median ${fmt(n.probeMedianMs)} ms over ${n.probes}), loop delay max ${fmt(n.loopDelayMaxMs)} ms, ${n.nodesLost} nodes lost, ${n.invocationsOk} invocations ok / ${n.invocationsFailed} failed.`),
    };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMain(async () => {
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    const uploads = await buildUploads(log);
    const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] ?? 1) || 1;
    for (let i = 0; i < rounds; i++) {
      const cluster = await startBenchCluster({ zoneCount: 3 });
      try {
        process.stdout.write(`${JSON.stringify(await measureUploadStall(cluster, uploads, log))}\n`);
      } finally {
        await cluster.stop();
      }
    }
  });
}
