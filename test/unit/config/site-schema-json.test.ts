import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { siteSchemaJson } from '../../../src/config/site-schema-json.js';

describe('config/site.schema.json', () => {
  it('matches the schema the loader validates with (run `npm run schema` after changing it)', () => {
    expect(readFileSync('config/site.schema.json', 'utf8')).toBe(siteSchemaJson());
  });
});
