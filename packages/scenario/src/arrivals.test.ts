import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { arrivals, openArrivals, type Arrival } from './arrivals.js';
import { scheduleDigest } from './schedule-digest.js';
import { FIXTURES, HEAD, parse, resolved, yaml } from './test-util/fixtures.js';
import type { ResolvedScenario } from './types.js';

async function collect(s: ResolvedScenario): Promise<Arrival[]> {
  return [...(await openArrivals(s))];
}

const count = (xs: Arrival[], workload: number, from = 0, to = Infinity): number => xs.filter((a) => a.workload === workload && a.atMs >= from && a.atMs < to).length;

/** |observed - expected| within k standard deviations of a Poisson count. */
function poissonClose(t: Tap, observed: number, expected: number, what: string, k = 4): void {
  t.ok(Math.abs(observed - expected) <= k * Math.sqrt(expected), `${what}: ${observed} arrivals, expected ${expected.toFixed(1)} +- ${(k * Math.sqrt(expected)).toFixed(1)}`);
}
type Tap = { ok(v: boolean, m: string): unknown };

const RATES = yaml(
  ...HEAD.slice(0, 1),
  'duration: 200s',
  ...HEAD.slice(2),
  'workload:',
  '  - function: fn',
  '    arrival: { constant: { rate: 10 } }',
  '  - function: fn',
  '    arrival: { poisson: { rate: 20 } }',
  '  - function: fn',
  '    arrival: { ramp: { from: 0, to: 20 } }',
  '  - function: fn',
  '    arrival: { bursts: { base: 2, burst: 20, every: 10s, length: 2s } }',
  '  - function: fn',
  '    arrival: { diurnal: { mean: 10, amplitude: 5, period: 40s } }',
  '  - function: fn',
  '    arrival: { ramp: { from: 0, to: 20, process: even } }',
  '  - function: fn',
  '    arrival: { bursts: { base: 2, burst: 20, every: 10s, length: 2s, process: even } }',
  '  - function: fn',
  '    arrival: { diurnal: { mean: 10, amplitude: 5, period: 40s, process: even } }',
);

t.test('each arrival kind gives its rate on average', async (t) => {
  const xs = await collect(await resolved(RATES));
  t.equal(count(xs, 0), 2000, 'constant: exactly rate x duration');
  poissonClose(t, count(xs, 1), 4000, 'poisson');
  poissonClose(t, count(xs, 2), 2000, 'ramp 0 -> 20 (mean 10)');
  poissonClose(t, count(xs, 3), 20 * (2 * 8 + 20 * 2), 'bursts');
  poissonClose(t, count(xs, 4), 2000, 'diurnal');
  t.ok(Math.abs(count(xs, 5) - 2000) <= 1, `even ramp ${count(xs, 5)}`);
  t.ok(Math.abs(count(xs, 6) - 1120) <= 1, `even bursts ${count(xs, 6)}`);
  t.ok(Math.abs(count(xs, 7) - 2000) <= 1, `even diurnal ${count(xs, 7)}`);
  // Constant is evenly spaced at 1/rate.
  const c = xs.filter((a) => a.workload === 0).map((a) => a.atMs);
  t.same(c.slice(0, 3), [50, 150, 250]);
});

t.test('ramp, bursts and diurnal have their shapes', async (t) => {
  const xs = await collect(await resolved(RATES));
  // Ramp 0 -> 20/s over 200 s: rate 0.1 t, so [0, 100 s) holds 500 and [100, 200 s) 1500.
  t.ok(Math.abs(count(xs, 5, 0, 100_000) - 500) <= 1, 'even ramp first half');
  t.ok(Math.abs(count(xs, 5, 100_000) - 1500) <= 1, 'even ramp second half');
  poissonClose(t, count(xs, 2, 0, 100_000), 500, 'poisson ramp first half');
  poissonClose(t, count(xs, 2, 100_000), 1500, 'poisson ramp second half');
  // Bursts: 20/s in [10k, 10k + 2) s, 2/s otherwise.
  for (let k = 0; k < 20; k++) {
    const inBurst = count(xs, 6, k * 10_000, k * 10_000 + 2_000);
    const between = count(xs, 6, k * 10_000 + 2_000, (k + 1) * 10_000);
    t.ok(Math.abs(inBurst - 40) <= 1 && Math.abs(between - 16) <= 1, `period ${k}: ${inBurst} in the burst, ${between} between`);
  }
  const burstTotal = Array.from({ length: 20 }, (_, k) => count(xs, 3, k * 10_000, k * 10_000 + 2_000)).reduce((a, b) => a + b, 0);
  poissonClose(t, burstTotal, 800, 'poisson bursts inside the bursts');
  // Diurnal: mean 10 + 5 cos(2 pi (t - 20 s) / 40 s): trough at 0, 40 s, ...; peak at 20 s, 60 s, ...
  // Expected in a 10 s slice [a, b): 10 (b - a) + (5 x 40 / 2 pi) (sin(w (b - 20)) - sin(w (a - 20))).
  const w = (2 * Math.PI) / 40;
  const expected = (a: number, b: number) => 10 * (b - a) + ((5 * 40) / (2 * Math.PI)) * (Math.sin(w * (b - 20)) - Math.sin(w * (a - 20)));
  const trough = count(xs, 7, 0, 5_000) + count(xs, 7, 35_000, 45_000);
  const peak = count(xs, 7, 15_000, 25_000);
  t.ok(Math.abs(peak - expected(15, 25)) <= 1, `diurnal peak slice ${peak} ~ ${expected(15, 25).toFixed(1)}`);
  t.ok(Math.abs(trough - (expected(0, 5) + expected(35, 45))) <= 2, `diurnal trough slices ${trough}`);
  t.ok(peak > 2 * count(xs, 7, 35_000, 45_000), 'the peak is well above the trough');
});

t.test('the merged schedule is in time order with consecutive seq, ties in file order', async (t) => {
  const xs = await collect(await resolved(RATES));
  t.ok(xs.every((a, i) => a.seq === i), 'seq is the position');
  t.ok(xs.every((a, i) => i === 0 || xs[i - 1]!.atMs < a.atMs || (xs[i - 1]!.atMs === a.atMs && xs[i - 1]!.workload <= a.workload)), 'ordered by time, then entry');
  t.ok(xs.every((a) => a.atMs >= 0 && a.atMs < 200_000), 'inside the load phase');
  const viaAsync: Arrival[] = [];
  for await (const a of arrivals(await resolved(RATES))) viaAsync.push(a);
  t.same(viaAsync, xs, 'the async iterable gives the same schedule');
});

t.test('arrivals are generated lazily: a 10-hour run at 10,000/s yields its first ones at once', async (t) => {
  const s = await resolved(yaml('name: big', 'duration: 10h', ...HEAD.slice(2), 'workload:', '  - function: fn', '    arrival: { poisson: { rate: 10000 } }', '  - function: fn', '    arrival: { ramp: { from: 100, to: 5000 } }'));
  const started = performance.now();
  const first: Arrival[] = [];
  for (const a of await openArrivals(s)) {
    first.push(a);
    if (first.length === 10_000) break;
  }
  t.equal(first.length, 10_000);
  t.ok(performance.now() - started < 2_000, 'no precomputation of ~380 M arrivals');
  t.ok(first[first.length - 1]!.atMs < 2_000, 'the first 10,000 fall in the first second or so');
});

t.test('the same file and seed give the same digest; another seed another', async (t) => {
  const full = readFileSync(join(FIXTURES, 'scenarios/full.yaml'), 'utf8');
  const a = await scheduleDigest(await resolved(full));
  const b = await scheduleDigest(await resolved(full));
  t.equal(a, b, 'byte for byte');
  t.match(a, /^[0-9a-f]{64}$/);
  const other = await scheduleDigest(await resolved(full.replace('seed: 42', 'seed: 43')));
  t.not(other, a, 'a different seed changes the schedule');
  const named = await scheduleDigest(await resolved(full.replace('seed: 42', 'seed: experiment-7')));
  t.not(named, a, 'string seeds work too');
  // Adding a workload entry leaves the others' arrivals unchanged (each entry has its own fork).
  const s1 = await resolved(RATES);
  const s2 = await resolved(`${RATES}  - function: fn\n    arrival: { poisson: { rate: 5 } }\n`);
  const first = (await collect(s1)).filter((x) => x.workload === 1).map((x) => x.atMs);
  const second = (await collect(s2)).filter((x) => x.workload === 1).map((x) => x.atMs);
  t.same(second, first, 'entry 1 is unaffected by entry 8');
});

t.test('trace replay of the Azure 2019 sample gives the per-minute counts, scaled', async (t) => {
  const header = readFileSync(join(FIXTURES, 'azure-2019-sample/invocations.csv'), 'utf8').split('\n')[1]!.split(',');
  const column = (minute: number) => Number(header[3 + minute]);
  // One trace minute per 100 ms: 10 minutes of the trace in one second, every arrival kept.
  const exact = await resolved(
    yaml('name: replay', 'duration: 1s', ...HEAD.slice(2), 'workload:', '  - function: fn', '    arrival:', '      trace: { path: ../azure-2019-sample/invocations.csv, minuteSeconds: 0.1, startMinute: 100, spread: even }'),
  );
  const xs = await collect(exact);
  for (let m = 0; m < 10; m++) {
    t.equal(count(xs, 0, m * 100, (m + 1) * 100), column(100 + m), `minute ${100 + m}: ${column(100 + m)} arrivals`);
  }
  // Scaled to 1 %, one minute per second over 30 s, spread at random: each minute gets
  // floor(count / 100) or one more, all inside its second.
  const scaled = await resolved(
    yaml('name: replay', 'duration: 30s', ...HEAD.slice(2), 'workload:', '  - function: fn', '    invocation: async', '    arrival:', '      trace: { path: ../azure-2019-sample/invocations.csv, scale: 0.01 }'),
  );
  const ys = await collect(scaled);
  let total = 0;
  for (let m = 0; m < 30; m++) {
    const n = count(ys, 0, m * 1000, (m + 1) * 1000);
    const want = column(1 + m) * 0.01;
    t.ok(n === Math.floor(want) || n === Math.ceil(want), `minute ${m + 1}: ${n} ~ ${want}`);
    total += want;
  }
  t.ok(Math.abs(ys.length - total) < 30, `${ys.length} in all ~ ${total.toFixed(1)}`);
  t.ok(ys.every((a) => a.invocation === 'async' && a.function === 'fn'));
  const again = await collect(scaled);
  t.same(again, ys, 'random spread is reproducible');
});

t.test('trace rows go round-robin to the listed functions; rows can be selected', async (t) => {
  const text = (extra: string) =>
    yaml(
      'name: rr', 'duration: 5s', 'functions:', '  - name: a', '    synthetic: { duration: 1 }', '  - name: b', '    synthetic: { duration: 1 }',
      'workload:', '  - arrival:', `      trace: { path: ../trace-small/invocations.csv, functions: [a, b], spread: even${extra} }`,
    );
  const xs = await collect(await resolved(text('')));
  // Rows: 60/min; m per minute; 30 in every 5th minute. a gets rows 0 and 2, b row 1.
  for (let m = 0; m < 5; m++) {
    const inMinute = xs.filter((x) => x.atMs >= m * 1000 && x.atMs < (m + 1) * 1000);
    t.equal(inMinute.filter((x) => x.function === 'a').length, 60 + ((m + 1) % 5 === 0 ? 30 : 0), `minute ${m + 1} for a`);
    t.equal(inMinute.filter((x) => x.function === 'b').length, m + 1, `minute ${m + 1} for b`);
  }
  const skipped = await collect(await resolved(text(', rows: { skip: 1, limit: 1 }')));
  t.equal(skipped.length, 1 + 2 + 3 + 4 + 5, 'only row 1');
  t.ok(skipped.every((x) => x.function === 'a'), 'the first selected row goes to the first function');
});

t.test('functions: synthetic makes one function per trace row from durations and memory', async (t) => {
  const r = await parse(
    yaml(
      'name: syn', 'duration: 10s', 'workload:', '  - invocation: async', '    arrival:', '      trace:',
      '        path: ../trace-small/invocations.csv', '        functions: synthetic', '        durations: ../trace-small/durations.csv', '        memory: ../trace-small/memory.csv',
      '        synthetic: { errorRate: 0.02 }',
    ),
  );
  t.same(r.errors, []);
  const s = r.scenario!;
  t.same(s.functions.map((f) => f.name), ['trace-f1aaaaaa', 'trace-f2bbbbbb', 'trace-f3cccccc']);
  const [f1, f2, f3] = s.functions as Array<Extract<ResolvedScenario['functions'][number], { kind: 'synthetic' }>>;
  t.same(f1!.synthetic.duration, { kind: 'empirical', percentiles: { 0: 5, 1: 6, 25: 20, 50: 40, 75: 70, 99: 300, 100: 4500 } });
  t.same(f1!.synthetic.memory, { kind: 'empirical', percentiles: { 1: 100, 5: 110, 25: 130, 50: 150, 75: 170, 95: 190, 99: 200, 100: 300 } }, 'memory from the per-app file');
  t.same([f1!.memoryMb, f1!.timeoutSec, f2!.timeoutSec], [300, 5, 3]);
  t.equal(f1!.synthetic.errorRate, 0.02);
  t.match(f1!.fromTrace, { hashFunction: 'f1aaaaaaaaaa', trigger: 'http' });
  t.same(f3!.synthetic.duration, { kind: 'lognormal', median: 100, p99: 1000 }, 'missing rows get the documented fallback');
  t.match(r.warnings.map((w) => w.message).join('\n'), /no durations for trace-f3cccccc/);
  t.same(s.workload[0]!.arrival.kind === 'trace' && s.workload[0]!.arrival.functions, ['trace-f1aaaaaa', 'trace-f2bbbbbb', 'trace-f3cccccc']);
  const xs = await collect(s);
  t.equal(xs.filter((x) => x.function === 'trace-f2bbbbbb').length, 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
});

t.test('a file that is not an Azure 2019 invocations trace is refused at its path', async (t) => {
  const r = await parse(yaml(...HEAD, 'workload:', '  - function: fn', '    arrival:', '      trace: { path: ../trace-small/durations.csv }'));
  t.equal(r.errors.length, 1);
  t.match(r.errors[0]!.message, /^sim-scenarios\/test\.yaml:9:\d+: workload\[0\]\.arrival\.trace\.path: .*is not an Azure Functions 2019 invocations file/);
});
