import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ScenarioErrorCode, type ScenarioError } from './errors.js';
import { loadScenario, loadScenarioOrThrow } from './load-scenario.js';
import { FIXTURES, HEAD, parse, resolved, yaml } from './test-util/fixtures.js';

type Expect = { field: string; line: number; code: string; detail?: RegExp };

/** Asserts that `text` fails with an error at `field` on `line`, formatted `file:line:col: field: detail`. */
async function expectError(t: Test, text: string, expect: Expect): Promise<ScenarioError[]> {
  const r = await parse(text);
  t.equal(r.scenario, undefined, 'no scenario when there are errors');
  const e = r.errors.find((x) => x.field === expect.field);
  if (!e) {
    t.fail(`no error for ${expect.field}; got:\n${r.errors.map((x) => x.message).join('\n')}`);
    return r.errors;
  }
  t.equal(e.line, expect.line, `${expect.field} is on line ${expect.line}`);
  t.equal(e.code, expect.code, `code ${expect.code}`);
  t.match(e.message, new RegExp(`^sim-scenarios/test\\.yaml:${expect.line}:\\d+: ${expect.field.replace(/[[\].]/g, '\\$&')}: `), 'message names file, line, column and field');
  if (expect.detail) t.match(e.detail, expect.detail);
  return r.errors;
}

t.test('the full example resolves with every value in resolved units', async (t) => {
  const { scenario, errors, warnings } = await loadScenario(join(FIXTURES, 'scenarios/full.yaml'));
  t.same(errors, []);
  t.same(warnings, []);
  const s = scenario!;
  t.equal(s.name, 'full-example');
  t.equal(s.seed, 42);
  t.same([s.durationMs, s.warmupMs, s.cooldownMs, s.runEndMs], [60_000, 5_000, 15_000, 75_000]);
  t.same(s.cluster, {
    zones: ['az-a', 'az-b', 'az-c'],
    nodesPerZone: 2,
    node: { maxEnvironments: 16, memoryMb: 4096, isolation: 'worker', keepAliveMs: 300_000, keepAlivePolicy: { kind: 'fixed' } },
    heartbeatMs: 100,
    missLimit: 5,
    placement: 'spread',
    shardSize: 2,
    detector: 'work-aware',
    outlier: { consecutiveFailures: 7, intervalMs: 2_000, ejectionMs: 20_000 },
    headroom: 0,
    scalingRate: 1000,
    timeScale: 10,
    failover: true,
    accountConcurrency: 500,
    cpuModel: 'lambda',
    ledger: 'full',
  });
  const echo = s.functions.find((f) => f.name === 'echo')!;
  t.equal(echo.kind, 'code');
  t.equal(echo.kind === 'code' && echo.path, join(FIXTURES, 'functions/echo'), 'paths are absolute, relative to the file');
  t.equal(echo.kind === 'code' && echo.packaging, 'folder');
  t.same(echo.environment, { LOG_LEVEL: 'debug', PORT: '8080' }, 'numbers become strings');
  t.same([echo.memoryMb, echo.timeoutSec, echo.architecture, echo.reservedConcurrency, echo.provisionedConcurrency], [256, 10, 'arm64', 100, 2]);
  const work = s.functions.find((f) => f.name === 'work')!;
  t.equal(work.runtime, 'zonesim.synthetic');
  t.same(work.kind === 'synthetic' && work.synthetic.memory, { kind: 'constant', value: 96 }, 'a bare number is a constant');
  t.same([work.retries, work.maxEventAgeSec], [1, 120]);
  t.equal(s.workload.length, 6);
  t.same(s.workload[1], { index: 1, function: 'work', invocation: 'async', startMs: 10_000, endMs: 50_000, arrival: { kind: 'poisson', rate: 30 } });
  t.same(s.workload[3]!.arrival, { kind: 'bursts', base: 1, burst: 50, everyMs: 20_000, lengthMs: 2_000, offsetMs: 5_000, process: 'poisson' });
  t.same(s.workload[4]!.arrival, { kind: 'diurnal', mean: 10, amplitude: 8, periodMs: 30_000, peakAtMs: 15_000, process: 'poisson' });
  t.match(s.workload[5]!.arrival, { kind: 'trace', minuteMs: 2000, scale: 0.5, startMinute: 1, spread: 'uniform', functions: ['work', 'echo'] });
  const byId = Object.fromEntries(s.faults.map((f) => [f.id, f]));
  t.same(s.faults.map((f) => f.id), ['freeze', 'kill-b', 'slow-link', 'lossy', 'gray-a', 'reset', 'brown', 'restart'], 'faults in start order');
  t.same([byId['kill-b']!.startMs, byId['kill-b']!.endMs], [20_000, 35_000]);
  t.same([byId['slow-link']!.startMs, byId['slow-link']!.endMs], [37_000, 42_000], 'after kill-b ends, plus delay');
  t.same(byId['slow-link']!.params, { action: 'latency', latencyMs: 200, jitterMs: 50, direction: 'both' });
  t.same([byId['reset']!.startMs, byId['reset']!.endMs], [58_000, 58_000], 'a disconnect without duration is instantaneous');
  t.same(byId['brown']!.target, { kind: 'coordinator' });
  t.same(s.hypotheses.map((h) => h.id), ['available', 'fast', 'lostEvents', 'detection', 'duplicates', 'throttles', 'deadLetters', 'during-kill']);
  t.match(s.hypotheses[0], { kind: 'successRate', min: 0.99, window: { during: 'steady', settleMs: 500 } }, 'settle defaults to heartbeat x missLimit');
  t.match(s.hypotheses[3], { kind: 'detection', maxMs: 1500, faultIds: ['freeze', 'kill-b'] }, 'detection covers kill and pause faults on zones or nodes');
  t.same(s.stopConditions, [
    { id: 'errorRate', kind: 'errorRate', above: 0.5, forMs: 10_000, minOps: 10 },
    { id: 'p99', kind: 'p99', aboveMs: 5_000, forMs: 10_000, minOps: 50 },
  ]);
});

t.test('defaults are filled in', async (t) => {
  const s = await resolved(yaml(...HEAD));
  t.equal(s.seed, 1);
  t.same([s.warmupMs, s.cooldownMs], [0, 10_000]);
  t.same(s.cluster.zones, ['az-a', 'az-b', 'az-c']);
  t.same([s.cluster.heartbeatMs, s.cluster.missLimit, s.cluster.failover, s.cluster.placement], [200, 4, true, 'spread']);
  t.match(s.functions[0], { memoryMb: 128, timeoutSec: 3, architecture: 'x86_64', synthetic: { init: { kind: 'constant', value: 0 }, errorRate: 0 } });
  t.same([s.workload, s.faults, s.hypotheses, s.stopConditions], [[], [], [], []]);
  const counted = await resolved(yaml(...HEAD, 'cluster: { zones: 2, failover: false }'));
  t.same(counted.cluster.zones, ['az-a', 'az-b']);
  t.equal(counted.cluster.failover, false);
});

t.test('an unknown field is named at its key, with a suggestion', async (t) => {
  await expectError(t, yaml(...HEAD, 'cluster:', '  zones: 3', '  nodesPerZon: 2'), { field: 'cluster.nodesPerZon', line: 8, code: ScenarioErrorCode.UnknownField, detail: /did you mean "nodesPerZone"/ });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { zone: az-a }', '    at: 1s', '    restart: 5s'), {
    field: 'faults[0].restart',
    line: 11,
    code: ScenarioErrorCode.UnknownField,
  });
});

t.test('a wrong type is named', async (t) => {
  await expectError(t, yaml(...HEAD, 'cluster: { nodesPerZone: two }'), { field: 'cluster.nodesPerZone', line: 6, code: ScenarioErrorCode.InvalidValue, detail: /expected an integer, got "two"/ });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    invocation: maybe', '    arrival: { constant: { rate: 1 } }'), {
    field: 'workload[0].invocation',
    line: 8,
    code: ScenarioErrorCode.InvalidValue,
  });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    arrival: { constant: { rate: -1 } }'), { field: 'workload[0].arrival.constant.rate', line: 8, code: ScenarioErrorCode.InvalidValue, detail: />= 0/ });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    arrival: { poison: { rate: 1 } }'), { field: 'workload[0].arrival', line: 8, code: ScenarioErrorCode.MissingField, detail: /did you mean "poisson"/ });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: explode', '    at: 1s'), { field: 'faults[0].action', line: 8, code: ScenarioErrorCode.InvalidValue, detail: /not one of kill, pause/ });
});

t.test('a bad duration says how to write one', async (t) => {
  const errors = await expectError(t, yaml(...HEAD, 'faults:', '  - id: a', '    action: partition', '    target: { zone: az-a }', '    at: 10s', '  - id: b', '    action: kill', '    target: { zone: az-b }', '    at: 20x'), {
    field: 'faults[1].at',
    line: 14,
    code: ScenarioErrorCode.Duration,
  });
  t.equal(errors.find((e) => e.field === 'faults[1].at')!.message, 'sim-scenarios/test.yaml:14:9: faults[1].at: "20x" is not a duration (use 500ms, 20s, 2m)');
  await expectError(t, yaml('name: t', 'duration: 60'), { field: 'duration', line: 2, code: ScenarioErrorCode.Duration, detail: /60 has no unit/ });
  await expectError(t, yaml(...HEAD.slice(0, 4), '    timeout: 1500ms', '    synthetic: { duration: 10 }'), { field: 'functions[0].timeout', line: 5, code: ScenarioErrorCode.Duration, detail: /whole seconds/ });
});

t.test('references to unknown zones, nodes, functions and faults are named', async (t) => {
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { zone: az-q }', '    at: 1s'), { field: 'faults[0].target.zone', line: 9, code: ScenarioErrorCode.UnknownReference, detail: /unknown zone "az-q" \(known: az-a, az-b, az-c\)/ });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { nodes: { ids: [az-a-node-9] } }', '    at: 1s'), { field: 'faults[0].target.nodes.ids[0]', line: 9, code: ScenarioErrorCode.UnknownReference });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: ghost', '    arrival: { poisson: { rate: 1 } }'), { field: 'workload[0].function', line: 7, code: ScenarioErrorCode.UnknownReference, detail: /unknown function "ghost" \(known: fn\)/ });
  await expectError(t, yaml(...HEAD, 'hypotheses:', '  - p99: { max: 1s, functions: [nope] }'), { field: 'hypotheses[0].p99.functions[0]', line: 7, code: ScenarioErrorCode.UnknownReference });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { zones: { count: 4 } }', '    at: 1s'), { field: 'faults[0].target.zones.count', line: 9, code: ScenarioErrorCode.InvalidValue, detail: /cluster has 3/ });
});

t.test('a fault outside the run is refused', async (t) => {
  // duration 60s + cooldown 10s: the run ends at 70s.
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: late', '    action: pause', '    target: { zone: az-a }', '    at: 70s', '    duration: 1s'), { field: 'faults[0].at', line: 10, code: ScenarioErrorCode.OutsideRun, detail: /after the end of the run \(1m10s/ });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: long', '    action: partition', '    target: { zone: az-a }', '    at: 50s', '    duration: 30s'), { field: 'faults[0].duration', line: 11, code: ScenarioErrorCode.OutsideRun, detail: /ends at 1m20s/ });
  await expectError(t, yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { zone: az-a }', '    at: 60s', '    restartAfter: 15s'), { field: 'faults[0].restartAfter', line: 11, code: ScenarioErrorCode.OutsideRun });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    end: 61s', '    arrival: { constant: { rate: 1 } }'), { field: 'workload[0].end', line: 8, code: ScenarioErrorCode.OutsideRun });
  // Without a duration a fault lasts until the runner heals everything at the end: allowed.
  const s = await resolved(yaml(...HEAD, 'faults:', '  - id: k', '    action: kill', '    target: { zone: az-a }', '    at: 69s'));
  t.equal(s.faults[0]!.endMs, undefined);
});

t.test('after naming an unknown fault, or making a cycle, is refused', async (t) => {
  const base = (...faults: string[]) => yaml(...HEAD, 'faults:', ...faults);
  await expectError(t, base('  - id: a', '    action: pause', '    target: { zone: az-a }', '    after: zz', '    duration: 1s'), { field: 'faults[0].after', line: 10, code: ScenarioErrorCode.UnknownReference, detail: /unknown fault "zz"/ });
  const errors = await expectError(
    t,
    base(
      '  - id: a', '    action: pause', '    target: { zone: az-a }', '    after: c', '    duration: 1s',
      '  - id: b', '    action: pause', '    target: { zone: az-b }', '    after: a', '    duration: 1s',
      '  - id: c', '    action: pause', '    target: { zone: az-c }', '    after: b', '    duration: 1s',
    ),
    { field: 'faults[0].after', line: 10, code: ScenarioErrorCode.Cycle, detail: /cycle: a -> c -> b -> a/ },
  );
  t.equal(errors.filter((e) => e.code === ScenarioErrorCode.Cycle).length, 3, 'every member of the cycle is named');
  await expectError(t, base('  - id: a', '    action: pause', '    target: { zone: az-a }', '    after: a', '    duration: 1s'), { field: 'faults[0].after', line: 10, code: ScenarioErrorCode.Cycle });
  await expectError(t, base('  - id: a', '    action: kill', '    target: { zone: az-a }', '    at: 1s', '  - id: b', '    action: pause', '    target: { zone: az-b }', '    after: a', '    duration: 1s'), {
    field: 'faults[1].after',
    line: 14,
    code: ScenarioErrorCode.OutsideRun,
    detail: /lasts until the run ends/,
  });
});

t.test('after chains follow the end of the named fault plus the delay', async (t) => {
  const s = await resolved(
    yaml(
      ...HEAD,
      'faults:',
      '  - id: third', '    action: latency', '    target: { zone: az-c }', '    after: second', '    duration: 5s', '    latency: 100ms',
      '  - id: first', '    action: partition', '    target: { zone: az-a }', '    at: 5s', '    duration: 10s',
      '  - id: second', '    action: kill', '    target: { zone: az-b }', '    after: first', '    delay: 2s', '    restartAfter: 8s',
    ),
  );
  t.same(s.faults.map((f) => [f.id, f.startMs, f.endMs]), [['first', 5_000, 15_000], ['second', 17_000, 25_000], ['third', 25_000, 30_000]]);
  t.same(s.faults[2]!.after, { id: 'second', delayMs: 0 });
});

t.test('a workload for an unknown function and bad distributions are named', async (t) => {
  await expectError(t, yaml(...HEAD.slice(0, 4), '    synthetic:', '      duration: { kind: lognormal, median: 100, p99: 10 }'), { field: 'functions[0].synthetic.duration.p99', line: 6, code: ScenarioErrorCode.Distribution, detail: /p99 \(10\) must be >= median/ });
  await expectError(t, yaml(...HEAD.slice(0, 4), '    synthetic:', '      duration: { kind: gamma, shape: 2 }'), { field: 'functions[0].synthetic.duration.kind', line: 6, code: ScenarioErrorCode.InvalidValue });
  await expectError(t, yaml(...HEAD.slice(0, 4), '    synthetic:', '      duration: { kind: empirical, percentiles: { 0: 5, 50: 3 } }'), { field: 'functions[0].synthetic.duration.percentiles["50"]', line: 6, code: ScenarioErrorCode.Distribution });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    arrival: { diurnal: { mean: 5, amplitude: 8, period: 1m } }'), { field: 'workload[0].arrival.diurnal.amplitude', line: 8, code: ScenarioErrorCode.InvalidValue });
  await expectError(t, yaml(...HEAD, 'workload:', '  - function: fn', '    arrival: { bursts: { base: 1, burst: 5, every: 10s, length: 20s } }'), { field: 'workload[0].arrival.bursts.length', line: 8, code: ScenarioErrorCode.InvalidValue });
});

t.test('every problem comes at once, in line order', async (t) => {
  const r = await parse(
    yaml(
      'name: bad one', 'duration: 60s', 'cooldwn: 5s',
      'functions:', '  - name: fn', '    path: ./no-such-folder',
      'workload:', '  - function: ghost', '    arrival: { constant: { rate: 1 } }',
      'faults:', '  - id: k', '    action: kill', '    target: { zone: az-z }', '    at: 5x',
    ),
  );
  t.same(r.errors.map((e) => [e.line, e.field]), [
    [1, 'name'],
    [3, 'cooldwn'],
    [6, 'functions[0].path'],
    [8, 'workload[0].function'],
    [13, 'faults[0].target.zone'],
    [14, 'faults[0].at'],
  ]);
  t.match(r.errors[2]!.detail, /no-such-folder does not exist/);
});

t.test('YAML syntax errors and duplicate keys have a place; a missing file is one error', async (t) => {
  const dup = await parse(yaml('name: t', 'duration: 60s', 'name: u'));
  t.equal(dup.errors.length, 1);
  t.equal(dup.errors[0]!.code, ScenarioErrorCode.Yaml);
  t.equal(dup.errors[0]!.line, 3);
  const syntax = await parse('name: t\nduration: [60s\n');
  t.equal(syntax.errors[0]!.code, ScenarioErrorCode.Yaml);
  t.ok(syntax.errors[0]!.line > 0);
  const missing = await loadScenario('/no/such/scenario.yaml');
  t.same(missing.errors.map((e) => [e.code, e.message]), [[ScenarioErrorCode.File, '/no/such/scenario.yaml: no such file']]);
  await t.rejects(loadScenarioOrThrow('/no/such/scenario.yaml'), { code: 'SCENARIO_INVALID', errors: [{ code: ScenarioErrorCode.File }] });
});

t.test('concurrency and hypotheses are checked against the scenario', async (t) => {
  await expectError(t, yaml(...HEAD.slice(0, 4), '    reservedConcurrency: 950', '    synthetic: { duration: 10 }'), { field: 'functions[0].reservedConcurrency', line: 5, code: ScenarioErrorCode.InvalidValue, detail: /leave 100/ });
  await expectError(t, yaml(...HEAD, 'hypotheses:', '  - successRate: { min: 0.9, during: faults }'), { field: 'hypotheses[0].successRate.during', line: 7, code: ScenarioErrorCode.InvalidValue, detail: /no faults/ });
  await expectError(t, yaml(...HEAD, 'hypotheses:', '  - detection: { max: 1s }'), { field: 'hypotheses[0].detection', line: 7, code: ScenarioErrorCode.InvalidValue });
  await expectError(t, yaml(...HEAD, 'hypotheses:', '  - id: x', '    lostEvents: {}', '  - id: x', '    duplicates: {}'), { field: 'hypotheses[1].id', line: 9, code: ScenarioErrorCode.Duplicate });
  const s = await resolved(yaml(...HEAD, 'hypotheses:', '  - lostEvents: {}', '  - lostEvents: { max: 2 }'));
  t.same(s.hypotheses.map((h) => h.id), ['lostEvents', 'lostEvents-2'], 'default ids are the kind, numbered when repeated');
});
