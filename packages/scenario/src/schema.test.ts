import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { scenarioJsonSchemaText } from './schema-file.js';
import { ScenarioFileSchema } from './schema.js';
import { FIXTURES } from './test-util/fixtures.js';
import { validateShape } from './validate-shape.js';

t.test('scenario.schema.json is generated from the TypeBox schema and up to date', async (t) => {
  const file = join(FIXTURES, '../scenario.schema.json');
  t.equal(readFileSync(file, 'utf8'), scenarioJsonSchemaText(), 'run `npm run schema -w @zonesim/scenario` after changing schema.ts');
  const schema = JSON.parse(scenarioJsonSchemaText());
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.ok(schema.$defs.Distribution && schema.$defs.ZoneOrNodeTarget, 'repeated parts are $defs');
  t.notMatch(scenarioJsonSchemaText(), /x-def/);
});

t.test('the shipped fixtures follow the schema, by TypeBox and by the walker alike', async (t) => {
  for (const name of ['full.yaml', 'mixed-run.yaml']) {
    const value = parseYaml(readFileSync(join(FIXTURES, 'scenarios', name), 'utf8'));
    t.ok(Value.Check(ScenarioFileSchema, value), `${name} passes TypeBox`);
    t.same(validateShape(ScenarioFileSchema, value), [], `${name} passes the walker`);
  }
  const bad = { name: 't', duration: '1m', faults: [{ id: 'x', action: 'kill', target: { zone: 'az-a' }, at: '1s', bogus: 1 }] };
  t.notOk(Value.Check(ScenarioFileSchema, bad), 'TypeBox refuses an unknown field too');
  t.match(validateShape(ScenarioFileSchema, bad), [{ path: ['faults', 0, 'bogus'], code: 'SCENARIO_UNKNOWN_FIELD' }]);
});
