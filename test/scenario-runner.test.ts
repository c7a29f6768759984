// Issue 6: `zonesim run` end to end. Bad scenario files are refused before anything starts, naming
// the place; the checker can fail (a zone killed with failover switched off loses async events and
// the verdict names them); killing the runner with SIGKILL leaves no cluster process alive.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ZONESIM_BIN } from '@zonesim/cli';
import { runZonesim } from './harness/cli.js';
import { descendantPids, isAlive, waitFor } from './harness/processes.js';

async function scratch(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const ASYNC_HEAVY = (failover: boolean) => `
name: power-loss-${failover ? 'with' : 'without'}-failover
seed: 3
duration: 8s
cooldown: 10s
cluster: { zones: 3, failover: ${failover} }
functions:
  - name: worker
    memory: 256
    timeout: 10s
    synthetic:
      duration: { kind: uniform, min: 1000, max: 2000 }
workload:
  - function: worker
    invocation: async
    arrival: { constant: { rate: 20 } }
faults:
  - id: power-loss
    action: kill
    target: { zone: az-a }
    at: 4s
hypotheses:
  - id: nothing-lost
    lostEvents: {}
`;

t.test('bad scenario files are refused before anything starts, naming file, line and field', async (t) => {
  const dir = await scratch(t);
  const cases: Array<[string, string, RegExp]> = [
    ['unknown-field', 'name: x\nduration: 10s\nfunctionz: []\n', /unknown-field\.yaml:3:1: .*functionz/],
    ['bad-duration', 'name: x\nduration: 10 parsecs\n', /bad-duration\.yaml:2:\d+: duration/],
    ['wrong-type', 'name: x\nduration: 10s\ncluster: { zones: three }\n', /wrong-type\.yaml:3:\d+: cluster\.zones/],
    [
      'unknown-zone',
      'name: x\nduration: 10s\nfunctions:\n  - name: f\n    synthetic: { duration: { kind: constant, value: 1 } }\nworkload:\n  - function: f\n    arrival: { constant: { rate: 1 } }\nfaults:\n  - id: k\n    action: kill\n    target: { zone: az-z }\n    at: 1s\n',
      /unknown-zone\.yaml:12:\d+: faults\[0\]\.target/,
    ],
    [
      'fault-outside',
      'name: x\nduration: 10s\ncooldown: 5s\nfunctions:\n  - name: f\n    synthetic: { duration: { kind: constant, value: 1 } }\nworkload:\n  - function: f\n    arrival: { constant: { rate: 1 } }\nfaults:\n  - id: k\n    action: pause\n    target: { zone: az-a }\n    at: 12s\n    duration: 10s\n',
      /fault-outside\.yaml:\d+:\d+: faults\[0\]/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, text);
    const out = join(dir, `out-${name}`);
    const r = await runZonesim(['run', file, '--out', out, '--quiet']);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, pattern, `${name}: the error names the place`);
    t.notOk(existsSync(out), `${name}: nothing started`);
  }
});

t.test('the checker can fail: a zone killed with failover off loses async events, and the verdict names them', async (t) => {
  const dir = await scratch(t);
  const file = join(dir, 'no-failover.yaml');
  await writeFile(file, ASYNC_HEAVY(false));
  const out = join(dir, 'out');
  const r = await runZonesim(['run', file, '--out', out, '--json'], 180_000);
  t.equal(r.code, 1, `the verdict fails (stderr: ${r.stderr.slice(-500)})`);
  const result = JSON.parse(r.stdout);
  t.equal(result.verdict.status, 'fail');
  const lost = result.verdict.results.find((h: { id: string }) => h.id === 'nothing-lost');
  t.equal(lost.holds, false);
  t.ok(result.check.events.lost > 0, `${result.check.events.lost} events lost`);
  t.equal(result.check.events.lostIds.length, result.check.events.lost, 'every lost event is named');
  t.match(result.check.events.lostIds[0], /^[0-9a-f-]{36}$/);
  const again = await runZonesim(['check', out, '--json']);
  t.equal(again.code, 1, 'zonesim check reaches the same verdict from the files');
  t.same(JSON.parse(again.stdout).check.events.lostIds.sort(), [...result.check.events.lostIds].sort());
});

t.test('SIGKILL of the runner mid-run leaves no cluster process alive', async (t) => {
  const dir = await scratch(t);
  const file = join(dir, 'long.yaml');
  await writeFile(file, ASYNC_HEAVY(true).replace('duration: 8s', 'duration: 60s'));
  const out = join(dir, 'out');
  const runner = spawn(process.execPath, [ZONESIM_BIN, 'run', file, '--out', out, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (runner.exitCode === null) runner.kill('SIGKILL');
  });
  let pids: number[] = [];
  await waitFor(() => {
    pids = descendantPids(runner.pid!);
    // the coordinator and three zone nodes
    return pids.length >= 4 && existsSync(join(out, 'history.ndjson')) && readFileSync(join(out, 'history.ndjson'), 'utf8').length > 0;
  }, 90_000, 'the run to be under load');
  runner.kill('SIGKILL');
  await waitFor(() => pids.every((p) => !isAlive(p)), 25_000, 'every cluster process to exit with the runner');
  t.pass(`${pids.length} processes gone`);
});
