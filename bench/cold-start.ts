/**
 * Benchmark 3, cold start (issue 10): time to the first result of a fresh environment, with its
 * breakdown (INIT, handler, platform), for each kind of environment: Node.js under process
 * isolation (with the zone node's spare runtimes, the default, and without them) and worker
 * isolation, and a custom runtime (`provided.al2023`, the Lambda docs' tutorial bootstrap in
 * /bin/sh with curl), and Python and Java through zonesim's runtime clients (issue 17); the process kinds once in the sandbox (bubblewrap + cgroups, the default where
 * the machine has them, issue 15) and once with `--sandbox off`, samples interleaved. Baselines,
 * measured in the same run between samples: spawning `node -e 0` (bare, and inside a bare
 * bubblewrap sandbox), an empty worker thread, and the custom runtime's own work without the
 * platform (a shell running the same two curl calls against a bare `node:http` server), and the
 * bare interpreters (python3, java with the same options) starting the same handler and calling it once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { ZipInput } from '@zonesim/code';
import { JAVA_OPTIONS, Sandbox, machineJavaClient, machinePython, resolveSandboxSettings } from '@zonesim/zone-node';
import { createFunction, deleteFunction, invokePath, lambdaApi, NOOP_FILES, startBenchCluster, type BenchCluster } from './lib/cluster.js';
import { HttpClient } from './lib/http-load.js';
import { fmt, median } from './lib/stats.js';
import { row, type BenchContext, type Benchmark, type ResultRow } from './lib/types.js';

interface Sample {
  totalMs: number;
  initMs: number;
  durationMs: number;
  baselineMs: number;
}

/** `node -e 0`: the cost of a bare Node.js process start, to its exit (with this process's environment unless given one). */
function spawnNode(env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' }): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`node -e 0 exited with ${r.status}`);
  return performance.now() - t0;
}

/**
 * `node -e 0` in a bare bubblewrap sandbox with the namespaces and mounts of an environment's (no
 * cgroups, no code): what bubblewrap itself costs a process start.
 */
function spawnNodeInBwrap(): number {
  const args = [
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    '--dir', '/opt', '--size', String(512 * 1024 * 1024), '--tmpfs', '/tmp', '--proc', '/proc', '--dev', '/dev', '--remount-ro', '/',
    '--clearenv', '--', process.execPath, '-e', '0',
  ];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/bwrap', args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`bwrap ... node -e 0 exited with ${r.status}`);
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

/** A no-op Python handler, and the bare interpreter starting the same code: import it and call it once. */
const PYTHON_HANDLER = 'def lambda_handler(event, context):\n    return None\n';

async function pythonBaseline(python: string, dir: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(python, ['-s', '-c', 'import lambda_function; lambda_function.lambda_handler({}, None)'], { cwd: dir, stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '', PYTHONDONTWRITEBYTECODE: '1' } });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`python3 baseline exited with ${code}`);
  return performance.now() - t0;
}

/** A no-op Java handler with a main that makes the handler and calls it once: the bare JVM's baseline. */
const JAVA_HANDLER = `package bench;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
public class Noop implements RequestHandler<Object, Object> {
    public Object handleRequest(Object event, Context context) { return null; }
    public static void main(String[] args) { new Noop().handleRequest(null, null); }
}
`;

/** The compiled Java handler as zip entries, and how to run its main on the same JVM options. */
async function javaPackage(): Promise<{ files: Record<string, ZipInput>; baseline: () => Promise<number>; cleanup: () => Promise<void> } | undefined> {
  const { jdk, ricDir } = await machineJavaClient();
  if (!jdk || !ricDir) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-bench-java-'));
  await mkdir(join(dir, 'src', 'bench'), { recursive: true });
  await writeFile(join(dir, 'src', 'bench', 'Noop.java'), JAVA_HANDLER);
  const classes = join(dir, 'classes');
  const r = spawnSync(jdk.javac, ['--release', '17', '-nowarn', '-cp', ricDir, '-d', classes, join(dir, 'src', 'bench', 'Noop.java')], { stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`javac: ${r.stderr?.toString()}`);
  const files: Record<string, ZipInput> = { 'bench/Noop.class': await readFile(join(classes, 'bench', 'Noop.class')) };
  return {
    files,
    baseline: async () => {
      const t0 = performance.now();
      const child = spawn(jdk.java, [...JAVA_OPTIONS, '-XX:MaxHeapSize=108m', '-cp', `${ricDir}:${classes}`, 'bench.Noop'], { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '' } });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`java baseline exited with ${code}`);
      return performance.now() - t0;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** One kind of environment: its package, its configuration, the zone node it runs on, and its baseline. */
interface Kind {
  id: 'process' | 'fresh' | 'worker' | 'custom' | 'processOff' | 'freshOff' | 'customOff' | 'python' | 'pythonOff' | 'java' | 'javaOff';
  label: string;
  /** The zone node's flags: kinds with the same flags share one cluster. */
  zoneArgs: string[];
  baselineName: string;
  files: Record<string, ZipInput>;
  config: Record<string, unknown>;
  baseline: () => number | Promise<number>;
}

/**
 * Measures the kinds with samples interleaved (one of each kind in turn), so that sandboxed and
 * unsandboxed samples share the machine's noise; one single-zone cluster per set of zone flags.
 * Resolves with the samples and the sandbox each cluster reported.
 */
async function measureKinds(ctx: BenchContext, kinds: readonly Kind[], samples: number): Promise<{ samples: Map<Kind, Sample[]>; sandboxes: Map<string, string> }> {
  const clusters = new Map<string, { cluster: BenchCluster; client: HttpClient }>();
  const results = new Map<Kind, Sample[]>();
  const sandboxes = new Map<string, string>();
  try {
    for (const kind of kinds) {
      const key = kind.zoneArgs.join(' ');
      if (clusters.has(key)) continue;
      const cluster = await startBenchCluster({ zoneCount: 1, zoneArgs: kind.zoneArgs });
      clusters.set(key, { cluster, client: new HttpClient(cluster.apiUrl, 1) });
      const zones = await lambdaApi(cluster.apiUrl, 'GET', '/zonesim/v1/zones');
      const s = zones.zones[0]?.nodes[0]?.sandbox as { kind: string; reason?: string } | undefined;
      sandboxes.set(key, s ? `${s.kind}${s.reason ? ` (${s.reason})` : ''}` : 'unknown');
    }
    const body = Buffer.from('{}');
    const once = async (kind: Kind, name: string): Promise<{ totalMs: number; initMs: number; durationMs: number }> => {
      const { cluster, client } = clusters.get(kind.zoneArgs.join(' '))!;
      await createFunction(cluster.apiUrl, name, kind.files, { ...kind.config, Environment: { Variables: { SAMPLE: name } } });
      const t0 = performance.now();
      const a = await client.send('POST', invokePath(name), body);
      const totalMs = performance.now() - t0;
      if (a.status !== 200 || a.headers['x-amz-function-error']) throw new Error(`invoke ${name}: ${a.status} ${a.body.toString().slice(0, 300)}`);
      if (a.headers['x-zonesim-cold'] !== 'true') throw new Error(`invoke ${name} was not a cold start`);
      await deleteFunction(cluster.apiUrl, name);
      return { totalMs, initMs: Number(a.headers['x-zonesim-init-ms']), durationMs: Number(a.headers['x-zonesim-duration-ms']) };
    };
    // The first ones also download and unpack the code (content-addressed: the later ones find it
    // in the zone node's cache, as a new environment of an existing function would).
    for (const kind of kinds) {
      await once(kind, `cold-${kind.id}-warmup-1`);
      await once(kind, `cold-${kind.id}-warmup-2`);
      results.set(kind, []);
    }
    for (let i = 0; i < samples && !ctx.signal.aborted; i++) {
      for (const kind of kinds) {
        const baselineMs = await kind.baseline();
        results.get(kind)!.push({ ...(await once(kind, `cold-${kind.id}-${i}`)), baselineMs });
      }
    }
    for (const kind of kinds) ctx.log(`  ${kind.label}: first result ${fmt(median(results.get(kind)!.map((s) => s.totalMs)))} ms (median of ${results.get(kind)!.length})`);
    return { samples: results, sandboxes };
  } finally {
    for (const { cluster, client } of clusters.values()) {
      client.close();
      await cluster.stop();
    }
  }
}

export const benchmark: Benchmark = {
  name: 'cold-start',
  title: 'Cold start',
  async run(ctx) {
    const samples = ctx.quick ? 5 : 25;
    const bare = await startBareServer();
    // Sandboxed kinds run where the machine can sandbox (--sandbox on refuses otherwise; then only
    // the unsandboxed kinds are measured, and a note says why).
    const canSandbox = await sandboxAvailable();
    const SANDBOXED = ['--isolation', 'process', '--sandbox', 'on'];
    const OFF = ['--isolation', 'process', '--sandbox', 'off'];
    // bubblewrap's own cost: `node -e 0` bare and inside a bare sandbox, back to back (paired, so
    // that the machine's noise cancels out of their difference).
    const bwrapCost: number[] = [];
    const pairedBwrap = (): number => {
      // Both with an empty environment, as bubblewrap's --clearenv leaves it (a variable such as
      // NODE_EXTRA_CA_CERTS alone costs Node tens of ms at start).
      const plain = spawnNode({});
      const sandboxed = spawnNodeInBwrap();
      bwrapCost.push(sandboxed - plain);
      return sandboxed;
    };
    const nodeKind = (id: Kind['id'], label: string, zoneArgs: string[], bwrapBaseline = false): Kind => ({
      id,
      label,
      zoneArgs,
      baselineName: bwrapBaseline ? '`node -e 0` in a bare bwrap sandbox' : '`node -e 0` spawn',
      files: NOOP_FILES,
      config: {},
      baseline: bwrapBaseline ? pairedBwrap : () => spawnNode(),
    });
    const customKind = (id: Kind['id'], label: string, zoneArgs: string[]): Kind => ({
      id,
      label,
      zoneArgs,
      baselineName: 'sh + 2 curl calls to bare node:http',
      files: { bootstrap: { content: SHELL_BOOTSTRAP, mode: 0o755 } },
      config: { Runtime: 'provided.al2023', Handler: 'function.handler' },
      baseline: () => shellCurlBaseline(bare.base),
    });
    // Python and Java, each against its bare interpreter starting the same code (issue 17).
    const python = await machinePython();
    const pythonDir = python ? await mkdtemp(join(tmpdir(), 'zonesim-bench-py-')) : undefined;
    if (pythonDir) await writeFile(join(pythonDir, 'lambda_function.py'), PYTHON_HANDLER);
    const java = await javaPackage();
    const managedKind = (id: Kind['id'], label: string, zoneArgs: string[], which: 'python' | 'java'): Kind =>
      which === 'python'
        ? {
            id, label, zoneArgs,
            baselineName: '`python3` importing the handler and calling it once',
            files: { 'lambda_function.py': PYTHON_HANDLER },
            config: { Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' },
            baseline: () => pythonBaseline(python!.executable, pythonDir!),
          }
        : {
            id, label, zoneArgs,
            baselineName: '`java` (same JVM options) making the handler and calling it once',
            files: java!.files,
            config: { Runtime: 'java17', Handler: 'bench.Noop', MemorySize: 128 },
            baseline: java!.baseline,
          };
    const kinds: Kind[] = [
      ...(canSandbox === true ? [nodeKind('process', 'Node.js, process isolation, sandboxed (bwrap+cgroup, the default)', SANDBOXED)] : []),
      nodeKind('processOff', 'Node.js, process isolation, `--sandbox off`', OFF),
      ...(canSandbox === true ? [customKind('custom', 'custom runtime (provided.al2023, sh + curl), sandboxed', SANDBOXED)] : []),
      customKind('customOff', 'custom runtime (provided.al2023, sh + curl), `--sandbox off`', OFF),
      ...(canSandbox === true ? [nodeKind('fresh', 'Node.js, process isolation, sandboxed, no spare runtime (`--spare-runtimes 0`)', [...SANDBOXED, '--spare-runtimes', '0'], true)] : []),
      nodeKind('freshOff', 'Node.js, process isolation, `--sandbox off`, no spare runtime (`--spare-runtimes 0`)', [...OFF, '--spare-runtimes', '0']),
      ...(python && canSandbox === true ? [managedKind('python', `Python (python3.12 on the machine's ${python.version}), sandboxed`, SANDBOXED, 'python')] : []),
      ...(python ? [managedKind('pythonOff', `Python (python3.12 on the machine's ${python.version}), \`--sandbox off\``, OFF, 'python')] : []),
      ...(java && canSandbox === true ? [managedKind('java', 'Java (java17), sandboxed', SANDBOXED, 'java')] : []),
      ...(java ? [managedKind('javaOff', 'Java (java17), `--sandbox off`', OFF, 'java')] : []),
      {
        id: 'worker',
        label: 'Node.js, worker isolation (cannot be sandboxed)',
        zoneArgs: ['--isolation', 'worker'],
        baselineName: 'empty worker thread start',
        files: NOOP_FILES,
        config: {},
        baseline: startWorker,
      },
    ];
    const rows: ResultRow[] = [];
    const numbers: Record<string, number> = {};
    const baseline: Record<string, number> = {};
    let sandboxes = new Map<string, string>();
    try {
      const measured = await measureKinds(ctx, kinds, samples);
      sandboxes = measured.sandboxes;
      for (const [kind, s] of measured.samples) {
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
        const baselineKey = {
          process: 'nodeSpawnMs',
          processOff: 'nodeSpawnOffMs',
          fresh: 'nodeSpawnInBwrapMs',
          freshOff: 'nodeSpawnFreshMs',
          worker: 'workerStartMs',
          custom: 'shellCurlMs',
          customOff: 'shellCurlOffMs',
          python: 'pythonStartMs',
          pythonOff: 'pythonStartOffMs',
          java: 'javaStartMs',
          javaOff: 'javaStartOffMs',
        }[kind.id];
        baseline[baselineKey] = base.value;
      }
      if (bwrapCost.length > 0) numbers['bwrapNodeSpawnCostMs'] = median(bwrapCost);
      for (const [id, off, what] of [['process', 'processOff', 'with a spare runtime'], ['fresh', 'freshOff', 'without a spare runtime'], ['custom', 'customOff', 'custom runtime'], ['python', 'pythonOff', 'Python'], ['java', 'javaOff', 'Java']] as const) {
        if (numbers[`${id}.totalMs`] === undefined) continue;
        rows.push(row(`sandbox cost, ${what} (sandboxed - \`--sandbox off\`, time to first result)`, numbers[`${id}.totalMs`]! - numbers[`${off}.totalMs`]!, 'ms'));
      }
    } finally {
      await new Promise<void>((resolve) => bare.server.close(() => resolve()));
      if (pythonDir) await rm(pythonDir, { recursive: true, force: true });
      await java?.cleanup();
    }
    const sandboxed = numbers['process.totalMs'] !== undefined;
    const proc = numbers['process.totalMs'] ?? numbers['processOff.totalMs']!;
    const fresh = numbers['fresh.totalMs'] ?? numbers['freshOff.totalMs']!;
    const kindsSeen = [...new Set(sandboxes.values())].join('; ');
    return {
      measures:
        `For each sample a new function is created (CreateFunction with the same package and a distinct environment ` +
        `variable, so no warm environment can serve it), invoked once through the Lambda API and deleted; ` +
        `${samples} samples per kind after two warm-up samples (the first downloads the package; the zone node's ` +
        `content-addressed cache serves the rest), the kinds' samples interleaved. Time to first result is measured by the client; INIT comes from ` +
        `\`x-zonesim-init-ms\` (for the custom runtime: from its start to its first \`GET /invocation/next\`), the handler's ` +
        `duration from \`x-zonesim-duration-ms\`, and the platform's share is what is left. Medians shown. Kinds: the no-op ` +
        `Node.js function under process isolation (with the zone node's spare runtimes, the default: a cold start takes a ` +
        `Node runtime started ahead of need, and a new one is started behind it; and on a zone node started with ` +
        `\`--spare-runtimes 0\`, where each cold start forks Node, as the first cold start of a memory size always does) ` +
        `and the Lambda docs' tutorial custom runtime (\`provided.al2023\`, a /bin/sh \`bootstrap\` that calls the Runtime API ` +
        `with curl), each on a zone node that sandboxes its environments (\`--sandbox on\`: bubblewrap and cgroups, issue 15) ` +
        `and on one started with \`--sandbox off\`; and Node.js under worker isolation. Baselines, measured right ` +
        `before each sample: spawning \`node -e 0\` to its exit (process isolation; for the sandboxed kind without spares, ` +
        `\`node -e 0\` inside a bare bubblewrap sandbox with an environment's namespaces and mounts), starting an empty worker ` +
        `thread to its first message (worker isolation), and a shell running the same two curl calls (GET, then POST) against a bare ` +
        `\`node:http\` server (the custom runtime's own work without the platform). One zone per cluster.`,
      rows,
      numbers,
      baseline,
      targets: [
        {
          target: 'cold start of a real Node environment in tens of ms (PRODUCT.md; no modelled delay here)',
          actual: `${fmt(proc)} ms process${sandboxed ? ' (sandboxed)' : ''}, ${fmt(numbers['worker.totalMs']!)} ms worker`,
          met: proc < 100,
          note:
            `with a spare runtime (the default) INIT is the handler's load; a cold start that forks Node (\`--spare-runtimes 0\`, or the first of a memory size ` +
            `on a node) takes ${fmt(fresh)} ms, against a bare \`node -e 0\`'s ${fmt(baseline['nodeSpawnFreshMs']!)} ms on this machine; ` +
            `the platform's own share is ${fmt(numbers['process.platformMs'] ?? numbers['processOff.platformMs']!)} ms`,
        },
      ],
      notes: [
        sandboxed
          ? `The sandbox's cost per cold start (sandboxed minus \`--sandbox off\`, medians): ${fmt(proc - numbers['processOff.totalMs']!)} ms with a spare runtime ` +
            `(the spare was started in its sandbox ahead of need; the cold start fills its /var/task with hard links and joins nothing), ` +
            `${fmt(fresh - numbers['freshOff.totalMs']!)} ms without one (cgroup creation, the sh wrapper, bubblewrap's namespaces and mounts: ` +
            `a bare bubblewrap sandbox adds ${fmt(median(bwrapCost))} ms to \`node -e 0\` here, median of ${bwrapCost.length} paired runs with an empty environment), ` +
            `${fmt(numbers['custom.totalMs']! - numbers['customOff.totalMs']!)} ms for the custom runtime. Zone nodes reported: ${kindsSeen}.`
          : `This machine cannot sandbox environments; only the unsandboxed kinds were measured (zone nodes reported: ${kindsSeen}).`,
        ...(numbers['pythonOff.totalMs'] !== undefined
          ? [`Python's first result takes ${fmt(numbers['python.totalMs'] ?? numbers['pythonOff.totalMs']!)} ms (INIT ${fmt(numbers['python.initMs'] ?? numbers['pythonOff.initMs']!)} ms) against ${fmt(baseline['pythonStartMs'] ?? baseline['pythonStartOffMs']!)} ms for the bare interpreter importing and calling the same handler; the difference is the runtime client and the Runtime API round trips.`]
          : ['No python3 here: the Python kinds were not measured.']),
        ...(numbers['javaOff.totalMs'] !== undefined
          ? [`Java's first result takes ${fmt(numbers['java.totalMs'] ?? numbers['javaOff.totalMs']!)} ms (INIT ${fmt(numbers['java.initMs'] ?? numbers['javaOff.initMs']!)} ms) against ${fmt(baseline['javaStartMs'] ?? baseline['javaStartOffMs']!)} ms for the bare JVM (same options) making and calling the same handler.`]
          : ['No JDK here: the Java kinds were not measured.']),
        `The custom runtime's first result takes ${fmt(numbers['custom.totalMs'] ?? numbers['customOff.totalMs']!)} ms against ${fmt(baseline['shellCurlMs'] ?? baseline['shellCurlOffMs']!)} ms for ` +
          `the same shell and curl calls on a bare server: most of it is the runtime's own process starts (sh, then one curl per call).`,
      ],
    };
  },
};

/** True when a zone node here could run with `--sandbox on` (probed as the zone node probes). */
async function sandboxAvailable(): Promise<boolean> {
  const workDir = await mkdtemp(join(tmpdir(), 'zonesim-bench-probe-'));
  const sandbox = new Sandbox(resolveSandboxSettings({ mode: 'on' }), { workDir, isolation: 'process' });
  try {
    await sandbox.start();
    return true;
  } catch {
    return false;
  } finally {
    await sandbox.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
