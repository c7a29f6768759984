// Issue 16, `zonesim calibrate RESULTS_DIR`: a real run of a real code function is calibrated into
// a synthetic profile, and the calibrated scenario's run matches the real run within the stated
// tolerances: handler duration p50 within 25 % or 2 ms (whichever is larger), function error rate
// within 0.05. Every INIT and duration the synthetic function drew lies within what the real run
// measured. Bad input is refused with a code and exit 2.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { attemptRan, readLedger, type LedgerRecord } from '@zonesim/ledger';
import { runZonesim } from './harness/cli.js';

/** Tolerances the calibrated run must meet (the "within the tolerances"). */
const P50_RELATIVE = 0.25;
const P50_ABSOLUTE_MS = 2;
const ERROR_RATE_ABSOLUTE = 0.05;

// A handler that sleeps 5 to 15 ms and fails about 5 % of the time. With ~300 attempts the
// calibrated run's error rate has a standard deviation of about 0.013, so 0.05 is about 4 of them.
const HANDLER = `
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
  if (Math.random() < 0.05) throw new Error('planned failure');
  return { ok: true };
};
`;

const SCENARIO = `
name: calibrate-real
seed: 5
duration: 7s
cooldown: 1s
cluster: { zones: 1 }
functions:
  - name: work
    memory: 256
    timeout: 5s
    path: ./fn
  - name: idle
    path: ./fn
workload:
  # A gentle first second, so that on a quiet machine the load finds a warm environment rather
  # than a cold-start stampede (which measures CPU contention more than the handler).
  - function: work
    end: 1s
    arrival: { constant: { rate: 2 } }
  - function: work
    start: 1s
    arrival: { poisson: { rate: 50 } }
hypotheses:
  - successRate: { min: 0.9 }
`;

async function scratch(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-calibrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What the tolerances compare, from a run's ledger (independently of calibrate's own code). */
async function measure(dir: string, fn: string): Promise<{ ran: number; errors: number; p50: number; durations: number[]; inits: number[]; runtimes: Set<string> }> {
  const durations: number[] = [];
  const inits: number[] = [];
  const runtimes = new Set<string>();
  let ran = 0;
  let errors = 0;
  for await (const r of readLedger(join(dir, 'ledger')) as AsyncIterable<LedgerRecord>) {
    if (r.functionName !== fn || !attemptRan(r)) continue;
    ran++;
    runtimes.add(r.runtime);
    if (r.outcome === 'function-error') errors++;
    if (r.durationMs !== undefined) durations.push(r.durationMs);
    if (r.cold && r.initMs !== undefined) inits.push(r.initMs);
  }
  durations.sort((a, b) => a - b);
  const h = (durations.length - 1) / 2;
  const p50 = durations[Math.floor(h)]! + (h - Math.floor(h)) * (durations[Math.ceil(h)]! - durations[Math.floor(h)]!);
  return { ran, errors, p50, durations, inits, runtimes };
}

t.test('bad input: a clear error with its code, exit 2, nothing written', async (t) => {
  const dir = await scratch(t);
  const missing = await runZonesim(['calibrate', join(dir, 'nope')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /CALIBRATE_NO_RESULTS: .*nope is not a directory/);
  const empty = await runZonesim(['calibrate', dir]);
  t.equal(empty.code, 2);
  t.match(empty.stderr, /CALIBRATE_NO_LEDGER: .* has no ledger/);
  await mkdir(join(dir, 'ledger'));
  await writeFile(join(dir, 'ledger', 'ledger-000001.ndjson'), `${JSON.stringify({
    v: 1, requestId: 'r1', attempt: 1, functionName: 'f', version: '$LATEST', invocationType: 'RequestResponse', architecture: 'x86_64',
    packageType: 'Zip', runtime: 'nodejs22.x', receivedAt: 1, respondedAt: 2, outcome: 'throttled', billedMs: 0, memoryMb: 128,
  })}\n`);
  const throttled = await runZonesim(['calibrate', dir]);
  t.equal(throttled.code, 2);
  t.match(throttled.stderr, /CALIBRATE_NO_RAN_ATTEMPTS/);
  t.notOk(existsSync(join(dir, 'profiles.yaml')), 'no profiles file');
  const help = await runZonesim(['--help']);
  t.match(help.stdout, /calibrate \[options\] <results-dir>/, 'zonesim --help lists it');
});

t.test('calibrate a real run; the calibrated run matches it within the tolerances', async (t) => {
  const dir = await scratch(t);
  await mkdir(join(dir, 'fn'));
  await writeFile(join(dir, 'fn', 'index.mjs'), HANDLER);
  const file = join(dir, 'real.yaml');
  await writeFile(file, SCENARIO);

  const real = await runZonesim(['run', file, '--out', join(dir, 'real'), '--quiet'], 90_000);
  t.equal(real.code, 0, `the real run passes (stderr: ${real.stderr.slice(-500)})`);

  const cal = await runZonesim(['calibrate', join(dir, 'real'), '--json'], 30_000);
  t.equal(cal.code, 0, cal.stderr);
  t.match(cal.stderr, /warning: idle: never invoked in the run/, 'a function never invoked is named');
  const out = JSON.parse(cal.stdout) as { profilesFile: string; scenarioFile: string; replaced: string[]; kept: Array<{ name: string; reason: string }>; functions: Array<{ name: string; samples: { ran: number } }> };
  t.same(out.replaced, ['work']);
  t.same(out.kept, [{ name: 'idle', reason: 'not-invoked' }]);
  t.equal(out.scenarioFile, join(dir, 'real', 'calibrate-real-calibrated.yaml'), 'beside the results by default');
  t.ok(existsSync(out.profilesFile), 'the profiles file');
  const text = readFileSync(out.scenarioFile, 'utf8');
  t.match(text, /- name: work\n {4}memory: 256\n {4}timeout: 5s\n.*\n {4}synthetic:\n {6}init: \{ kind: empirical, percentiles: \{ 0: /, 'work is synthetic, memory and timeout kept');
  t.match(text, /- name: idle\n {4}path: \.\.\/fn\n/, 'idle keeps its code, its path follows the new file');

  const synth = await runZonesim(['run', out.scenarioFile, '--out', join(dir, 'calibrated'), '--quiet'], 90_000);
  t.equal(synth.code, 0, `the calibrated run passes (stderr: ${synth.stderr.slice(-500)})`);

  const a = await measure(join(dir, 'real'), 'work');
  const b = await measure(join(dir, 'calibrated'), 'work');
  t.same([...a.runtimes], ['nodejs22.x'], 'the real run ran code');
  t.same([...b.runtimes], ['zonesim.synthetic'], 'the calibrated run ran the synthetic function');
  t.ok(a.ran >= 200 && b.ran >= 200, `enough attempts (${a.ran}, ${b.ran})`);
  t.equal(out.functions.find((f) => f.name === 'work')!.samples.ran, a.ran, 'the profile rests on every attempt that ran');
  t.ok(a.errors > 0, `the real run had function errors (${a.errors})`);

  const tolerance = Math.max(P50_RELATIVE * a.p50, P50_ABSOLUTE_MS);
  t.ok(Math.abs(b.p50 - a.p50) <= tolerance, `duration p50: calibrated ${b.p50.toFixed(2)} ms vs real ${a.p50.toFixed(2)} ms (tolerance ${tolerance.toFixed(2)} ms)`);
  const rateA = a.errors / a.ran;
  const rateB = b.errors / b.ran;
  t.ok(Math.abs(rateB - rateA) <= ERROR_RATE_ABSOLUTE, `error rate: calibrated ${rateB.toFixed(3)} vs real ${rateA.toFixed(3)} (tolerance ${ERROR_RATE_ABSOLUTE})`);

  // The synthetic function draws from the measured distributions: nothing outside their range.
  const [minD, maxD] = [a.durations[0]!, a.durations[a.durations.length - 1]!];
  t.ok(b.durations.every((d) => d >= minD - 0.001 && d <= maxD + 0.001), `every duration within the measured [${minD}, ${maxD}] ms`);
  t.ok(b.inits.length > 0, 'the calibrated run had cold starts');
  const [minI, maxI] = [Math.min(...a.inits), Math.max(...a.inits)];
  t.ok(b.inits.every((i) => i >= minI - 0.001 && i <= maxI + 0.001), `every INIT within the measured [${minI.toFixed(1)}, ${maxI.toFixed(1)}] ms`);
});
