// Writes config/site.schema.json from the TypeBox schema, so editors validate site files as you type.
// `npm run schema` regenerates it; a unit test fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { siteSchemaJson } from '../src/config/site-schema-json.js';

writeFileSync(new URL('../config/site.schema.json', import.meta.url), siteSchemaJson());
console.log('wrote config/site.schema.json');
