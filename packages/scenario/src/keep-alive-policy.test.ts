/** `cluster.node.keepAlivePolicy` (issue 18): names, hybrid-histogram settings, --set, errors naming the field. */
import t from 'tap';
import { parseScenario } from './load-scenario.js';
import { parseOverride } from './overrides.js';

const file = (node: string) => `name: s
duration: 10s
cluster:
  node: ${node}
functions:
  - name: f
    synthetic: { duration: 5 }
workload:
  - function: f
    arrival: { constant: { rate: 1 } }
`;

t.test('the default is fixed; a name or an object with settings', async (t) => {
  const plain = await parseScenario(file('{ keepAlive: 5m }'), { file: 's.yaml' });
  t.same(plain.scenario?.cluster.node.keepAlivePolicy, { kind: 'fixed' });
  t.equal(plain.scenario?.cluster.node.keepAliveMs, 300_000);
  const named = await parseScenario(file('{ keepAlivePolicy: hybrid-histogram }'), { file: 's.yaml' });
  t.same(named.scenario?.cluster.node.keepAlivePolicy, { kind: 'hybrid-histogram' }, 'the zone node fills the defaults');
  const set = await parseScenario(file('{ keepAlivePolicy: { kind: hybrid-histogram, range: 2h, bin: 30s, minSamples: 5, cvThreshold: 1.5 } }'), { file: 's.yaml' });
  t.same(set.errors, []);
  t.same(set.scenario?.cluster.node.keepAlivePolicy, { kind: 'hybrid-histogram', rangeMs: 7_200_000, binMs: 30_000, minSamples: 5, cvThreshold: 1.5 });
});

t.test('addressable by --set, as a sweep axis is', async (t) => {
  const r = await parseScenario(file('{ keepAlive: 5m }'), { file: 's.yaml', overrides: [parseOverride('cluster.node.keepAlivePolicy=hybrid-histogram'), parseOverride('cluster.node.keepAlive=20m')] });
  t.same(r.errors, []);
  t.same(r.scenario?.cluster.node.keepAlivePolicy, { kind: 'hybrid-histogram' });
  t.equal(r.scenario?.cluster.node.keepAliveMs, 1_200_000);
});

t.test('bad values are refused naming the field', async (t) => {
  const unknown = await parseScenario(file('{ keepAlivePolicy: lru }'), { file: 's.yaml' });
  t.match(unknown.errors[0]?.message, /cluster\.node\.keepAlivePolicy/);
  const field = await parseScenario(file('{ keepAlivePolicy: { kind: hybrid-histogram, rnage: 2h } }'), { file: 's.yaml' });
  t.match(field.errors[0]?.message, /rnage/);
  const bins = await parseScenario(file('{ keepAlivePolicy: { kind: hybrid-histogram, range: 30s } }'), { file: 's.yaml' });
  t.match(bins.errors[0]?.message, /cluster\.node\.keepAlivePolicy\.range: .*from 1 to 100,000 bins/);
  const order = await parseScenario(file('{ keepAlivePolicy: { kind: hybrid-histogram, headPercentile: 50, tailPercentile: 10 } }'), { file: 's.yaml' });
  t.match(order.errors[0]?.message, /tailPercentile: must be at least headPercentile/);
});
