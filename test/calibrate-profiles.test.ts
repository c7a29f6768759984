// Issue 16, `zonesim calibrate`: the calibration math on ledgers written by hand. Quantiles are
// the exact sample quantiles (linear between order statistics) while the value budget allows, and
// within the stated relative accuracy once a sketch becomes a histogram; INIT comes from cold
// starts only; the error rate is handled function errors over attempts that ran; throttles and
// platform errors are not measurements; the rewritten scenario loads and keeps every other setting.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { sampler, SeededRandom, validateSyntheticDefinition, type Distribution } from '@zonesim/common';
import { LEDGER_FORMAT_VERSION, ledgerFileName, type LedgerRecord } from '@zonesim/ledger';
import {
  CALIBRATION_PERCENTILES,
  CalibrationErrorCode,
  ExactValueBudget,
  QuantileSketch,
  calibrateRun,
  calibrateScenarioText,
  formatProfiles,
  parseScenario,
  syntheticPackageJson,
  type FunctionProfile,
} from '@zonesim/scenario';

const T0 = Date.UTC(2026, 0, 1);
let seq = 0;

/** A valid warm, successful attempt of 10 ms; override what a case needs. */
function record(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  seq++;
  return {
    v: LEDGER_FORMAT_VERSION,
    requestId: `req-${seq}`,
    attempt: 1,
    functionName: 'fn',
    version: '$LATEST',
    invocationType: 'RequestResponse',
    zone: 'az-a',
    nodeId: 'az-a-node-1',
    environmentId: 'env-1',
    cold: false,
    architecture: 'x86_64',
    packageType: 'Zip',
    runtime: 'nodejs22.x',
    receivedAt: T0,
    respondedAt: T0 + 12,
    outcome: 'success',
    durationMs: 10,
    billedMs: 10,
    memoryMb: 256,
    maxMemoryUsedMb: 60,
    ...overrides,
  };
}

/** What an attempt that never ran looks like (no duration, no memory, not billed). */
function notRan(outcome: 'throttled' | 'service-error', overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  const r = record({ outcome, billedMs: 0, ...overrides });
  delete r.durationMs;
  delete r.maxMemoryUsedMb;
  delete r.zone;
  return r;
}

async function scratch(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zonesim-calibrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A results directory whose ledger holds `records` (split over two files, as a rotated ledger). */
async function resultsDir(t: { teardown(fn: () => Promise<void>): void }, records: LedgerRecord[]): Promise<string> {
  const dir = await scratch(t);
  await mkdir(join(dir, 'ledger'));
  const half = Math.ceil(records.length / 2);
  const lines = (rs: LedgerRecord[]) => rs.map((r) => `${JSON.stringify(r)}\n`).join('');
  await writeFile(join(dir, 'ledger', ledgerFileName(1)), lines(records.slice(0, half)));
  await writeFile(join(dir, 'ledger', ledgerFileName(2)), lines(records.slice(half)));
  return dir;
}

/** Hyndman-Fan 7, the reference the sketch must match while exact. */
function type7(sorted: number[], p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('quantiles: exact sample quantiles, linear between order statistics', async (t) => {
  const small = new QuantileSketch();
  for (const v of [4, 1, 3, 2]) small.add(v);
  t.equal(small.quantile(0), 1);
  t.equal(small.quantile(25), 1.75);
  t.equal(small.quantile(50), 2.5);
  t.equal(small.quantile(100), 4);
  t.ok(small.exact);

  const s = new QuantileSketch();
  for (let v = 101; v >= 1; v--) s.add(v); // 1..101, added out of order
  t.equal(s.quantile(50), 51);
  t.equal(s.quantile(1), 2);
  t.equal(s.quantile(99.9), 100.9);
  t.equal(s.count, 101);
  t.equal(s.mean, 51);

  const one = new QuantileSketch();
  one.add(7.5);
  t.same(CALIBRATION_PERCENTILES.map((p) => one.quantile(p)), CALIBRATION_PERCENTILES.map(() => 7.5), 'one sample: every percentile is it');
  t.equal(new QuantileSketch().quantile(50), undefined, 'empty');
  t.throws(() => s.quantile(101), RangeError);
});

t.test('quantiles in bounded memory: past the budget a sketch is a histogram within its relative accuracy', async (t) => {
  const budget = new ExactValueBudget(1000);
  const big = new QuantileSketch({ budget, relativeAccuracy: 0.005 });
  const other = new QuantileSketch({ budget });
  const rnd = prng(42);
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Lognormal-ish durations from 0.2 ms to seconds, and some exact zeros.
    const v = i % 500 === 0 ? 0 : Math.exp(Math.log(20) + 1.2 * Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd()));
    values.push(v);
    big.add(v);
    if (i < 50) other.add(i);
  }
  t.notOk(big.exact, 'the big one outgrew the budget');
  t.ok(other.exact, 'a small one kept its values');
  t.equal(budget.remaining, 1000 - 50, 'the folded sketch gave its share back');
  const sorted = [...values].sort((a, b) => a - b);
  t.equal(big.quantile(0), sorted[0], 'p0 is the exact minimum');
  t.equal(big.quantile(100), sorted[sorted.length - 1], 'p100 is the exact maximum');
  for (const p of CALIBRATION_PERCENTILES.filter((q) => q > 0 && q < 100)) {
    const truth = sorted[Math.floor(((sorted.length - 1) * p) / 100)]!;
    const got = big.quantile(p)!;
    t.ok(Math.abs(got - truth) <= 0.005 * truth + 1e-9, `p${p}: ${got} within 0.5 % of ${truth}`);
  }
  t.equal(other.quantile(50), type7([...Array(50).keys()], 50));
});

t.test('calibrateRun: INIT from cold starts only, error rate over attempts that ran, throttles are not measurements', async (t) => {
  const records: LedgerRecord[] = [];
  // fn: 20 attempts ran, durations 1..20 ms, memory 50..69 MB.
  for (let i = 1; i <= 20; i++) {
    const over: Partial<LedgerRecord> = { durationMs: i, maxMemoryUsedMb: 49 + i, billedMs: i };
    if (i === 1 || i === 2 || i === 3) Object.assign(over, { cold: true, initMs: [100, 300, 200][i - 1]!, billedMs: i + 300 });
    if (i === 4) Object.assign(over, { initMs: 9999 }); // a warm attempt carrying an INIT time: not a cold start
    if (i >= 5 && i <= 7) Object.assign(over, { outcome: 'function-error', errorType: 'Error' }); // 3 handled errors
    if (i === 8) Object.assign(over, { outcome: 'function-error', errorType: 'Sandbox.Timedout' });
    if (i === 9) Object.assign(over, { outcome: 'function-error', errorType: 'Runtime.OutOfMemory' });
    if (i === 10) Object.assign(over, { version: '1' });
    records.push(record(over));
  }
  // Not ran: throttles and a platform error, and a lost attempt that never got billed.
  records.push(notRan('throttled', { durationMs: 5000 } as Partial<LedgerRecord>), notRan('throttled'), notRan('service-error'));
  records.push(record({ outcome: 'lost', billedMs: 0, durationMs: 4000 }));
  // only-throttled: a function that never ran.
  records.push(notRan('throttled', { functionName: 'only-throttled' }), notRan('throttled', { functionName: 'only-throttled' }));
  // warm-only: ran, but never a cold start in the ledger; 512 MB, then 1024 MB.
  records.push(record({ functionName: 'warm-only', durationMs: 3, memoryMb: 512 }), record({ functionName: 'warm-only', durationMs: 5, memoryMb: 1024 }));
  const dir = await resultsDir(t, records);

  const result = await calibrateRun(dir);
  t.same(result.ledger, { files: 2, records: records.length, truncatedLines: 0 });
  t.same(result.functions.map((f) => f.name), ['fn', 'only-throttled', 'warm-only'], 'sorted by name');
  const fn = result.functions[0]!;
  t.same(fn.samples, { attempts: 24, ran: 20, coldStarts: 3, durations: 20, memory: 20, functionErrors: 5, timeouts: 1, outOfMemory: 1, throttled: 2, serviceErrors: 1, lost: 1 });
  t.equal(fn.memoryMb, 256);
  t.same(fn.versions, ['$LATEST', '1']);
  t.ok(fn.exact);
  const s = fn.synthetic!;
  t.equal(s.errorRate, 3 / 20, 'handled function errors / ran; timeouts and OOM come back from the distributions');
  const init = (s.init as Extract<Distribution, { kind: 'empirical' }>).percentiles;
  t.same(Object.keys(init).sort((a, b) => Number(a) - Number(b)), CALIBRATION_PERCENTILES.map(String), 'the whole grid');
  t.same([init['0'], init['50'], init['100']], [100, 200, 300], 'INIT from the 3 cold starts only (not the warm 9999)');
  t.equal(init['25'], 150);
  const duration = (s.duration as Extract<Distribution, { kind: 'empirical' }>).percentiles;
  t.same([duration['0'], duration['50'], duration['90'], duration['99.9'], duration['100']], [1, 10.5, 18.1, 19.981, 20], 'durations 1..20 of the ran attempts (not the throttle\'s or the unbilled lost one\'s)');
  const memory = (s.memory as Extract<Distribution, { kind: 'empirical' }>).percentiles;
  t.same([memory['0'], memory['50'], memory['100']], [50, 59.5, 69]);
  // The profile is a valid synthetic definition: the zone node takes it as it is.
  t.doesNotThrow(() => validateSyntheticDefinition(JSON.parse(syntheticPackageJson(s))));
  const draw = sampler(s.duration);
  const rnd = new SeededRandom(1);
  for (let i = 0; i < 1000; i++) {
    const v = draw(rnd);
    if (v < 1 || v > 20) t.fail(`a draw outside the measured range: ${v}`);
  }

  const throttled = result.functions[1]!;
  t.equal(throttled.synthetic, undefined, 'a function that never ran has no profile');
  t.same([throttled.samples.attempts, throttled.samples.ran, throttled.samples.throttled], [2, 0, 2]);
  const warm = result.functions[2]!;
  t.same(warm.synthetic!.init, { kind: 'constant', value: 0 }, 'no cold start: INIT 0');
  t.equal(warm.memoryMb, 1024, 'the last memory size');
  t.match(result.warnings.join('\n'), /only-throttled: no attempt ran code/);
  t.match(result.warnings.join('\n'), /warm-only: no cold start/);
  t.match(result.warnings.join('\n'), /warm-only: its memory size changed during the run \(512, 1024 MB\)/);

  // The profiles file: the synthetic blocks read back as they were, in YAML and JSON.
  for (const format of ['yaml', 'json'] as const) {
    const back = parse(formatProfiles(result, format)) as { v: number; percentiles: number[]; functions: Record<string, { memory: number; synthetic?: unknown }> };
    t.equal(back.v, 1);
    t.same(back.percentiles, CALIBRATION_PERCENTILES);
    t.same(back.functions['fn']!.synthetic, s, `${format}: fn's synthetic block`);
    t.equal(back.functions['fn']!.memory, 256);
    t.notOk('synthetic' in back.functions['only-throttled']!);
  }
});

t.test('calibrateRun: bad input is refused with a code', async (t) => {
  const dir = await scratch(t);
  await t.rejects(calibrateRun(join(dir, 'missing')), { code: CalibrationErrorCode.NoResults });
  await t.rejects(calibrateRun(dir), { code: CalibrationErrorCode.NoLedger }, 'no ledger/');
  await mkdir(join(dir, 'ledger'));
  await t.rejects(calibrateRun(dir), { code: CalibrationErrorCode.NoLedger }, 'an empty ledger/');
  const throttledOnly = await resultsDir(t, [notRan('throttled'), notRan('service-error')]);
  await t.rejects(calibrateRun(throttledOnly), { code: CalibrationErrorCode.NoRanAttempts });
  const two = await resultsDir(t, [record(), record({ functionName: 'other' })]);
  await t.rejects(calibrateRun(two, { maxFunctions: 1 }), { code: CalibrationErrorCode.TooManyFunctions });
  await t.rejects(calibrateRun(two, { percentiles: [50, 100] }), { code: CalibrationErrorCode.Options });
  const bad = await resultsDir(t, [record()]);
  await writeFile(join(bad, 'ledger', ledgerFileName(1)), '{"v":1,"requestId":"x"}\n');
  await t.rejects(calibrateRun(bad), { code: 'LEDGER_INVALID_RECORD' }, 'a bad ledger line names itself');
});

t.test('calibrateScenarioText: code functions become synthetic, everything else stays, paths follow the file', async (t) => {
  const root = await scratch(t);
  const src = join(root, 'scenarios');
  const out = join(root, 'results', 'run-1');
  await mkdir(join(src, 'fn'), { recursive: true });
  await mkdir(join(src, 'idle'), { recursive: true });
  await mkdir(out, { recursive: true });
  await writeFile(join(src, 'fn', 'index.mjs'), 'export const handler = async () => 1;\n');
  await writeFile(join(src, 'idle', 'index.mjs'), 'export const handler = async () => 1;\n');
  const text = `# yaml-language-server: $schema=../packages/scenario/scenario.schema.json
# A scenario with code.
name: with-code
duration: 10s
cluster: { zones: 1 }
functions:
  - name: api          # the one that is measured
    memory: 512
    timeout: 7s
    path: ./fn
    handler: index.handler
    runtime: nodejs22.x
    environment: { MODE: fast }
    reservedConcurrency: 20
  - name: idle
    path: idle
  - name: synth
    synthetic: { duration: 5 }
workload:
  - function: api
    arrival: { constant: { rate: 5 } }
  - function: synth
    arrival: { constant: { rate: 1 } }
`;
  const profile: FunctionProfile = {
    name: 'api',
    memoryMb: 512,
    synthetic: {
      init: { kind: 'empirical', percentiles: { '0': 80, '50': 100, '99.9': 140, '100': 150 } },
      duration: { kind: 'empirical', percentiles: { '0': 2, '50': 4, '100': 9 } },
      memory: { kind: 'constant', value: 70 },
      errorRate: 0.04,
    },
    samples: { attempts: 50, ran: 50, coldStarts: 2, durations: 50, memory: 50, functionErrors: 2, timeouts: 0, outOfMemory: 0, throttled: 0, serviceErrors: 0, lost: 0 },
    versions: ['$LATEST'],
    exact: true,
  };
  const outFile = join(out, 'with-code-calibrated.yaml');
  const c = calibrateScenarioText(text, [profile], { sourceFile: join(src, 'with-code.yaml'), outFile, resultsDir: out });
  t.same(c.replaced, ['api']);
  t.same(c.kept, [{ name: 'idle', reason: 'not-invoked' }, { name: 'synth', reason: 'synthetic' }]);
  t.match(c.warnings.join('\n'), /idle: never invoked in the run/);
  t.match(c.text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/packages\/scenario\/scenario\.schema\.json\n/, 'the schema line stays first, its path follows the file');
  t.match(c.text, /# A scenario with code\./, 'comments are kept');
  t.notMatch(c.text, /handler: index\.handler|runtime: nodejs22/, 'the code settings are gone');

  const loaded = await parseScenario(c.text, { file: outFile });
  t.same(loaded.errors, [], 'the calibrated scenario loads where it is written');
  const s = loaded.scenario!;
  t.equal(s.name, 'with-code-calibrated');
  const api = s.functions.find((f) => f.name === 'api')!;
  t.equal(api.kind, 'synthetic');
  t.match(api, { memoryMb: 512, timeoutSec: 7, environment: { MODE: 'fast' }, reservedConcurrency: 20 }, 'every other setting is kept');
  t.same(api.kind === 'synthetic' && api.synthetic, profile.synthetic, 'the profile, as calibrated');
  const idle = s.functions.find((f) => f.name === 'idle')!;
  t.equal(idle.kind === 'code' && idle.path, join(src, 'idle'), 'the kept code function still finds its folder');
  t.equal(s.functions.find((f) => f.name === 'synth')!.kind, 'synthetic');
  t.same(s.workload.map((w) => w.function), ['api', 'synth'], 'the workload is untouched');

  t.throws(() => calibrateScenarioText('- a list', [profile], { sourceFile: 'x.yaml', outFile: 'y.yaml' }), { code: CalibrationErrorCode.Scenario });
});
