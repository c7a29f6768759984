import { scenarioJsonSchema } from './schema.js';

/** The exact text of `scenario.schema.json` (2-space JSON and a final newline). */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
