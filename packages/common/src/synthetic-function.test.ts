import t from 'tap';
import { SyntheticDefinitionError, parseSyntheticDefinition, validateSyntheticDefinition } from './synthetic-function.js';

const OK = {
  init: { kind: 'constant', value: 100 },
  duration: { kind: 'lognormal', median: 20, p99: 400 },
  memory: { kind: 'empirical', percentiles: { '0': 60, '50': 80, '100': 200 } },
};

t.test('a valid definition gets its defaults', async (t) => {
  t.same(parseSyntheticDefinition(JSON.stringify(OK)), { ...OK, errorRate: 0, seed: undefined });
  t.same(validateSyntheticDefinition({ ...OK, errorRate: 1, seed: 'run-1' }), { ...OK, errorRate: 1, seed: 'run-1' });
  t.same(validateSyntheticDefinition({ ...OK, seed: 7 }).seed, 7);
});

t.test('every refusal names the field at fault', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', [], '(root)'],
    ['unknown field', { ...OK, errorrate: 0.1 }, 'errorrate'],
    ['missing init', { duration: OK.duration, memory: OK.memory }, 'init'],
    ['bad kind', { ...OK, memory: { kind: 'pareto' } }, 'memory.kind'],
    ['bad p99', { ...OK, duration: { kind: 'lognormal', median: 20, p99: 5 } }, 'duration.p99'],
    ['negative constant', { ...OK, init: { kind: 'constant', value: -1 } }, 'init.value'],
    ['bad percentile', { ...OK, memory: { kind: 'empirical', percentiles: { '120': 1, '0': 0 } } }, 'memory.percentiles.120'],
    ['error rate above 1', { ...OK, errorRate: 1.5 }, 'errorRate'],
    ['error rate not a number', { ...OK, errorRate: '0.1' }, 'errorRate'],
    ['fractional seed', { ...OK, seed: 1.5 }, 'seed'],
  ];
  for (const [name, value, field] of cases) {
    t.throws(() => validateSyntheticDefinition(value), { name: 'SyntheticDefinitionError', code: 'INVALID_SYNTHETIC_DEFINITION', field }, name);
  }
  const err = (() => {
    try {
      parseSyntheticDefinition('{"init":');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(err instanceof SyntheticDefinitionError);
  t.match((err as Error).message, /^synthetic\.json: \(root\): is not valid JSON/);
  t.throws(() => parseSyntheticDefinition(' '.repeat(70_000)), { field: '(root)', message: /larger than 65536 bytes/ });
});
