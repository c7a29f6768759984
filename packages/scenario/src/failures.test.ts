import t from 'tap';
import { FAILURE_PRESETS } from './failure-presets.js';
import { faultSchedule } from './fault-schedule.js';
import { parseScenario } from './load-scenario.js';

const base = (failures: string, extra = ''): string => `name: s
seed: 4
duration: 1h
cluster: { zones: 3, nodesPerZone: 4 }
functions:
  - name: f
    synthetic: { duration: 5 }
workload:
  - function: f
    arrival: { constant: { rate: 1 } }
${extra}failures:
${failures}`;

async function load(text: string) {
  const r = await parseScenario(text, { file: 's.yaml' });
  if (!r.scenario) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.scenario;
}

t.test('a renewal process per node: up, down, up ... from the seed, reproducibly', async (t) => {
  const s = await load(base(`  - id: hosts
    target: nodes
    between: { kind: exponential, mean: 20 }
    repair: { kind: constant, value: 2 }
    unit: m
`));
  const a = faultSchedule(s);
  const b = faultSchedule(await load(base(`  - id: hosts
    target: nodes
    between: { kind: exponential, mean: 20 }
    repair: { kind: constant, value: 2 }
    unit: m
`)));
  t.same(a, b, 'the same file and seed: the same failures');
  t.ok(a.length > 12 && a.length < 12 * 8, `${a.length} failures of 12 nodes over an hour at a 20-minute mean`);
  t.ok(a.every((f) => f.action === 'kill' && f.targets.nodeIds?.length === 1 && f.startMs < 3_600_000), 'each failure kills one node inside the window');
  t.ok(a.every((f, i) => i === 0 || f.startMs >= a[i - 1]!.startMs), 'in start order');
  for (const node of ['az-a-node-1', 'az-c-node-4']) {
    const mine = a.filter((f) => f.targets.nodeIds![0] === node);
    for (let i = 1; i < mine.length; i++) t.ok(mine[i]!.startMs >= mine[i - 1]!.endMs!, `${node}: a failure starts after the previous one was repaired`);
    t.ok(mine.every((f) => f.endMs === undefined || f.endMs - f.startMs === 120_000), 'repairs of 2 minutes');
  }
  t.match(a[0]!.id, /^hosts\/az-[a-c]-node-\d\/1$/);
  const other = faultSchedule({ ...s, seed: 5 });
  t.not(JSON.stringify(other), JSON.stringify(a), 'another seed, other failures');
});

t.test('zones fail with all their nodes; fraction takes a share of the hosts at once', async (t) => {
  const zones = faultSchedule(await load(base(`  - id: az
    target: zones
    action: pause
    between: { kind: constant, value: 30 }
    repair: { kind: constant, value: 5 }
    unit: m
`)));
  t.equal(zones.length, 3, 'each zone once in the hour (30 min up, then 5 down, then the hour ends)');
  t.ok(zones.every((f) => f.action === 'pause' && f.targets.zones?.length === 1 && f.targets.nodeIds?.length === 4));
  const correlated = faultSchedule(await load(base(`  - id: rack
    target: nodes
    fraction: 0.25
    between: { kind: constant, value: 10 }
    repair: { kind: constant, value: 1 }
    unit: m
`)));
  t.ok(correlated.length >= 5, `${correlated.length} correlated failures`);
  t.ok(correlated.every((f) => f.targets.nodeIds?.length === 3), 'a quarter of 12 nodes each time');
  t.match(correlated[0]!.id, /^rack\/1$/);
});

t.test('presets of the Failure Trace Archive, and the section\'s errors', async (t) => {
  t.equal(FAILURE_PRESETS.size, 27, '9 systems x exponential, Weibull, lognormal');
  t.same(FAILURE_PRESETS.get('lanl05-weibull')?.between, { kind: 'weibull', shape: 0.48, scale: 816.6 * 3_600_000 });
  t.same(FAILURE_PRESETS.get('g5k06-exponential')?.repair, { kind: 'exponential', mean: 7.41 * 3_600_000 });
  const day = await load(base('  - id: pl\n    target: nodes\n    preset: websites02-weibull\n').replace('duration: 1h', 'duration: 24h'));
  t.equal(day.failures?.[0]?.preset, 'websites02-weibull');
  t.ok(faultSchedule(day).length > 12, 'web servers fail every few hours: many failures in a day');
  const errors = async (text: string) => (await parseScenario(text, { file: 's.yaml' })).errors.map((e) => e.message).join('\n');
  t.match(await errors(base('  - id: x\n    target: nodes\n    preset: lanl05-wiebull\n')), /unknown preset "lanl05-wiebull" \(did you mean "lanl05-weibull"\?\)/);
  t.match(await errors(base('  - id: x\n    target: nodes\n    between: 5\n')), /give between and repair/);
  t.match(await errors(base('  - id: x\n    target: nodes\n    between: { kind: weibull, shape: 0, scale: 3 }\n    repair: 1\n')), /failures\[0\]\.between/);
  t.match(await errors(base('  - id: x\n    target: racks\n    between: 5\n    repair: 1\n')), /failures\[0\]\.target/);
  t.match(await errors(base('  - id: x\n    target: nodes\n    between: 1\n    repair: 1\n')), /draws more than 100000 failures/);
  t.match(await errors(base('  - id: x\n    target: nodes\n    preset: lanl05-weibull\n', 'faults:\n  - { id: x, action: kill, target: { zones: { count: 1 } }, at: 1s }\n')), /"x" is already a fault id/);
});
