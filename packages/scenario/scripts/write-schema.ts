/**
 * Writes packages/scenario/scenario.schema.json from the TypeBox schema (the one source of truth).
 * Run: npm run schema -w @zonesim/scenario. The test schema-file.test.ts fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from '../src/schema-file.js';

const target = fileURLToPath(new URL('../scenario.schema.json', import.meta.url));
writeFileSync(target, scenarioJsonSchemaText());
console.log(`wrote ${target}`);
