import { toPlainJsonSchema } from './json-schema.js';
import { SiteConfigSchema } from './schema.js';

/** The site schema as editors read it (JSON Schema draft-07 with a `$schema` line). */
export function siteSchemaJson(): string {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...toPlainJsonSchema(SiteConfigSchema) };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
