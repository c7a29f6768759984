import t from 'tap';
import { parseFieldPath, parseOverride, OverrideSyntaxError } from './overrides.js';
import { parseScenario } from './load-scenario.js';

const FILE = `name: s
duration: 10s
functions:
  - name: f
    synthetic: { duration: { kind: constant, value: 5 } }
workload:
  - function: f
    arrival: { constant: { rate: 1 } }
`;

t.test('field paths', async (t) => {
  t.same(parseFieldPath('cluster.heartbeat'), ['cluster', 'heartbeat']);
  t.same(parseFieldPath('functions[0].synthetic.duration'), ['functions', 0, 'synthetic', 'duration']);
  t.same(parseFieldPath('a["odd key"].b'), ['a', 'odd key', 'b']);
  for (const bad of ['', 'a..b', 'a[x]', 'a[0', '.a']) t.throws(() => parseFieldPath(bad), OverrideSyntaxError, bad);
  t.same(parseOverride('cluster.zones=5').value, 5, 'values are YAML');
  t.same(parseOverride('cluster.heartbeat=100ms').value, '100ms');
  t.throws(() => parseOverride('cluster.zones='), /the value is empty/);
});

t.test('overrides are held to the file\'s rules and name their --set', async (t) => {
  const ok = await parseScenario(FILE, { file: 's.yaml', overrides: [parseOverride('cluster.zones=5'), parseOverride('functions[0].memory=512')] });
  t.equal(ok.scenario?.cluster.zones.length, 5, 'a missing mapping is created');
  t.equal(ok.scenario?.functions[0]?.memoryMb, 512);
  t.same(ok.scenario?.overrides, ['cluster.zones=5', 'functions[0].memory=512'], 'kept in the scenario');
  const bad = await parseScenario(FILE, { file: 's.yaml', overrides: [parseOverride('cluster.zones=-1')] });
  t.match(bad.errors[0]?.message, /^--set cluster\.zones=-1: cluster\.zones: /);
  const list = await parseScenario(FILE, { file: 's.yaml', overrides: [parseOverride('functions.name=x')] });
  t.match(list.errors[0]?.message, /functions is a list: address an item by its index/);
  const scalar = await parseScenario(FILE, { file: 's.yaml', overrides: [parseOverride('name.first=x')] });
  t.match(scalar.errors[0]?.message, /name is a plain value, it has no field first/);
});
