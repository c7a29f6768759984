import t from 'tap';
import { parseSyntheticPackage, syntheticPackageJson } from './synthetic.js';

t.test('synthetic.json is canonical and parses back', async (t) => {
  const spec = {
    duration: { kind: 'lognormal' as const, median: 100, p99: 400 },
    init: { kind: 'constant' as const, value: 250 },
    memory: { kind: 'uniform' as const, min: 64, max: 96 },
    errorRate: 0.05,
  };
  const text = syntheticPackageJson(spec);
  t.equal(text, '{"duration":{"kind":"lognormal","median":100,"p99":400},"errorRate":0.05,"init":{"kind":"constant","value":250},"memory":{"kind":"uniform","max":96,"min":64},"v":1}\n');
  t.equal(syntheticPackageJson({ errorRate: 0.05, memory: spec.memory, init: spec.init, duration: spec.duration }), text, 'key order does not matter');
  t.same(parseSyntheticPackage(text), { v: 1, ...spec });
  t.throws(() => parseSyntheticPackage('{"v":1,"init":{"kind":"constant","value":0},"duration":{"kind":"lognormal","median":5,"p99":1},"memory":{"kind":"constant","value":1},"errorRate":0}'), /duration: p99/);
  t.throws(() => parseSyntheticPackage('{"v":2}'), /v must be 1/);
  t.throws(() => parseSyntheticPackage('nope'), /not JSON/);
});
