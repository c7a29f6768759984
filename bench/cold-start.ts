/**
 * Benchmark 3, cold start (issue 10): time to the first result of a fresh environment, with its
 * breakdown (INIT, handler, platform), for each kind of environment: Node.js under process
 * isolation (with the zone node's spare runtimes, the default, and without them) and worker
 * isolation, and a custom runtime (`provided.al2023`, the Lambda docs' tutorial bootstrap in
 * /bin/sh with curl). Baselines, measured in the same run between samples: spawning `node -e 0`, an
 * empty worker thread, and the custom runtime's own work without the platform (a shell running the
 * same two curl calls against a bare `node:http` server).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { ZipInput } from '@zonesim/code';
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

/**
 * The tutorial runtime from the Lambda docs: a shell loop that fetches the next event with curl and
 * posts the response with curl. Every call is a new curl process, as in the docs.
 */
const SHELL_BOOTSTRAP = `#!/bin/sh
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^lambda-runtime-aws-request-id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d 'null'
done
`;

/** A bare `node:http` server answering every request with `{}`: the custom runtime baseline's peer. */
async function startBareServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The shell runtime's own work for one cold start, without the platform: sh, then curl GET and curl
 * POST. Spawned asynchronously: the bare server answering curl runs on this process's event loop.
 */
async function shellCurlBaseline(base: string): Promise<number> {
  const script = `HEADERS=$(mktemp); EVENT=$(curl -sS -D "$HEADERS" "${base}/next"); curl -sS -o /dev/null -X POST "${base}/response" -d 'null'; rm -f "$HEADERS"`;
  const t0 = performance.now();
  const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the shell + curl baseline exited with ${code} (is curl installed?)`);
  return performance.now() - t0;
}

/** One kind of environment: its package, its configuration and its baseline. */
interface Kind {
  id: 'process' | 'fresh' | 'worker' | 'custom';
  label: string;
  baselineName: string;
  files: Record<string, ZipInput>;
  config: Record<string, unknown>;
  baseline: () => number | Promise<number>;
}

async function measureKinds(ctx: BenchContext, zoneArgs: string[], kinds: readonly Kind[], samples: number): Promise<Map<Kind, Sample[]>> {
  const cluster = await startBenchCluster({ zoneCount: 1, zoneArgs });
  const client = new HttpClient(cluster.apiUrl, 1);
  const results = new Map<Kind, Sample[]>();
  try {
    const body = Buffer.from('{}');
    const once = async (kind: Kind, name: string): Promise<{ totalMs: number; initMs: number; durationMs: number }> => {
      await createFunction(cluster.apiUrl, name, kind.files, { ...kind.config, Environment: { Variables: { SAMPLE: name } } });
      const t0 = performance.now();
      const a = await client.send('POST', invokePath(name), body);
      const totalMs = performance.now() - t0;
      if (a.status !== 200 || a.headers['x-amz-function-error']) throw new Error(`invoke ${name}: ${a.status} ${a.body.toString().slice(0, 300)}`);
      if (a.headers['x-zonesim-cold'] !== 'true') throw new Error(`invoke ${name} was not a cold start`);
      await deleteFunction(cluster.apiUrl, name);
      return { totalMs, initMs: Number(a.headers['x-zonesim-init-ms']), durationMs: Number(a.headers['x-zonesim-duration-ms']) };
    };
    for (const kind of kinds) {
      // The first one also downloads and unpacks the code (content-addressed: the later ones find it
      // in the zone node's cache, as a new environment of an existing function would).
      await once(kind, `cold-${kind.id}-warmup-1`);
      await once(kind, `cold-${kind.id}-warmup-2`);
      const out: Sample[] = [];
      for (let i = 0; i < samples && !ctx.signal.aborted; i++) {
        const baselineMs = await kind.baseline();
        out.push({ ...(await once(kind, `cold-${kind.id}-${i}`)), baselineMs });
      }
      ctx.log(`  ${kind.label}: first result ${fmt(median(out.map((s) => s.totalMs)))} ms (median of ${out.length})`);
      results.set(kind, out);
    }
    return results;
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
    const bare = await startBareServer();
    const node = (isolation: 'process' | 'worker'): Kind => ({
      id: isolation,
      label: `Node.js, ${isolation} isolation`,
      baselineName: isolation === 'process' ? '`node -e 0` spawn' : 'empty worker thread start',
      files: NOOP_FILES,
      config: {},
      baseline: isolation === 'process' ? spawnNode : startWorker,
    });
    const fresh: Kind = {
      ...node('process'),
      id: 'fresh',
      label: 'Node.js, process isolation, no spare runtime (`--spare-runtimes 0`)',
    };
    const custom: Kind = {
      id: 'custom',
      label: 'custom runtime (provided.al2023, sh + curl)',
      baselineName: 'sh + 2 curl calls to bare node:http',
      files: { bootstrap: { content: SHELL_BOOTSTRAP, mode: 0o755 } },
      config: { Runtime: 'provided.al2023', Handler: 'function.handler' },
      baseline: () => shellCurlBaseline(bare.base),
    };
    const rows: ResultRow[] = [];
    const numbers: Record<string, number> = {};
    const baseline: Record<string, number> = {};
    try {
      const measured = new Map<Kind, Sample[]>();
      // The custom runtime is a child process whatever the isolation: it runs on the process cluster.
      for (const [k, v] of await measureKinds(ctx, ['--isolation', 'process'], [node('process'), custom], samples)) measured.set(k, v);
      for (const [k, v] of await measureKinds(ctx, ['--isolation', 'process', '--spare-runtimes', '0'], [fresh], samples)) measured.set(k, v);
      for (const [k, v] of await measureKinds(ctx, ['--isolation', 'worker'], [node('worker')], samples)) measured.set(k, v);
      for (const [kind, s] of measured) {
        const m = (f: (x: Sample) => number) => median(s.map(f));
        const base = { value: m((x) => x.baselineMs), name: kind.baselineName };
        rows.push(row(`${kind.label}: time to first result`, m((x) => x.totalMs), 'ms', base));
        rows.push(row(`${kind.label}: INIT (x-zonesim-init-ms)`, m((x) => x.initMs), 'ms', base));
        rows.push(row(`${kind.label}: handler (REPORT Duration)`, m((x) => x.durationMs), 'ms'));
        rows.push(row(`${kind.label}: platform (total - INIT - handler)`, m((x) => x.totalMs - x.initMs - x.durationMs), 'ms', base));
        numbers[`${kind.id}.totalMs`] = m((x) => x.totalMs);
        numbers[`${kind.id}.totalMaxMs`] = Math.max(...s.map((x) => x.totalMs));
        numbers[`${kind.id}.initMs`] = m((x) => x.initMs);
        numbers[`${kind.id}.durationMs`] = m((x) => x.durationMs);
        numbers[`${kind.id}.platformMs`] = m((x) => x.totalMs - x.initMs - x.durationMs);
        baseline[{ process: 'nodeSpawnMs', fresh: 'nodeSpawnFreshMs', worker: 'workerStartMs', custom: 'shellCurlMs' }[kind.id]] = base.value;
      }
    } finally {
      await new Promise<void>((resolve) => bare.server.close(() => resolve()));
    }
    const proc = numbers['process.totalMs']!;
    return {
      measures:
        `For each sample a new function is created (CreateFunction with the same package and a distinct environment ` +
        `variable, so no warm environment can serve it), invoked once through the Lambda API and deleted; ` +
        `${samples} samples per kind after two warm-up samples (the first downloads the package; the zone node's ` +
        `content-addressed cache serves the rest). Time to first result is measured by the client; INIT comes from ` +
        `\`x-zonesim-init-ms\` (for the custom runtime: from its start to its first \`GET /invocation/next\`), the handler's ` +
        `duration from \`x-zonesim-duration-ms\`, and the platform's share is what is left. Medians shown. Kinds: the no-op ` +
        `Node.js function under process isolation (with the zone node's spare runtimes, the default: a cold start takes a ` +
        `Node runtime started ahead of need, and a new one is started behind it; and on a zone node started with ` +
        `\`--spare-runtimes 0\`, where each cold start forks Node, as the first cold start of a memory size always does) ` +
        `and under worker isolation, and the Lambda docs' tutorial custom runtime ` +
        `(\`provided.al2023\`, a /bin/sh \`bootstrap\` that calls the Runtime API with curl). Baselines, measured right ` +
        `before each sample: spawning \`node -e 0\` to its exit (process isolation), starting an empty worker thread to its ` +
        `first message (worker isolation), and a shell running the same two curl calls (GET, then POST) against a bare ` +
        `\`node:http\` server (the custom runtime's own work without the platform). One zone.`,
      rows,
      numbers,
      baseline,
      targets: [
        {
          target: 'cold start of a real Node environment in tens of ms (PRODUCT.md; no modelled delay here)',
          actual: `${fmt(proc)} ms process, ${fmt(numbers['worker.totalMs']!)} ms worker`,
          met: proc < 100,
          note:
            `with a spare runtime (the default) INIT is the handler's load; a cold start that forks Node (\`--spare-runtimes 0\`, or the first of a memory size ` +
            `on a node) takes ${fmt(numbers['fresh.totalMs']!)} ms, bounded by a bare \`node -e 0\`'s ${fmt(baseline['nodeSpawnFreshMs']!)} ms on this machine; ` +
            `the platform's own share is ${fmt(numbers['process.platformMs']!)} ms`,
        },
      ],
      notes: [
        `The custom runtime's first result takes ${fmt(numbers['custom.totalMs']!)} ms against ${fmt(baseline['shellCurlMs']!)} ms for ` +
          `the same shell and curl calls on a bare server: most of it is the runtime's own process starts (sh, then one curl per call).`,
      ],
    };
  },
};
