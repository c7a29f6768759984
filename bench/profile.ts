/**
 * Profiles the hot path: starts a cluster whose coordinator and zone nodes run with `--cpu-prof`,
 * drives one workload, stops the cluster (the profiles are written at exit) and prints the top
 * functions by self time per process role, with file:line. Not part of `npm run bench`:
 *
 *   node --import=tsx bench/profile.ts [warm|throughput-real|throughput-synthetic|async] [--seconds N] [--keep]
 *
 * `--keep` leaves the .cpuprofile files (open them in Chrome DevTools) and prints where they are.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './lib/child.js';
import { runMain } from './lib/cleanup.js';
import { createFunction, invokePath, NOOP_FILES, startBenchCluster, syntheticFiles } from './lib/cluster.js';
import { HttpClient, closedLoop, sequential } from './lib/http-load.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time (ms) per function (name + file:line), and per file. */
export function selfTimes(profile: CpuProfile): { total: number; byFunction: Map<string, number>; byFile: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const n = nodes.get(profile.samples[i]!)!;
    total += ms;
    const f = n.callFrame;
    const file = f.url ? shortUrl(f.url) : '';
    const key = file ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName || '(anonymous)';
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const fileKey = file ? file.replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'node_modules/$1') : `(${f.functionName})`;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
  }
  return { total, byFunction, byFile };
}

function shortUrl(url: string): string {
  let p = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (p.startsWith('/')) {
    p = relative(REPO_ROOT, p);
    // The compiled output maps one to one onto src/ (tsc, no bundling): show the source path.
    p = p.replace(/^packages\/([^/]+)\/dist\//, 'packages/$1/dist/');
  }
  return p;
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `| ${((ms / total) * 100).toFixed(1)}% | ${ms.toFixed(0)} | \`${k}\` |`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const workload = argv.find((a) => !a.startsWith('--')) ?? 'warm';
  const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? 0) || 10;
  const keep = argv.includes('--keep');
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-profile-'));
  const prof = (role: string) => ['--cpu-prof', '--cpu-prof-dir', join(dir, role)];
  const cluster = await startBenchCluster({
    zoneCount: 3,
    zoneArgs: ['--max-environments', '2000', '--memory-mb', '1000000'],
    coordinatorNodeArgs: prof('coordinator'),
    // The profile is written at exit: give a loaded coordinator time to stop rather than SIGKILL it.
    stopGraceMs: 30_000,
    zoneNodeArgs: prof('zone'),
  });
  try {
    await createFunction(cluster.apiUrl, 'noop', NOOP_FILES);
    await createFunction(cluster.apiUrl, 'synth', syntheticFiles(0), { Runtime: 'zonesim.synthetic', Handler: 'ignored' });
    const body = Buffer.from('{}');
    if (workload === 'warm') {
      const c = new HttpClient(cluster.apiUrl, 1);
      const until = performance.now() + seconds * 1000;
      let n = 0;
      while (performance.now() < until) n += (await sequential(c, { method: 'POST', path: invokePath('noop'), body }, 500)).count;
      process.stderr.write(`${n} sequential invokes\n`);
      c.close();
    } else if (workload === 'throughput-real' || workload === 'throughput-synthetic') {
      const c = new HttpClient(cluster.apiUrl, 64);
      const path = invokePath(workload === 'throughput-real' ? 'noop' : 'synth');
      await closedLoop(c, { method: 'POST', path, body }, 64, 3000);
      const r = await closedLoop(c, { method: 'POST', path, body }, 64, seconds * 1000);
      process.stderr.write(`${Math.round(r.perSecond)}/s, ${r.failed} failed\n`);
      c.close();
    } else if (workload === 'async') {
      const c = new HttpClient(cluster.apiUrl, 64);
      const r = await closedLoop(c, { method: 'POST', path: invokePath('synth'), body, headers: { 'x-amz-invocation-type': 'Event' }, okStatus: 202 }, 64, seconds * 1000);
      process.stderr.write(`${Math.round(r.perSecond)}/s accepted, ${r.failed} failed\n`);
      c.close();
    } else {
      throw new Error(`unknown workload ${workload}`);
    }
  } finally {
    await cluster.stop();
  }
  for (const role of ['coordinator', 'zone']) {
    const files = readdirSync(join(dir, role)).filter((f) => f.endsWith('.cpuprofile'));
    // Zone nodes: the busiest one stands for all three.
    const profiles = files.map((f) => selfTimes(JSON.parse(readFileSync(join(dir, role, f), 'utf8')) as CpuProfile));
    const p = profiles.sort((a, b) => (b.total - (b.byFunction.get('(idle)') ?? 0)) - (a.total - (a.byFunction.get('(idle)') ?? 0)))[0];
    if (!p) continue;
    const idle = p.byFunction.get('(idle)') ?? 0;
    process.stdout.write(`\n### ${role} (${workload}, ${seconds} s): ${(p.total - idle).toFixed(0)} ms busy of ${p.total.toFixed(0)} ms\n\n`);
    process.stdout.write('| self | ms | function file:line |\n|---|---|---|\n');
    p.byFunction.delete('(idle)');
    process.stdout.write(top(p.byFunction, p.total - idle, 30).join('\n') + '\n');
    p.byFile.delete('((idle))');
    process.stdout.write('\n| self | ms | file |\n|---|---|---|\n');
    process.stdout.write(top(p.byFile, p.total - idle, 20).join('\n') + '\n');
  }
  if (keep) process.stderr.write(`profiles kept in ${dir}\n`);
  else await rm(dir, { recursive: true, force: true });
}

runMain(main);
